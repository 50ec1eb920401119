"""`mlci run`: train, evaluate and record a model from params.yaml."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlci.config import load_params


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="train, evaluate and write artifacts (model, metrics, plots, card)")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file (default: params.yaml)")
    parser.add_argument("--out", type=Path, default=Path("artifacts"), help="artifacts folder (default: artifacts)")
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
    return 0
