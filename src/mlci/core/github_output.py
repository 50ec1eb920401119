"""Step outputs for GitHub Actions: `key=value` lines appended to the file $GITHUB_OUTPUT names, which later
steps read as `steps.<id>.outputs.<key>`. Every command's `--github-output` writes through here."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from mlci.core.errors import MlciError

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def output_lines(outputs: Mapping[str, str]) -> str:
    """The `key=value` lines for `outputs`. A value with a line break is refused: in the file it would end the
    value early and let the rest set another output."""
    lines = []
    for key, value in outputs.items():
        if not KEY.fullmatch(key):
            raise MlciError(f"step output name {key!r} is not a plain name")
        if "\n" in value or "\r" in value:
            raise MlciError(f"step output {key}: the value {value[:80]!r} has a line break; not writing it")
        lines.append(f"{key}={value}\n")
    return "".join(lines)


def write_github_output(outputs: Mapping[str, str], environ: Mapping[str, str] = os.environ) -> None:
    """Append `outputs` to $GITHUB_OUTPUT in one write (a reader never sees half of them), or print them when it
    is unset (outside Actions)."""
    text = output_lines(outputs)
    target = environ.get("GITHUB_OUTPUT")
    if not target:
        print(text, end="")
        return
    blob = text.encode("utf-8")
    try:
        handle = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            written = os.write(handle, blob)
        finally:
            os.close(handle)
    except OSError as exc:
        raise MlciError(f"{target}: cannot write the step outputs: {exc.strerror or exc}") from None
    if written != len(blob):
        raise MlciError(f"{target}: the step outputs were cut short ({written} of {len(blob)} bytes written)")
