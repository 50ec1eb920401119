"""`mlci init DATA --target COL`: adopt the template on a team's own table in one command."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlci.commands import Subparsers


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "init",
        help="adopt the template on your table: copy it into data/, write params.yaml, schema, data card and tests",
    )
    parser.add_argument("data", type=Path, metavar="DATA", help="your table (.csv)")
    parser.add_argument("--target", required=True, metavar="COL", help="the column to predict")
    parser.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="default auto: text or up to 20 whole-number values -> classification, other numbers -> regression",
    )
    parser.add_argument(
        "--id", dest="id_column", default=None, metavar="COL", help="a stable unique row id column (omit: derived keys)"
    )
    parser.add_argument("--force", action="store_true", help="replace a project that is no longer the bundled example")
    parser.add_argument(
        "--project", type=Path, default=Path(), metavar="DIR", help="the repository root (default: current folder)"
    )
    parser.set_defaults(func=_init)


def _init(args: argparse.Namespace) -> int:
    from mlci.adopt.project import init_project, summary

    result = init_project(
        args.project, args.data, target=args.target, task=args.task, id_column=args.id_column, force=args.force
    )
    print("\n".join(summary(result, args.project)))
    return 0
