"""Errors a user can fix. The CLI prints them as one line and exits with their code, no traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_OK = 0
EXIT_FAILED = 1  # a gate or check condition failed
EXIT_USAGE = 2  # bad input: config, data, arguments, files


class MlciError(Exception):
    """A problem in the user's input or environment, reported without a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(MlciError):
    """params.yaml is missing, malformed or invalid."""


class DataError(MlciError):
    """The data file cannot be read or does not match what params.yaml declares."""


class ArtifactError(MlciError):
    """An artifacts folder is missing, incomplete, tampered with or cannot be written."""


class GateFailed(MlciError):
    """A check or gate condition failed: exit 1."""

    exit_code = EXIT_FAILED


def exit_code_of(command: Callable[[], int]) -> int:
    """Run a command and give its exit code; a user error is one line on stderr and its code, no traceback."""
    try:
        return command()
    except MlciError as exc:
        print(f"mlci: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mlci: interrupted", file=sys.stderr)
        return 130
