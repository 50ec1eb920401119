"""Where a run came from: commit and package versions, for run.json and the records."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

TRACKED_PACKAGES = ("mlci", "scikit-learn", "numpy", "pandas", "scipy", "skops", "pydantic", "matplotlib")


def git_commit(root: Path) -> str:
    """GITHUB_SHA in CI, else the checkout's HEAD (with '-dirty' if it has local changes), else 'unknown'."""
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
