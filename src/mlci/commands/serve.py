"""`mlci serve`: verify the model, then serve it over HTTP with uvicorn."""

from __future__ import annotations

import argparse

from mlci.commands import Subparsers
from mlci.serve import server


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("serve", help=server.HELP, description=server.DESCRIPTION)
    server.add_arguments(parser)
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    return server.serve(args.artifacts)
