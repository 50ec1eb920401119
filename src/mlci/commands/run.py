"""`mlci run`: train, evaluate and record a model from params.yaml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlci.commands import Subparsers, baseline_flags, common_flags
from mlci.config import load_params


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        parents=[*common_flags(), baseline_flags("when given, compare with it and write report.md after the run")],
        help="train, evaluate and write artifacts (model, metrics, plots, card)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from mlci.comparison.compare import compare_folders, gate_failure, read_baseline
    from mlci.comparison.report import terminal_summary, write_report
    from mlci.core import artifacts as files
    from mlci.core.artifacts import ComparisonFile
    from mlci.core.progress import StageTimer
    from mlci.training.run import run_pipeline

    params = load_params(args.params)
    timer = StageTimer()
    if args.baseline is not None:
        # Before training: a bad baseline costs no training time and leaves the artifacts folder as it was.
        read_baseline(args.baseline, args.artifacts)
    compared: list[ComparisonFile] = []
    chars: list[int] = []

    def compare_and_report(staged: Path) -> None:
        # Runs on the staged folder: any error here (exit 2) leaves the previous artifacts folder untouched.
        with timer.stage("compare", str(args.baseline)):
            compared.append(compare_folders(params, staged, args.baseline, args.baseline_source))
        with timer.stage("report"):
            chars.append(len(write_report(params, staged)[1]))

    result = run_pipeline(params, args.artifacts, timer, finish=None if args.baseline is None else compare_and_report)
    value = "n/a" if result.primary_value is None else f"{result.primary_value:.4f}"
    total = sum(timer.durations.values())
    print(
        f"{result.primary} {value} | model sha256 {result.model_sha256[:12]} | artifacts in {args.artifacts} ({total:.1f}s)"
    )
    if not compared:
        return 0
    comparison = compared[0].dump()
    print("\n".join(terminal_summary(comparison)))
    print(f"report written to {args.artifacts / files.REPORT} ({chars[0]:,} characters)")
    sys.stdout.flush()
    failed = gate_failure(comparison)
    if failed is not None:
        raise failed
    return 0
