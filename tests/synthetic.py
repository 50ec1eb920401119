"""Small generated projects for every task; shared by the test folders.

A plain module rather than conftest.py: test folders with their own conftest.py would shadow
`from synthetic import ...`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
# A copy of the bundled example kept for the machinery tests: the project's own data/ and params.yaml belong
# to the user and may be replaced (`mlci init`), so no machinery test reads them.
EXAMPLE = ROOT / "tests" / "example"

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


def governance_record(
    decision: str, model_sha256: str | None, rules: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A governance.json as `mlci govern` writes it (model `GovernanceRecord`), for tests of what reads it."""
    return {
        "format_version": 1,
        "commit": "c" * 40,
        "context": "ci",
        "decision": decision,
        "failed_required": [rule["name"] for rule in rules or [] if rule["status"] != "passed"],
        "artifacts": "artifacts",
        "model_sha256": model_sha256,
        "image_digest": None,
        "data_sha256": "d" * 64,
        "run": {"commit": "c" * 40, "params_hash": "p" * 64},
        "rules": rules or [],
    }


def governance_rule(name: str, status: str) -> dict[str, Any]:
    """One rule's entry in governance.json."""
    return {
        "name": name,
        "enabled": True,
        "required": True,
        "required_setting": True,
        "status": status,
        "reason": "",
        "evidence": {},
    }
