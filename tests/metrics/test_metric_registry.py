"""One registry entry adds a metric to every stage: params validation, evaluation, permutation importance,
gates, governance, the paired comparison with its interval, and the PR report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci import metrics
from mlci.checks.gates import gate_outcomes
from mlci.cli import main
from mlci.comparison import stats
from mlci.comparison.report import number
from mlci.config import load_params
from mlci.config.gates import GatesParams
from mlci.core.artifacts import read_metrics
from mlci.core.errors import ConfigError
from mlci.governance.rules import metric_floor
from mlci.metrics.spec import DELONG, Metric, Scores, mean_of_rows
from synthetic import synthetic_frame, synthetic_params, write_project


def _squared_error(s: Scores) -> np.ndarray:
    return np.asarray((s.y_pred - s.y_true) ** 2, dtype=float)


MSE = mean_of_rows("mse", "regression", lower_is_better=True, rows=_squared_error)


@pytest.fixture
def mse_registered(monkeypatch: pytest.MonkeyPatch) -> Metric:
    monkeypatch.setitem(metrics.REGISTRY, MSE.name, MSE)
    return MSE


def _params(report: list[str], primary: str = "mse") -> dict[str, Any]:
    raw = synthetic_params("regression")
    raw["metrics"] = {"primary": primary, "report": report}
    return raw


def _parse(raw: dict[str, Any], tmp_path: Path) -> Any:
    return load_params(write_project(tmp_path, synthetic_frame("regression"), raw))


def test_params_accept_a_metric_only_once_it_is_registered(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown metric 'mse' for task regression; choose from mae, rmse, r2, mape"):
        _parse(_params(["mse", "mae"]), tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(metrics.REGISTRY, MSE.name, MSE)
        assert _parse(_params(["mse", "mae"]), tmp_path).metrics.primary == "mse"
        with pytest.raises(ConfigError, match=r"choose from mae, rmse, r2, mape, mse"):
            _parse(_params(["mse", "msx"]), tmp_path)
        with pytest.raises(ConfigError, match=r"unknown metric 'mse' for task classification"):
            _parse({**synthetic_params("binary"), "metrics": {"primary": "mse", "report": ["mse"]}}, tmp_path)


def _metric_values(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "metrics.json").read_text(encoding="utf-8")))


@pytest.mark.slow
def test_a_registered_metric_is_evaluated_gated_compared_and_reported(mse_registered: Metric, tmp_path: Path) -> None:
    frame = synthetic_frame("regression")
    base_params = _params(["mse", "mae"])
    base = write_project(tmp_path / "main", frame, base_params)
    assert main(["run", "--params", str(base), "--out", str(tmp_path / "base")]) == 0

    # Evaluated on the holdout, as the registry entry defines it; permutation importance scored with it.
    predictions = pd.read_csv(tmp_path / "base" / "predictions.csv")
    recorded = _metric_values(tmp_path / "base")
    expected = float(np.mean((predictions["y_pred"] - predictions["y_true"]) ** 2))
    assert recorded["metrics"]["mse"] == pytest.approx(expected, rel=1e-9)
    assert set(pd.read_csv(tmp_path / "base" / "feature_importance.csv")["metric"]) == {"mse"}
    assert "Mean rise in mse" in (tmp_path / "base" / "model_card.md").read_text(encoding="utf-8")

    # Gates and governance read its direction: for a loss the floor is a ceiling.
    value = recorded["metrics"]["mse"]
    above, below = GatesParams(min={"mse": value * 1.1}), GatesParams(min={"mse": value * 0.9})
    read = read_metrics(tmp_path / "base")
    assert [o.status for o in gate_outcomes(above, read)] == ["passed"]
    assert [o.status for o in gate_outcomes(below, read)] == ["failed"]
    assert metric_floor(read, "mse", value * 1.1).status == "passed"
    assert metric_floor(read, "mse", value * 0.9).status == "failed"

    # A much weaker candidate, compared on the same rows with an interval (above report.bootstrap_max_rows
    # the paired normal interval of a mean of per-row losses), and shown in the report.
    worse = {**base_params, "model": {"estimator": "hist_gradient_boosting", "params": {"max_iter": 3}}}
    worse["gates"] = {"max_regression": {"mse": 1.0}}
    worse["report"] = {"bootstrap_max_rows": 100}
    candidate = write_project(tmp_path / "pr", frame, worse)
    code = main(
        ["run", "--params", str(candidate), "--out", str(tmp_path / "out"), "--baseline", str(tmp_path / "base")]
    )
    rows = {row["name"]: row for row in json.loads((tmp_path / "out" / "comparison.json").read_text())["metrics"]}
    row = rows["mse"]
    assert row["lower_is_better"] and row["interval"] == "paired normal"
    assert row["ci_low"] <= row["delta"] <= row["ci_high"]
    assert row["direction"] == "worse" and row["gate"] == "failed" and code == 1
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert f"| mse (↓ better) | {number(row['baseline'])} | {number(row['candidate'])} |" in report


def test_a_registered_metric_is_bootstrapped_like_the_built_in_ones(mse_registered: Metric) -> None:
    rng = np.random.default_rng(1)
    truth = rng.normal(20, 5, size=300)
    good = stats.regression_scores(truth, truth + rng.normal(0, 1, size=300))
    bad = stats.regression_scores(truth, truth + rng.normal(0, 3, size=300))
    (method, interval), *_ = stats.delta_intervals(["mse"], bad, good, resamples=500, seed=2, max_rows=10_000).values()
    assert method == "bootstrap" and interval.significant and interval.low is not None and interval.low > 0
    counts = next(stats.resample_counts(good.rows, 1, np.random.default_rng(0)))
    rows = np.repeat(np.arange(good.rows), counts[0].astype(int))
    resampled = stats.regression_scores(good.y_true[rows], good.y_pred[rows])
    assert stats.weighted_metric("mse", good, counts)[0] == pytest.approx(MSE.point(resampled), rel=1e-12)


def test_an_asymptotic_interval_needs_an_influence_function() -> None:
    with pytest.raises(ValueError, match="DeLong intervals need an influence function"):
        Metric(
            "auc2", "classification", False, point=lambda s: 0.5, weighted=lambda s, w: w[:, 0], large_holdout=DELONG
        )
