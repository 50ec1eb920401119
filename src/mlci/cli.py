"""The `mlci` entry point. Subcommands mirror CI steps; user errors print one line, never a traceback."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType

from mlci import __version__
from mlci.core.errors import exit_code_of


def all_commands() -> tuple[ModuleType, ...]:
    """Every subcommand module, in `mlci --help` order. Imported when a parser is built, so importing this
    module alone stays cheap."""
    from mlci.commands import check, compare, config, govern, image, init, records, report, run, serve

    return (init, run, config, check, compare, report, govern, serve, image, records)


def build_parser(commands: Sequence[ModuleType] | None = None) -> argparse.ArgumentParser:
    """The parser for `commands` (modules with `register(subparsers)`); all of them by default."""
    parser = argparse.ArgumentParser(
        prog="mlci",
        description="Train, check, compare, govern and ship a scikit-learn model. Exit codes: 0 ok, 1 a gate or check failed, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"mlci {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in all_commands() if commands is None else commands:
        command.register(subparsers)
    return parser


def help_pages(parser: argparse.ArgumentParser | None = None, width: int = 100) -> Iterator[tuple[str, str]]:
    """(command, its `--help` text at `width` columns) for `mlci` and every subcommand, depth first, in `--help`
    order: what docs/cli.md is generated from, so the reference cannot drift from the parser."""
    parser = build_parser() if parser is None else parser
    parser.formatter_class = functools.partial(argparse.HelpFormatter, width=width)
    yield parser.prog, parser.format_help()
    # argparse has no public way to list a parser's subcommands; its actions are what sphinx-argparse and
    # argparse's own help read, stable across 3.11-3.13.
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                yield from help_pages(child, width)


def main(argv: Sequence[str] | None = None, commands: Sequence[ModuleType] | None = None) -> int:
    args = build_parser(commands).parse_args(argv)
    return exit_code_of(lambda: int(args.func(args)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
