"""`mlci check data|model|drift`: gate a PR on the data schema, deepchecks suites and the gates floors.

The stage (`mlci.checks.stage`) writes one summary per suite; this prints one headline per suite and one line
per failed check, and exits 1 when any fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlci.checks.outcome import SuiteSummary
from mlci.commands import Subparsers, common_flags
from mlci.config import load_params
from mlci.core.errors import EXIT_FAILED, EXIT_OK


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="data schema + deepchecks suites (data), model evaluation + gates (model), drift"
    )
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    data = kinds.add_parser(
        "data",
        parents=common_flags(),
        help="schema, data_integrity on the whole set, train_test_validation on the split",
    )
    data.add_argument(
        "--infer", action="store_true", help="write a starting schema (checks.schema_file) from the current data"
    )
    data.add_argument("--force", action="store_true", help="with --infer: overwrite an existing schema file")
    data.set_defaults(func=_check_data)
    model = kinds.add_parser(
        "model",
        parents=common_flags(),
        help="model_evaluation on the trained model and holdout, plus the gates: floors",
    )
    model.set_defaults(func=_check_model)
    drift = kinds.add_parser(
        "drift",
        parents=common_flags(),
        help="train/test drift checks between a reference data set and the current one",
    )
    drift.add_argument("--reference", type=Path, required=True, help="reference data file (e.g. the data on main)")
    drift.set_defaults(func=_check_drift)


def _report(summaries: list[SuiteSummary], artifacts: Path) -> int:
    """Headlines, then one line per failed check; 1 if anything failed."""
    from mlci.core.artifacts import CHECKS

    for summary in summaries:
        print(summary.headline())
    failures = [(s.suite, o) for s in summaries for o in s.failures]
    for suite, outcome in failures:
        print(f"FAILED {suite}: {outcome.check}: {outcome.line()}")
    print(f"reports in {artifacts / CHECKS}")
    sys.stdout.flush()
    return EXIT_FAILED if failures else EXIT_OK


def _check_data(args: argparse.Namespace) -> int:
    from mlci.checks import stage

    params = load_params(args.params)
    if args.infer:
        path, columns = stage.infer_schema(params, args.force)
        print(f"wrote {path} ({columns} columns); review the ranges and allowed values")
        return EXIT_OK
    return _report(stage.check_data(params, args.artifacts), args.artifacts)


def _check_model(args: argparse.Namespace) -> int:
    from mlci.checks import stage

    return _report(stage.check_model(load_params(args.params), args.artifacts), args.artifacts)


def _check_drift(args: argparse.Namespace) -> int:
    from mlci.checks import stage

    return _report(stage.check_drift(load_params(args.params), args.artifacts, args.reference), args.artifacts)
