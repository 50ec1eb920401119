"""Scalable interval methods: they agree with the bootstrap on the bundled data, and cover at 95 %."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from mlci.comparison import stats
from mlci.config import Params, load_params
from mlci.data.dataset import load_dataset
from mlci.data.split import split_dataset
from mlci.metrics import names as metric_names
from mlci.training import train
from synthetic import EXAMPLE


def _holdout_scores(params: Params, estimator: str, model_params: dict[str, Any]) -> stats.Scores:
    params = params.model_copy(
        update={
            "model": params.model.model_copy(
                update={"estimator": estimator, "params": model_params, "pipeline": {"scale_numeric": True}}
            )
        }
    )
    data = load_dataset(params)
    classification = params.data.task == "classification"
    split = split_dataset(data, params.split, classification=classification)
    predictions = train.predict(train.fit(train.build(params, data), split.train, params), split.test, params.data.task)
    if not classification:
        return stats.regression_scores(predictions.y_true, predictions.y_pred)
    assert predictions.proba is not None
    classes = tuple(str(c) for c in predictions.classes)
    return stats.classification_scores(
        predictions.y_true.astype(str).to_numpy(), predictions.y_pred.astype(str), predictions.proba, classes
    )


@pytest.fixture(scope="module")
def example() -> Params:
    return load_params(Path(EXAMPLE) / "params.yaml")


def _assert_agree(bootstrap: stats.DeltaInterval, other: stats.DeltaInterval, name: str) -> None:
    assert bootstrap.low is not None and bootstrap.high is not None, name
    assert other.low is not None and other.high is not None, name
    width = bootstrap.high - bootstrap.low
    # Within the bootstrap's own noise: 2,000 resamples put each percentile within a few % of the width.
    assert abs(other.low - bootstrap.low) <= 0.1 * width, (name, bootstrap, other)
    assert abs(other.high - bootstrap.high) <= 0.1 * width, (name, bootstrap, other)
    assert other.significant == bootstrap.significant, (name, bootstrap, other)


def test_asymptotic_intervals_agree_with_the_bootstrap_on_the_bundled_data(example: Params) -> None:
    candidate = _holdout_scores(example, "logistic_regression", {})
    baseline = _holdout_scores(example, "logistic_regression", {"C": 0.01})
    metrics = list(metric_names("classification"))
    booted = stats.bootstrap_deltas(metrics, candidate, baseline, resamples=2000, seed=3)
    scalable = stats.delta_intervals(metrics, candidate, baseline, resamples=2000, seed=3, max_rows=100)
    assert {name: method for name, (method, _) in scalable.items()} == {
        "roc_auc": "DeLong",
        "accuracy": "paired normal",
        "log_loss": "paired normal",
        "brier": "paired normal",
        "balanced_accuracy": "delta method",
        "precision_macro": "delta method",
        "recall_macro": "delta method",
        "f1_macro": "delta method",
        "pr_auc": "subsample bootstrap",
    }
    for name in metrics:
        if name == "pr_auc":  # a bootstrap of 100 of ~1,000 rows, rescaled: noisier, same order of width
            low, high = scalable[name][1].low, scalable[name][1].high
            assert low is not None and high is not None and booted[name].low is not None
            assert booted[name].high is not None
            assert 0.6 < (high - low) / (booted[name].high - booted[name].low) < 1.6
            continue
        _assert_agree(booted[name], scalable[name][1], name)
    assert any(booted[name].significant for name in metrics)  # the pair differs: the check has teeth


def test_regression_intervals_agree_with_the_bootstrap_on_the_bundled_data(example: Params) -> None:
    regression = example.model_copy(
        update={"data": example.data.model_copy(update={"task": "regression", "target_threshold": None})}
    )
    candidate = _holdout_scores(regression, "ridge", {"alpha": 1.0})
    baseline = _holdout_scores(regression, "ridge", {"alpha": 300.0})
    metrics = list(metric_names("regression"))
    booted = stats.bootstrap_deltas(metrics, candidate, baseline, resamples=2000, seed=3)
    for name in metrics:
        _assert_agree(booted[name], stats.normal_delta(name, candidate, baseline, confidence=0.95, paired=True), name)


def test_small_holdouts_keep_the_bootstrap_for_every_metric() -> None:
    assert {stats.interval_method(m, 1041, 10_000) for m in metric_names("classification")} == {"bootstrap"}
    assert stats.interval_method("roc_auc", 10_001, 10_000) == "DeLong"


def _simulated_pair(rng: np.random.Generator, rows: int) -> tuple[stats.Scores, stats.Scores]:
    """Two correlated binormal classifiers with known AUCs Phi(1.2/sqrt 2) and Phi(0.9/sqrt 2)."""
    y = rng.random(rows) < 0.3
    shared = rng.normal(size=rows)
    a = 1.2 * y + 0.6 * shared + 0.8 * rng.normal(size=rows)
    b = 0.9 * y + 0.6 * shared + 0.8 * rng.normal(size=rows)
    proba_a, proba_b = 1 / (1 + np.exp(-(a - 0.6))), 1 / (1 + np.exp(-(b - 0.45)))
    labels = np.where(y, "1", "0")

    def scores(p: np.ndarray) -> stats.Scores:
        predicted = np.where(p >= 0.5, "1", "0")
        return stats.classification_scores(labels, predicted, np.column_stack([1 - p, p]), ("0", "1"))

    return scores(proba_a), scores(proba_b)


def test_delong_and_normal_intervals_cover_the_true_difference() -> None:
    # True values from one very large draw (AUC also in closed form: unit-variance binormal scores).
    big_a, big_b = _simulated_pair(np.random.default_rng(0), 2_000_000)
    truth = {
        name: stats.influence(name, big_a)[0] - stats.influence(name, big_b)[0]  # type: ignore[index]
        for name in ("roc_auc", "accuracy", "log_loss", "balanced_accuracy")
    }
    assert truth["roc_auc"] == pytest.approx(sps.norm.cdf(1.2 / 2**0.5) - sps.norm.cdf(0.9 / 2**0.5), abs=2e-3)
    seeds = 400
    covered = dict.fromkeys(truth, 0)
    for seed in range(1, seeds + 1):
        a, b = _simulated_pair(np.random.default_rng(seed), 1500)
        for name, true_delta in truth.items():
            interval = stats.normal_delta(name, a, b, confidence=0.95, paired=True)
            assert interval.low is not None and interval.high is not None
            covered[name] += interval.low <= true_delta <= interval.high
    for name, hits in covered.items():
        # 95 % of 400: 380 expected, binomial sd ~4.4; the band allows ~4 sd either side.
        assert 362 <= hits <= 395, (name, hits)


def test_report_names_the_method_of_each_interval() -> None:
    from mlci.comparison.report import interval_methods

    def row(name: str, method: str) -> dict[str, Any]:
        return {"name": name, "interval": method, "ci_low": -0.01, "ci_high": 0.01}

    comparison: dict[str, Any] = {
        "bootstrap": {"resamples": 1000, "seed": 7, "max_rows": 10_000},
        "metrics": [row("roc_auc", "DeLong"), row("accuracy", "paired normal"), row("pr_auc", "subsample bootstrap")],
    }
    text = interval_methods(comparison, "paired")
    assert "DeLong for roc_auc" in text and "paired normal for accuracy" in text
    assert (
        "bootstrap of a 10,000-row subsample, spread rescaled to all rows (1000 bootstrap resamples, seed 7) for pr_auc"
        in text
    )
    comparison["metrics"] = [row("roc_auc", "bootstrap")]
    assert (
        interval_methods(comparison, "paired") == "intervals from a paired bootstrap (1000 bootstrap resamples, seed 7)"
    )
