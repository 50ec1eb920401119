"""A team adopting the template, step by step: generated tables of the shapes teams bring, and the whole local
pipeline run on a copy of this repository after `mlci init`. Shared by the self-test and bench/bench_adopt.py.

A plain module (not conftest.py) so that the benchmark can import it too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
# What a clone would not have, or what only this machine's runs made.
_NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv*", ".tools", "artifacts", ".artifacts*", "__pycache__", ".*_cache", ".coverage", "coverage.xml"
)


def _signal(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    tenure, spend, visits = rng.gamma(2.0, 12.0, rows), rng.normal(60, 20, rows), rng.poisson(4, rows)
    plan = rng.choice(["basic", "plus", "premium"], size=rows, p=[0.5, 0.3, 0.2])
    region = rng.choice(["north", "south", "east", "west", "centre"], size=rows)
    score = 0.04 * tenure - 0.03 * spend + 0.2 * visits + (plan == "premium") * 0.8 + rng.normal(0, 0.6, rows)
    frame = pd.DataFrame({"tenure_months": tenure.round(1), "monthly_spend": spend.round(2), "visits": visits})
    frame["plan"], frame["region"] = plan, region
    return frame, score


def binary_strings(rows: int = 800, seed: int = 1) -> pd.DataFrame:
    """Binary target with string labels and a string id column."""
    frame, score = _signal(rows, seed)
    frame.insert(0, "customer_id", [f"C-{i:05d}" for i in range(rows)])
    frame["outcome"] = np.where(score > np.median(score), "stayed", "churned")
    return frame


def multiclass_messy(rows: int = 900, seed: int = 2) -> pd.DataFrame:
    """Four string classes, missing values in numeric and categorical columns, no id, rows sorted by label."""
    frame, score = _signal(rows, seed)
    frame["segment"] = np.select(
        [score < -1.2, score < -0.4, score < 0.4], ["bronze", "silver", "gold"], default="platinum"
    )
    rng = np.random.default_rng(seed + 100)
    for column in ("monthly_spend", "region", "plan"):
        frame.loc[rng.random(rows) < 0.08, column] = np.nan
    return frame.sort_values("segment", kind="stable").reset_index(drop=True)


def regression(rows: int = 800, seed: int = 3) -> pd.DataFrame:
    """A numeric target, an integer id column and a categorical feature."""
    frame, score = _signal(rows, seed)
    frame.insert(0, "id", np.arange(10_000, 10_000 + rows))
    frame["lifetime_value"] = (score * 150 + 900).round(2)
    return frame


@dataclass(frozen=True)
class Shape:
    name: str
    make: Callable[[], pd.DataFrame]
    target: str
    id_column: str | None = None


SHAPES = (
    Shape("binary-string-labels", binary_strings, "outcome", "customer_id"),
    Shape("multiclass-missing-no-id-sorted", multiclass_messy, "segment"),
    Shape("regression", regression, "lifetime_value", "id"),
)

SERVE_ONE_ROW = """
import json, sys
from pathlib import Path
import pandas as pd
from fastapi.testclient import TestClient
from mlci.config import load_params
from mlci.serve.app import create_app
from mlci.serve.bundle import load_bundle

params = load_params(Path("params.yaml"))
bundle = load_bundle(Path("artifacts"), environ={})
row = pd.read_csv(params.data_path).iloc[0]
record = {c: None if pd.isna(row[c]) else (row[c].item() if hasattr(row[c], "item") else row[c]) for c in bundle.schema.columns}
with TestClient(create_app(bundle)) as client:
    answer = client.post("/predict", json={"records": [record]})
if answer.status_code != 200:
    sys.exit(f"/predict answered {answer.status_code}: {answer.text}")
print(json.dumps(answer.json()))
"""


def copy_repository(to: Path) -> Path:
    """The repository as a clone would have it, back to a fresh template: the bundled example (kept under
    tests/example) in place of whatever data this project adopted, so the self-test holds after `mlci init`."""
    if (ROOT / ".git").exists():
        # What git would commit (tracked, or new and not ignored): never local venvs, caches or bench results.
        listed = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=ROOT,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
        for name in filter(None, listed):
            source = ROOT / name
            if source.is_file():
                (to / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, to / name)
    else:
        shutil.copytree(ROOT, to, ignore=_NOT_IN_A_CLONE)
    example = to / "tests" / "example"
    shutil.rmtree(to / "data")
    shutil.copytree(example / "data", to / "data")
    shutil.copy(example / "params.yaml", to / "params.yaml")
    return to


@dataclass
class Adoption:
    """One project made from a copy of the template; `step` runs a command in it and records its duration."""

    root: Path
    durations: dict[str, float] = field(default_factory=dict)
    answer: dict[str, Any] = field(default_factory=dict)  # the serving app's answer to one row

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLCI_", "PYTEST_", "COV_CORE"))}
        env["PYTHONPATH"] = str(self.root / "src")  # the copy's code, not the installed editable one
        # deepchecks' environment (~0.9 GB) is not copied: the copy uses this checkout's, as it uses its .venv
        env["MLCI_CHECKS_PYTHON"] = str(ROOT / ".venv-checks" / "bin" / "python")
        env.pop("GITHUB_ACTIONS", None)
        env.pop("CI", None)
        return env

    def step(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, *args], cwd=self.root, env=env or self.env(), capture_output=True, text=True, check=False
        )
        self.durations[name] = time.perf_counter() - start
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
            raise AssertionError(f"{self.root.name}: `{name}` exited {done.returncode}\n{tail}")
        return done

    def mlci(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.step(name, "-m", "mlci.cli", *args)


def fill_in_licence(card: Path) -> None:
    text = card.read_text(encoding="utf-8")
    text = re.sub(r"^\| Licence \|.*$", "| Licence | CC0 1.0 (generated test data) |", text, flags=re.MULTILINE)
    card.write_text(text, encoding="utf-8")


def adopt_and_run(shape: Shape, folder: Path, baseline: Path) -> Adoption:
    """Everything a team does on its first pull request, on a fresh copy; raises AssertionError at the first
    failing step. `baseline` is the previous project's artifacts (the bundled example trained on main)."""
    project = Adoption(copy_repository(folder / "repo"))
    table = folder / f"{shape.name}.csv"
    shape.make().to_csv(table, index=False)
    project.mlci(
        "init", "init", str(table), "--target", shape.target, *(["--id", shape.id_column] if shape.id_column else [])
    )
    project.mlci("run", "run")
    project.mlci("check data", "check", "data")
    project.mlci("check model", "check", "model")
    env = project.env() | {"MLCI_ARTIFACTS": "artifacts"}
    project.step("behavioral tests", "-m", "pytest", "tests/model", "-q", "--no-cov", "-p", "no:cacheprovider", env=env)
    project.mlci("compare", "compare", "--baseline", str(baseline), "--baseline-source", "main before mlci init")
    project.mlci("report", "report")
    fill_in_licence(project.root / "data" / "README.md")
    project.mlci("govern", "govern")
    project.answer = json.loads(project.step("serve one row", "-c", SERVE_ONE_ROW).stdout)
    project.durations["total"] = sum(project.durations.values())
    return project


def example_baseline(folder: Path) -> Path:
    """The bundled example trained on a copy of the template: main's artifacts before a team adopts it."""
    project = Adoption(copy_repository(folder / "example"))
    project.mlci("run", "run", "--out", str(folder / "baseline"))
    return folder / "baseline"
