"""Class labels as users have them (text, integers; two or more classes) through compare, report and card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlci.cli import main
from synthetic import synthetic_frame, synthetic_params, write_project

LABELS = {
    "binary text": ("binary", {"no": "no", "yes": "yes"}),
    "multiclass text": ("multiclass", {"low": "low", "mid": "mid", "high": "high"}),
    "binary integers": ("binary", {"no": 0, "yes": 1}),
    "multiclass integers": ("multiclass", {"low": 3, "mid": 5, "high": 7}),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(LABELS))
def test_labels_survive_a_paired_comparison_report_and_card(case: str, tmp_path: Path) -> None:
    task, mapping = LABELS[case]
    frame = synthetic_frame(task)
    frame["target"] = frame["target"].map(mapping)
    params = synthetic_params(task)
    params["metrics"] = {"primary": "roc_auc", "report": ["roc_auc", "accuracy", "log_loss"]}
    base = write_project(tmp_path / "main", frame, params)
    assert main(["run", "--params", str(base), "--out", str(tmp_path / "base")]) == 0
    params["model"]["params"]["max_iter"] = 5
    candidate = write_project(tmp_path / "pr", frame, params)
    assert (
        main(["run", "--params", str(candidate), "--out", str(tmp_path / "out"), "--baseline", str(tmp_path / "base")])
        == 0
    )  # no gate is configured: labels alone never fail it

    out = tmp_path / "out"
    comparison = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert comparison["comparable"] is True and comparison["like_for_like"] is True
    holdout = len(pd.read_csv(out / "predictions.csv"))
    assert comparison["rows_compared"] == {"candidate": holdout, "baseline": holdout}
    rows = {row["name"]: row for row in comparison["metrics"]}
    assert rows["accuracy"]["test"] == "McNemar exact" and 0 <= rows["accuracy"]["p_value"] <= 1
    assert all(np.isfinite(rows[m]["delta"]) for m in ("roc_auc", "accuracy", "log_loss"))
    assert "McNemar exact" in (out / "report.md").read_text(encoding="utf-8")
    card = (out / "model_card.md").read_text(encoding="utf-8")
    for label in mapping.values():
        assert f"\n| {label} | " in card  # one per-class row per label, written as the user wrote it
    importance = pd.read_csv(out / "feature_importance.csv")
    assert set(importance["metric"]) == {"roc_auc"} and importance.iloc[0]["feature"] == "x1"
