"""One module per CLI subcommand, each with `register(subparsers)`. A command only parses its arguments, calls
a stage, prints and maps the outcome to an exit code; the stages live outside this package and never import it.
The flags several commands share are declared once here and added as argparse parents."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TypeAlias

# A string: argparse's action class is subscriptable only for type checkers before Python 3.12.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def params_flag() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file (default: params.yaml)")
    return parent


def artifacts_flag() -> argparse.ArgumentParser:
    """`--artifacts DIR`, the run's folder; `--out` is the same flag (the name `mlci run` has always taken)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--artifacts",
        "--out",
        dest="artifacts",
        type=Path,
        default=Path("artifacts"),
        metavar="DIR",
        help="the run's artifacts folder (default: artifacts; --out is an alias)",
    )
    return parent


def common_flags() -> list[argparse.ArgumentParser]:
    """--params and --artifacts, as most commands take them."""
    return [params_flag(), artifacts_flag()]


def baseline_flags(when: str) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"artifacts folder of the baseline run (main's); {when}",
    )
    parent.add_argument(
        "--baseline-source",
        default=None,
        metavar="TEXT",
        help="where the baseline came from, shown in the report (e.g. 'artifact of main run 123', 'rebuilt from main at abc123')",
    )
    return parent


def github_output_flag() -> argparse.ArgumentParser:
    """`--github-output`: the command's results become step outputs (`mlci.core.github_output`)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--github-output",
        action="store_true",
        help="also append the results as step outputs (KEY=VALUE) to $GITHUB_OUTPUT (printed when it is unset)",
    )
    return parent
