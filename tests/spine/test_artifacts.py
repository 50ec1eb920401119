"""Atomic writes: a file or folder is either the old one or the complete new one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlci.core.artifacts import dumps_json, read_json_object, staged, write_atomic
from mlci.core.errors import ArtifactError


def _current_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    write_atomic(target, dumps_json({"b": 1, "a": [1.5]}))
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]
    assert target.stat().st_mode & 0o777 == 0o666 & ~_current_umask()


def test_write_atomic_names_the_file_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArtifactError, match=r"file/out\.md: cannot write"):
        write_atomic(tmp_path / "file" / "out.md", "text")


def test_dumps_json_is_sorted_and_rejects_nan() -> None:
    assert dumps_json({"b": 1, "a": 2}) == '{\n  "a": 2,\n  "b": 1\n}\n'
    with pytest.raises(ValueError, match="Out of range float"):
        dumps_json({"x": float("nan")})


def test_staged_failure_keeps_old_folder(tmp_path: Path) -> None:
    out = tmp_path / "artifacts"
    with staged(out) as folder:
        folder.write("a.txt", "old")
    with pytest.raises(RuntimeError), staged(out) as folder:
        folder.write("a.txt", "new")
        raise RuntimeError("stage failed")
    assert (out / "a.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"x\.json: missing; run `mlci run` first"),
        ("dir", r"x\.json: cannot read: IsADirectoryError"),
        (b"\xff\xfe", r"x\.json: cannot read: UnicodeDecodeError"),
        ('{"a": 1,\n', r"x\.json: not valid JSON \(line 2: "),
        ("[1, 2]", r"x\.json: expected a JSON object"),
        ('{"a": NaN}', r"x\.json: non-standard JSON constant NaN \(not a finite number\)"),
        ('{"a": -Infinity}', r"x\.json: non-standard JSON constant -Infinity"),
    ],
)
def test_read_json_object_names_the_file_and_the_fault(
    tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "x.json"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ArtifactError, match=message):
        read_json_object(path, "run `mlci run` first")


def test_read_json_object_reads_an_object(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(dumps_json({"b": [1.5], "a": None}))
    assert read_json_object(tmp_path / "x.json", "") == {"a": None, "b": [1.5]}
