"""Shared fixtures: the bundled project, small generated projects for every task, one trained run per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from mlci.config import Params, load_params
from mlci.progress import StageTimer
from mlci.run import run_pipeline

ROOT = Path(__file__).resolve().parents[1]

ProjectFactory = Callable[..., Path]


def synthetic_frame(task: str, rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A small learnable table: two numeric signals, one noise column, one categorical column."""
    rng = np.random.default_rng(seed)
    x1, x2, noise = rng.normal(size=rows), rng.normal(size=rows), rng.normal(size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows)
    score = 2 * x1 - x2 + (colour == "red") * 1.0 + rng.normal(scale=0.3, size=rows)
    if task == "binary":
        target: Any = np.where(score > 0, "yes", "no")
    elif task == "multiclass":
        target = np.select([score < -1, score < 1], ["low", "mid"], default="high")
    else:
        target = score * 10 + 50
    return pd.DataFrame(
        {"row_id": np.arange(1000, 1000 + rows), "x1": x1, "x2": x2, "noise": noise, "colour": colour, "target": target}
    )


def synthetic_params(task: str) -> dict[str, Any]:
    """params.yaml content matching synthetic_frame(task)."""
    classification = task in ("binary", "multiclass")
    return {
        "data": {
            "path": "data.csv",
            "id_column": "row_id",
            "target": "target",
            "task": "classification" if classification else "regression",
            "categorical": ["colour"],
        },
        "split": {"test_size": 0.3, "seed": 7},
        "model": {"estimator": "hist_gradient_boosting", "params": {"max_iter": 30}},
        "train": {"seed": 1},
        "metrics": (
            {"primary": "roc_auc", "report": ["roc_auc", "accuracy", "log_loss"]}
            if classification
            else {"primary": "rmse", "report": ["rmse", "mae", "r2"]}
        ),
    }


def write_project(folder: Path, frame: pd.DataFrame, params: dict[str, Any]) -> Path:
    """Write data.csv (or params' data.path) and params.yaml into folder; return the params path."""
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / params["data"]["path"], index=False)
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


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
    return load_params(ROOT / "params.yaml")


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, bundled_params: Params) -> Path:
    """artifacts/ of one `mlci run` on the bundled data, trained once per test session. Treat as read-only."""
    out = tmp_path_factory.mktemp("bundled") / "artifacts"
    run_pipeline(bundled_params, out, StageTimer(quiet=True))
    return out
