"""Evaluation on a bounded sample: metrics on every holdout row, importance and plots on a seeded sample."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from mlci.config import load_params
from mlci.core.progress import StageTimer
from mlci.data.split import sample_positions
from mlci.training.run import run_pipeline
from synthetic import ProjectFactory, synthetic_frame


def test_sample_is_chosen_by_key_and_survives_added_rows() -> None:
    ids = pd.Series([str(i) for i in range(5000)])
    first = sample_positions(ids, 300, seed=7)
    assert first is not None and len(first) == 300 and np.all(np.diff(first) > 0)
    grown = pd.concat([pd.Series([f"new-{i}" for i in range(2000)]), ids], ignore_index=True)
    second = sample_positions(grown, 300, seed=7)
    assert second is not None
    kept = set(ids.iloc[first]) & set(grown.iloc[second])
    assert len(kept) > 150  # most of the old sample stays: keys, not positions, pick it
    assert sample_positions(ids, 5000, seed=7) is None  # everything fits: no sample
    assert not np.array_equal(first, sample_positions(ids, 300, seed=8))


def test_run_evaluates_metrics_on_all_rows_and_importance_on_the_sample(make_project: ProjectFactory) -> None:
    def small_sample(params: dict[str, Any]) -> None:
        params["evaluate"] = {"sample_rows": 100, "seed": 3}

    params_path = make_project("binary", frame=synthetic_frame("binary", rows=1600), edit=small_sample)
    out = params_path.parent / "artifacts"
    run_pipeline(load_params(params_path), out, StageTimer(quiet=True))
    metrics = json.loads((out / "metrics.json").read_text())
    holdout = metrics["rows"]["test"]
    assert holdout > 300
    assert metrics["evaluation_sample"] == {"sample_rows": 100, "sampled": True, "seed": 3}
    assert len(pd.read_csv(out / "predictions.csv")) == holdout  # predictions and metrics: every row
    card = (out / "model_card.md").read_text()
    assert f"on a sample of 100 of the {holdout} holdout rows" in card
    assert pd.read_csv(out / "feature_importance.csv").iloc[0]["feature"] == "x1"
