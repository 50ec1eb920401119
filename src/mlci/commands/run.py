"""`mlci run`: train, evaluate and record a model from params.yaml."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mlci.commands import Subparsers, baseline_flags, common_flags
from mlci.config import Params, load_params
from mlci.config.training import SampleParams


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        parents=[*common_flags(), baseline_flags("when given, compare with it and write report.md after the run")],
        help="train, evaluate and write artifacts (model, metrics, plots, card)",
    )
    sampling = parser.add_mutually_exclusive_group()
    sampling.add_argument(
        "--sample",
        nargs="?",
        const="on",
        default=None,
        metavar="ROWS[:SEED]",
        help="train on data.sample's sample, as a pull request run does (or on ROWS rows picked with SEED);"
        " default: MLCI_SAMPLE (on, off, ROWS[:SEED]) if set, else data.sample.events against GITHUB_EVENT_NAME",
    )
    sampling.add_argument(
        "--no-sample", dest="sample", action="store_const", const="off", help="train on every row, whatever the event"
    )
    parser.set_defaults(func=_run)


def _sample(args: argparse.Namespace, params: Params) -> SampleParams | None:
    """The sample this run trains on: the flag, else MLCI_SAMPLE, else the GitHub event against data.sample."""
    from mlci.data import sample

    configured = params.data.sample
    env = os.environ.get("MLCI_SAMPLE", "").strip()
    if args.sample is not None:
        request = sample.parse_request(args.sample, "--sample", configured)
    elif env:
        request = sample.parse_request(env, "MLCI_SAMPLE", configured)
    else:
        request = None
    return sample.chosen(configured, request, os.environ.get("GITHUB_EVENT_NAME"))


def _run(args: argparse.Namespace) -> int:
    from mlci.comparison.compare import compare_folders, gate_failure, read_baseline
    from mlci.comparison.report import terminal_summary, write_report
    from mlci.core import artifacts as files
    from mlci.core.artifacts import ComparisonFile
    from mlci.core.progress import StageTimer
    from mlci.training.run import run_pipeline

    params = load_params(args.params)
    sample = _sample(args, params)
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

    result = run_pipeline(
        params, args.artifacts, timer, finish=None if args.baseline is None else compare_and_report, sample=sample
    )
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
