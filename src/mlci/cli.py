"""The `mlci` entry point. Subcommands mirror CI steps; user errors print one line, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mlci import __version__
from mlci.commands import check, compare, config, govern, report, run
from mlci.commands import image as image_command
from mlci.commands import serve as serve_command
from mlci.errors import MlciError

COMMANDS = (run, config, check, compare, report, govern, serve_command, image_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlci",
        description="Train, check, compare, govern and ship a scikit-learn model. Exit codes: 0 ok, 1 a gate or check failed, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"mlci {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MlciError as exc:
        print(f"mlci: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mlci: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
