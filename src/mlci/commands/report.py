"""`mlci report`: render comparison.json and the check summaries into report.md (PR comment, job summary)."""

from __future__ import annotations

import argparse

from mlci.commands import Subparsers, common_flags
from mlci.config import load_params


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "report", parents=common_flags(), help="write report.md (markdown for the PR comment) from comparison.json"
    )
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from mlci.comparison.report import write_report
    from mlci.core import artifacts as files

    try:
        out, text = write_report(load_params(args.params), args.artifacts)
    except BaseException:
        # An earlier report.md would be posted as this run's by the next CI step.
        files.discard(args.artifacts, files.REPORT)
        raise
    print(f"report written to {out} ({len(text):,} characters)")
    return 0
