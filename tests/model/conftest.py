"""Fixtures for the behavioral tests: the project's own params.yaml, data and trained model.

These tests are the project's, not the template's: they read the root params.yaml and data/, so they follow
the data set a team brings (`mlci init`). The model is the one in `MLCI_ARTIFACTS` (CI runs them after
`mlci run`), or one trained once per session from params.yaml.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mlci.config import Params, load_params
from mlci.core.artifacts import RunFile, read_model
from mlci.core.model_io import load_model_dir
from mlci.core.progress import StageTimer
from mlci.data.dataset import Dataset, load_dataset
from mlci.data.sample import pick, recorded
from mlci.data.split import split_dataset
from mlci.training.run import run_pipeline

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def project() -> Params:
    return load_params(PROJECT / "params.yaml")


@pytest.fixture(scope="session")
def artifacts(project: Params, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("MLCI_ARTIFACTS")
    if folder:
        return Path(folder)
    out = tmp_path_factory.mktemp("project") / "artifacts"
    run_pipeline(project, out, StageTimer(quiet=True))
    return out


@pytest.fixture(scope="session")
def model(artifacts: Path) -> Any:
    return load_model_dir(artifacts)


@pytest.fixture(scope="session")
def dataset(project: Params) -> Dataset:
    return load_dataset(project)


@pytest.fixture(scope="session")
def holdout(project: Params, dataset: Dataset, artifacts: Path) -> Dataset:
    """The model's holdout rows; for a run on a `data.sample` (a pull request's), the sample's part of them."""
    run = read_model(RunFile, artifacts / "run.json", "run `mlci run` first")
    sample = recorded(run.data.sample)
    keep = None if sample is None else pick(dataset, sample)
    return split_dataset(dataset, project.split, project.data.task == "classification", keep=keep).test


@pytest.fixture(scope="session")
def metrics(artifacts: Path) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((artifacts / "metrics.json").read_text(encoding="utf-8"))
    return payload
