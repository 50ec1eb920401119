"""`mlci run`: train, evaluate and record a model from params.yaml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlci.commands import compare as compare_command
from mlci.config import load_params


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="train, evaluate and write artifacts (model, metrics, plots, card)")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file (default: params.yaml)")
    parser.add_argument("--out", type=Path, default=Path("artifacts"), help="artifacts folder (default: artifacts)")
    compare_command.add_baseline_arguments(
        parser, required_text="when given, compare with it and write report.md after the run"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from mlci.progress import StageTimer
    from mlci.run import run_pipeline

    params = load_params(args.params)
    timer = StageTimer()
    result = run_pipeline(params, args.out, timer)
    value = "n/a" if result.primary_value is None else f"{result.primary_value:.4f}"
    total = sum(timer.durations.values())
    print(
        f"{result.primary} {value} | model sha256 {result.model_sha256[:12]} | artifacts in {args.out} ({total:.1f}s)"
    )
    sys.stdout.flush()
    if args.baseline is None:
        return 0
    # --- compare + report (issue 5): after the run, so a bad baseline never costs the trained model ---
    from mlci.commands.report import write_report

    with timer.stage("compare", str(args.baseline)):
        comparison = compare_command.run_compare(params, args.out, args.baseline, args.baseline_source)
    with timer.stage("report"):
        report_path, text = write_report(params, args.out)
    print("\n".join(compare_command.summary_lines(comparison)))
    print(f"report written to {report_path} ({len(text):,} characters)")
    return compare_command.gate_or_ok(comparison)
