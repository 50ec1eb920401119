#!/usr/bin/env python3
"""upload-artifact and download-artifact as their README documents them, over a folder instead of GitHub's store.

Store: $MLCI_FAKE_STATE/artifacts/<run id>/<name>/ (the files, laid out from the artifact's root) and
<name>.json (id, retention, file list). The fake GitHub API lists the same folder, so `gh run download` and the
artifacts REST endpoint see exactly what the workflow uploaded.

upload (actions/upload-artifact v4+): `path` is one or more lines, globs allowed, `!pattern` excludes. One search
path: a folder is the root, a file's folder is the root. Several: the root is the least common ancestor of their
search paths (the part of each before its first wildcard). Hidden files are left out unless include-hidden-files.
if-no-files-found: warn (default), error, ignore. A second upload of the same name in a run fails unless
overwrite. retention-days: 1 to 90 (0 or empty: the repository default, 90).

download (actions/download-artifact v4+): by name into `path` (default the workspace), or every artifact of the
run into path/<name>/ (merge-multiple: all into path); run-id reads another run's artifacts (with github-token).
A missing name fails, as the real action does.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import shutil
import sys
import zlib
from pathlib import Path

GLOB_CHARS = "*?["


def fail(message: str) -> None:
    print(f"::error::{message}", flush=True)
    sys.exit(1)


def output(name: str, value: str) -> None:
    with Path(os.environ["GITHUB_OUTPUT"]).open("a", encoding="utf-8") as handle:
        handle.write(f"{name}={value}\n")


def store(run_id: str) -> Path:
    return Path(os.environ["MLCI_FAKE_STATE"]) / "artifacts" / run_id


def workspace_path(raw: str) -> Path:
    path = Path(os.path.expanduser(raw))
    return path if path.is_absolute() else Path(os.environ["GITHUB_WORKSPACE"]) / path


def search_path(pattern: str) -> Path:
    """The part of a pattern before its first wildcard (upload-artifact's search path)."""
    parts = Path(pattern).parts
    kept: list[str] = []
    for part in parts:
        if any(c in part for c in GLOB_CHARS):
            break
        kept.append(part)
    return Path(*kept) if kept else Path("/")


def hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def upload() -> None:
    name = os.environ["INPUT_NAME"] or "artifact"
    lines = [line.strip() for line in os.environ["INPUT_PATH"].splitlines() if line.strip()]
    includes = [str(workspace_path(line)) for line in lines if not line.startswith("!")]
    excludes = [str(workspace_path(line[1:])) for line in lines if line.startswith("!")]
    if not includes:
        fail("upload-artifact: no path given")
    behaviour = os.environ.get("INPUT_IF_NO_FILES_FOUND") or "warn"
    if behaviour not in {"warn", "error", "ignore"}:
        fail(f"upload-artifact: unrecognized if-no-files-found input {behaviour!r}")
    with_hidden = (os.environ.get("INPUT_INCLUDE_HIDDEN_FILES") or "false") == "true"
    retention_raw = os.environ.get("INPUT_RETENTION_DAYS") or "0"
    if not retention_raw.isdigit() or int(retention_raw) > 90:
        fail(f"upload-artifact: invalid retention-days {retention_raw!r} (1 to 90)")
    retention = int(retention_raw) or 90

    searches = [search_path(pattern) for pattern in includes]
    files: set[Path] = set()
    for pattern in includes:
        for match in glob.glob(pattern, recursive=True):
            found = Path(match)
            files |= {p for p in found.rglob("*") if p.is_file()} if found.is_dir() else {found}
    files = {f for f in files if not any(fnmatch.fnmatch(str(f), ex) or str(f).startswith(ex + "/") for ex in excludes)}
    if len(searches) == 1:
        root = searches[0] if searches[0].is_dir() else searches[0].parent
    else:
        root = Path(os.path.commonpath([str(s) for s in searches]))
    if not with_hidden:
        files = {f for f in files if not hidden(f, root)}
    if not files:
        message = f"No files were found with the provided path: {os.environ['INPUT_PATH'].strip()}. No artifacts will be uploaded."
        if behaviour == "error":
            fail(message)
        if behaviour == "warn":
            print(f"::warning::{message}")
        return

    run_id = os.environ["GITHUB_RUN_ID"]
    target = store(run_id) / name
    meta = store(run_id) / f"{name}.json"
    if meta.exists():
        if (os.environ.get("INPUT_OVERWRITE") or "false") != "true":
            fail(f"Failed to CreateArtifact: an artifact with this name already exists on the workflow run: {name}")
        shutil.rmtree(target, ignore_errors=True)
    relative = sorted(str(f.relative_to(root)) for f in files)
    for rel in relative:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target / rel)
    artifact_id = zlib.crc32(f"{run_id}/{name}".encode()) % 10_000_000
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(
        json.dumps({"id": artifact_id, "name": name, "retention_days": retention, "files": relative}), encoding="utf-8"
    )
    print(f"Artifact {name} uploaded: {len(relative)} file(s) from root {root}, kept {retention} days")
    output("artifact-id", str(artifact_id))
    output(
        "artifact-url",
        f"https://github.com/{os.environ['GITHUB_REPOSITORY']}/actions/runs/{run_id}/artifacts/{artifact_id}",
    )


def download() -> None:
    name = os.environ.get("INPUT_NAME") or ""
    run_id = os.environ.get("INPUT_RUN_ID") or os.environ["GITHUB_RUN_ID"]
    if os.environ.get("INPUT_RUN_ID") and not os.environ.get("INPUT_GITHUB_TOKEN"):
        fail("download-artifact: github-token is required to download from another workflow run (run-id)")
    dest = workspace_path(os.environ.get("INPUT_PATH") or ".")
    runs = store(run_id)
    if name:
        if not (runs / f"{name}.json").exists():
            fail(f"Unable to download artifact(s): Artifact not found for name: {name}")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copytree(runs / name, dest, dirs_exist_ok=True)
        print(f"Artifact {name} of run {run_id} downloaded to {dest}")
    else:
        pattern = os.environ.get("INPUT_PATTERN") or "*"
        merge = (os.environ.get("INPUT_MERGE_MULTIPLE") or "false") == "true"
        names = sorted(m.stem for m in runs.glob("*.json") if fnmatch.fnmatch(m.stem, pattern)) if runs.is_dir() else []
        for each in names:
            shutil.copytree(runs / each, dest if merge else dest / each, dirs_exist_ok=True)
        print(f"{len(names)} artifact(s) of run {run_id} downloaded to {dest}")
    output("download-path", str(dest))


if __name__ == "__main__":
    {"upload": upload, "download": download}[sys.argv[1]]()
