"""Write one run's outputs into a temp folder, then swap it in: a failed run leaves the old folder intact."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlci.errors import ArtifactError

FORMAT_VERSION = 1


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def dumps_json(payload: Any) -> str:
    """Stable JSON: sorted keys, fixed indentation, trailing newline (byte-identical for equal data)."""
    return json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def load_json(path: Path, missing: str) -> Any:
    """A JSON file mlci wrote, parsed; every way it can fail to read is one ArtifactError naming the file.

    `missing` says what to do when the file is absent (e.g. "run `mlci run` first").
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing; {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: cannot read: {exc.__class__.__name__}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None


def read_json_object(path: Path, missing: str) -> dict[str, Any]:
    """`load_json`, and the file must hold a JSON object."""
    payload = load_json(path, missing)
    if not isinstance(payload, dict):
        raise ArtifactError(f"{path}: expected a JSON object")
    return payload


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write one file via a temp file in the same folder and a rename."""
    blob = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
        Path(temp).chmod(0o666 & ~_umask())  # mkstemp makes 0600; the file gets the usual mode
        Path(temp).replace(path)
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot write: {exc.strerror or exc}") from None


class RunFolder:
    """A staging folder that becomes `out` only when the `staged` block finishes without error."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write(self, name: str, data: bytes | str) -> Path:
        target = self.path(name)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return target

    def write_json(self, name: str, payload: Any) -> Path:
        return self.write(name, dumps_json(payload))


@contextmanager
def staged(out: Path) -> Iterator[RunFolder]:
    out = out.absolute()
    if out.exists() and not out.is_dir():
        raise ArtifactError(f"{out}: output path exists and is not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        temp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; the final folder gets the usual mode
    except OSError as exc:
        raise ArtifactError(f"{out}: cannot write the output folder: {exc.strerror or exc}") from None
    try:
        yield RunFolder(temp)
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            out.replace(old)
        temp.replace(out)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise ArtifactError(f"{out}: cannot write the output folder: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
