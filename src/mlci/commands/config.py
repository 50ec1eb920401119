"""`mlci config`: validate params.yaml or print its JSON schema."""

from __future__ import annotations

import argparse
import json

from mlci.commands import Subparsers, params_flag
from mlci.config import Params, load_params


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "config", parents=[params_flag()], help="validate params.yaml (--check) or print its JSON schema (--schema)"
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="validate params.yaml, the data columns and the estimator")
    mode.add_argument("--schema", action="store_true", help="print the JSON schema of params.yaml")
    parser.set_defaults(func=_config)


def _config(args: argparse.Namespace) -> int:
    if args.schema:
        print(json.dumps(Params.model_json_schema(), indent=2, sort_keys=True))
        return 0
    from mlci.data.dataset import load_dataset
    from mlci.training import train

    params = load_params(args.params)
    data = load_dataset(params)
    train.check(params, data)
    print(
        f"{args.params}: ok ({data.rows} rows, {len(data.numeric)} numeric + {len(data.categorical)} categorical features)"
    )
    return 0
