"""Fakes for the scripts the workflows call: `gh`, `cosign` and `mlci` on PATH log their arguments and answer from
environment variables; artifacts are stored the way upload-artifact lays them out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from workflow_policy import ROOT, WORKFLOWS, load, upload_of

SCRIPTS = ROOT / "scripts"
REAL_MLCI = Path(sys.executable).parent / "mlci"
DIGEST = "sha256:" + "ab" * 32
COMMIT = "c0ffee" + "0" * 34

FAKE_GH = r"""#!/usr/bin/env bash
printf 'gh %s\n' "$*" >>"$FAKE_LOG"
for ((i = 1; i < $#; i++)); do if [[ "${!i}" == --body-file ]]; then j=$((i + 1)); cat "${!j}" >>"$FAKE_LOG.body"; fi; done
case "$1 $2" in
  "run list") [[ -n "${FAKE_RUN_ID:-}" ]] && echo "$FAKE_RUN_ID"; exit "${FAKE_RUN_LIST_EXIT:-0}" ;;
  "run download")
    while (($#)); do case "$1" in --name) name=$2; shift ;; --dir) dir=$2; shift ;; esac; shift; done
    [[ -d "$FAKE_ARTIFACTS/$name" ]] || exit 1
    mkdir -p "$dir" && cp -r "$FAKE_ARTIFACTS/$name/." "$dir/" ;;
  "release view")
    if [[ "$3" == --json ]]; then [[ -n "${FAKE_LATEST_RELEASE:-}" ]] || exit 1; echo "$FAKE_LATEST_RELEASE"
    else [[ " ${FAKE_EXISTING_RELEASES:-} " == *" $3 "* ]] || exit 1; fi ;;
  "issue list") echo "${FAKE_OPEN_ISSUE:-}" ;;
  api*) [[ -n "${FAKE_API:-}" ]] && printf '%s\n' "$FAKE_API"; exit "${FAKE_API_EXIT:-0}" ;;
esac
exit 0
"""
# The commands that only check and read local files (`mlci records read|sample`, `mlci image ref`) are the real mlci,
# unlogged. `mlci records pull` writes the records the registry holds for the image ($FAKE_RECORDS/<tag>/) into
# --out, or refuses with mlci's one line and exit 1 when that image has none; every other call is FAKE_TOOL's.
FAKE_MLCI = r"""#!/usr/bin/env bash
case "$1 $2" in "records read" | "records sample" | "image ref") exec "$FAKE_REAL_MLCI" "$@" ;; esac
printf 'mlci %s\n' "$*" >>"$FAKE_LOG"
if [[ "$1 $2" == "records pull" ]]; then
  while (($#)); do case "$1" in --tag) tag=$2; shift ;; --out) out=$2; shift ;; esac; shift; done
  if [[ ! -d "${FAKE_RECORDS:-/nonexistent}/$tag" ]]; then
    echo "mlci: error: image:$tag has no release records attached" >&2; exit 1
  fi
  mkdir -p "$out" && cp -r "$FAKE_RECORDS/$tag/." "$out/"; exit 0
fi
if [[ -n "${FAKE_STDOUT:-}" ]]; then printf '%s\n' "$FAKE_STDOUT"; fi
exit "${FAKE_EXIT:-0}"
"""
FAKE_TOOL = r"""#!/usr/bin/env bash
printf '%s %s\n' "$(basename "$0")" "$*" >>"$FAKE_LOG"
if [[ -n "${FAKE_STDOUT:-}" ]]; then printf '%s\n' "$FAKE_STDOUT"; fi
exit "${FAKE_EXIT:-0}"
"""

Runner = Callable[..., subprocess.CompletedProcess[str]]
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_IDENTITY}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def fakes(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    for name, text in {"gh": FAKE_GH, "cosign": FAKE_TOOL, "mlci": FAKE_MLCI}.items():
        (bin_dir / name).write_text(text, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    return tmp_path


@pytest.fixture
def run_script(fakes: Path) -> Runner:
    def runner(script: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "FAKE_"))}
        full_env.update(
            PATH=f"{fakes / 'fakebin'}:{os.environ['PATH']}",
            FAKE_LOG=str(fakes / "log"),
            FAKE_REAL_MLCI=str(REAL_MLCI),
            **env,
        )
        return subprocess.run(
            [str(SCRIPTS / script)],
            cwd=cwd or fakes,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return runner


def calls(fakes: Path) -> list[str]:
    log = fakes / "log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


def artifact(fakes: Path, name: str, files: dict[str, str]) -> None:
    folder = fakes / "artifacts-store" / name
    folder.mkdir(parents=True)
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")


def uploaded(fakes: Path, workflow: str, name: str, written: dict[str, str]) -> None:
    """Store the artifact `name` as `workflow` uploads it: `written` ({absolute runner path: text}) laid out by
    upload-artifact's rule (workflow_policy.artifact_layout), so scripts read the real layout."""
    layout = upload_of(load(WORKFLOWS / workflow), name).layout(list(written))
    for file, inside in layout.items():
        target = fakes / "artifacts-store" / name / inside
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(written[file], encoding="utf-8")


def attached_records(fakes: Path, tag: str, files: dict[str, str]) -> None:
    """The records image.yml attached to the image tagged `tag`, as the fake `mlci records pull` reads them."""
    folder = fakes / "records-store" / tag
    folder.mkdir(parents=True, exist_ok=True)
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")


class FakeIssues:
    """GitHub's REST issues endpoints for o/r, one page: `open` is what GET /issues returns; every write is logged
    as (method, path, json body) and a created issue gets number 41."""

    def __init__(self) -> None:
        self.open: list[dict[str, Any]] = []
        self.writes: list[tuple[str, str, dict[str, Any]]] = []
        self.url = ""


@pytest.fixture
def fake_issues() -> Iterator[FakeIssues]:
    fake = FakeIssues()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            blob = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(blob)

        def do_GET(self) -> None:
            self._answer(200, fake.open if self.path.startswith("/repos/o/r/issues?") else [])

        def _write(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.writes.append((self.command, self.path, body))
            self._answer(201, {"number": 41, "html_url": "https://github.test/o/r/issues/41"})

        def do_POST(self) -> None:
            self._write()

        def do_PATCH(self) -> None:
            self._write()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
