"""Both locks match their manifests (`uv lock --check`): the core's and deepchecks' own environment's.

A manifest edited without relocking fails here, not later in `make setup --frozen` or in a Dependabot PR.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from synthetic import ROOT

PROJECTS = [ROOT, ROOT / "checks-env"]


def uv() -> str:
    """The uv `make setup` uses: on PATH, else the one it installed into .tools/."""
    found = shutil.which("uv") or (
        str(ROOT / ".tools" / "bin" / "uv") if (ROOT / ".tools" / "bin" / "uv").is_file() else None
    )
    if found is None:
        pytest.fail("uv not found: run `make setup` (it installs uv into .tools/)")
    return found


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.relative_to(ROOT).as_posix() or ".")
def test_lock_is_in_sync_with_its_manifest(project: Path) -> None:
    # UV_PROJECT_ENVIRONMENT and VIRTUAL_ENV point at one environment; a check of the lock needs neither.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV", "UV_FROZEN", "UV_LOCKED")
    }
    done = subprocess.run(
        [uv(), "lock", "--check", "--project", str(project)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, (
        f"{project / 'uv.lock'} is out of date: run `uv lock --project {project}`\n{done.stderr}"
    )


def test_dependabot_watches_both_locks() -> None:
    import yaml

    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    uv_dirs = {
        d
        for update in config["updates"]
        if update["package-ecosystem"] == "uv"
        for d in update.get("directories", [update.get("directory")])
    }
    assert uv_dirs == {"/", "/checks-env"}
