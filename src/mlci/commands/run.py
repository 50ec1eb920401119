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
    from typing import Any

    from mlci.commands.report import write_report
    from mlci.progress import StageTimer
    from mlci.run import run_pipeline

    params = load_params(args.params)
    timer = StageTimer()
    if args.baseline is not None:
        # Before training: a bad baseline costs no training time and leaves --out as it was.
        compare_command.read_baseline(args.baseline, args.out)
    outcome: dict[str, Any] = {}

    def compare_and_report(staged: Path) -> None:
        # Runs on the staged folder: any error here (exit 2) leaves the previous --out folder untouched.
        with timer.stage("compare", str(args.baseline)):
            outcome["comparison"] = compare_command.run_compare(params, staged, args.baseline, args.baseline_source)
        with timer.stage("report"):
            outcome["chars"] = len(write_report(params, staged)[1])

    result = run_pipeline(params, args.out, timer, finish=None if args.baseline is None else compare_and_report)
    value = "n/a" if result.primary_value is None else f"{result.primary_value:.4f}"
    total = sum(timer.durations.values())
    print(
        f"{result.primary} {value} | model sha256 {result.model_sha256[:12]} | artifacts in {args.out} ({total:.1f}s)"
    )
    if args.baseline is None:
        return 0
    comparison = outcome["comparison"]
    print("\n".join(compare_command.summary_lines(comparison)))
    print(f"report written to {args.out / 'report.md'} ({outcome['chars']:,} characters)")
    sys.stdout.flush()
    return compare_command.gate_or_ok(comparison)
