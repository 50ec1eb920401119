"""`mlci compare --baseline DIR`: score main's model on this run's holdout rows and write comparison.json."""

from __future__ import annotations

import argparse

from mlci.commands import Subparsers, baseline_flags, common_flags
from mlci.config import load_params


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        parents=[baseline_flags("omit it when there is no baseline (first PR): the gate then passes"), *common_flags()],
        help="compare this run with a baseline run on the same holdout rows (paired statistics) -> comparison.json",
    )
    parser.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    from mlci.comparison.compare import compare_folders, gate_failure
    from mlci.comparison.report import terminal_summary
    from mlci.core import artifacts as files

    try:
        comparison = compare_folders(load_params(args.params), args.artifacts, args.baseline, args.baseline_source)
    except BaseException:
        # No earlier comparison.json (or report.md rendered from it) may survive a failed compare: `mlci report`
        # and `mlci govern` would read it as this run's and could pass a gate that never ran.
        files.discard(args.artifacts, files.COMPARISON, files.REPORT)
        raise
    payload = comparison.dump()
    print("\n".join(terminal_summary(payload)))
    print(f"comparison written to {args.artifacts / files.COMPARISON}")
    failed = gate_failure(payload)
    if failed is not None:
        raise failed
    return 0
