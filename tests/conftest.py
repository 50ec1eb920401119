"""Shared fixtures: the bundled project, small generated projects for every task, one trained run per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mlci.config import Params, load_params
from mlci.core.progress import StageTimer
from mlci.training.run import run_pipeline
from synthetic import EXAMPLE, ROOT, ProjectFactory, synthetic_frame, synthetic_params, write_project

__all__ = ["ROOT", "ProjectFactory", "synthetic_frame", "synthetic_params", "write_project"]


@pytest.fixture(autouse=True)
def _no_sampling_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mlci run` samples on a pull request's event or MLCI_SAMPLE: tests run as a local run does, wherever
    they run (CI sets GITHUB_EVENT_NAME); a test that wants a sample sets them itself."""
    monkeypatch.delenv("GITHUB_EVENT_NAME", raising=False)
    monkeypatch.delenv("MLCI_SAMPLE", raising=False)


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """make_project(task="binary", frame=None, edit=None) -> params.yaml path in a fresh folder."""

    def factory(
        task: str = "binary",
        frame: pd.DataFrame | None = None,
        edit: Callable[[dict[str, Any]], None] | None = None,
        name: str = "project",
    ) -> Path:
        params = synthetic_params(task)
        if edit is not None:
            edit(params)
        return write_project(tmp_path / name, synthetic_frame(task) if frame is None else frame, params)

    return factory


@pytest.fixture(scope="session")
def bundled_params() -> Params:
    return load_params(EXAMPLE / "params.yaml")


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, bundled_params: Params) -> Path:
    """artifacts/ of one `mlci run` on the bundled data, trained once per test session. Treat as read-only."""
    out = tmp_path_factory.mktemp("bundled") / "artifacts"
    run_pipeline(bundled_params, out, StageTimer(quiet=True))
    return out
