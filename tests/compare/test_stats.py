"""The vectorised bootstrap metrics equal scikit-learn's, and the paired tests behave at their edges."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from mlci import metrics
from mlci.comparison import stats
from mlci.metrics import paired
from mlci.training.evaluate import Predictions, compute_metrics


def _classification(classes: tuple[str, ...], rows: int = 240, seed: int = 3) -> tuple[Predictions, stats.Scores]:
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(len(classes)), size=rows)
    proba[: rows // 4] = np.round(proba[: rows // 4], 1)  # ties in the scores
    proba /= proba.sum(axis=1, keepdims=True)
    y_true = rng.choice(np.array(classes), size=rows)
    y_pred = np.array(classes)[proba.argmax(axis=1)]
    predictions = Predictions(pd.Series(range(rows)), pd.Series(y_true), y_pred, proba, classes)
    return predictions, stats.classification_scores(y_true, y_pred, proba, classes)


def _regression(rows: int = 200, seed: int = 4) -> tuple[Predictions, stats.Scores]:
    rng = np.random.default_rng(seed)
    y = rng.normal(20, 5, size=rows)
    y_hat = y + rng.normal(0, 2, size=rows)
    return Predictions(pd.Series(range(rows)), pd.Series(y), y_hat, None, ()), stats.regression_scores(y, y_hat)


def _repeat(p: Predictions, counts: np.ndarray) -> Predictions:
    """The rows of `p`, each repeated as often as one bootstrap draw picked it."""
    index = np.repeat(np.arange(len(counts)), counts.astype(int))
    proba = None if p.proba is None else p.proba[index]
    return Predictions(
        p.ids.iloc[index], p.y_true.iloc[index].reset_index(drop=True), p.y_pred[index], proba, p.classes
    )


@pytest.mark.parametrize(
    "make",
    [lambda: _classification(("no", "yes")), lambda: _classification(("high", "low", "mid")), _regression],
    ids=["binary", "multiclass", "regression"],
)
def test_weighted_metrics_equal_scikit_learn(make: Callable[[], tuple[Predictions, stats.Scores]]) -> None:
    predictions, scores = make()
    names = metrics.names(scores.task)
    counts = next(stats.resample_counts(scores.rows, 1, np.random.default_rng(0)))
    full, _ = compute_metrics(scores.task, predictions)
    resampled, _ = compute_metrics(scores.task, _repeat(predictions, counts[0]))
    for name in names:
        assert stats.weighted_metric(name, scores, np.ones((1, scores.rows)))[0] == pytest.approx(full[name], abs=1e-9)
        assert stats.weighted_metric(name, scores, counts)[0] == pytest.approx(resampled[name], abs=1e-9), name


def test_unknown_metric_names_raise() -> None:
    _, scores = _classification(("a", "b"))
    with pytest.raises(ValueError, match="unknown classification metric"):
        stats.weighted_metric("mae", scores, np.ones((1, scores.rows)))
    _, reg = _regression()
    with pytest.raises(ValueError, match="unknown regression metric"):
        stats.weighted_metric("roc_auc", reg, np.ones((1, reg.rows)))
    with pytest.raises(ValueError, match="not one of the classes"):
        stats.classification_scores(["a"], ["z"], np.ones((1, 2)), ("a", "b"))


def test_resample_counts_are_seeded_chunked_and_sum_to_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats, "_CELLS_PER_CHUNK", 1000)
    chunks = list(stats.resample_counts(300, 10, np.random.default_rng(5)))
    again = list(stats.resample_counts(300, 10, np.random.default_rng(5)))
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert all((c.sum(axis=1) == 300).all() for c in chunks)
    assert all(np.array_equal(a, b) for a, b in zip(chunks, again, strict=True))


def test_identical_models_give_a_zero_interval_that_is_not_significant() -> None:
    _, scores = _classification(("no", "yes"))
    result = stats.bootstrap_deltas(["roc_auc", "log_loss"], scores, scores, resamples=200, seed=1)
    assert result["roc_auc"] == stats.DeltaInterval(0.0, 0.0, 1.0, 200)
    assert not result["log_loss"].significant


def test_a_clearly_worse_model_is_significant_and_the_interval_is_reproducible() -> None:
    _, good = _regression()
    noisy = stats.regression_scores(good.y_true, good.y_pred + np.random.default_rng(9).normal(0, 4, good.rows))
    first = stats.bootstrap_deltas(["rmse", "r2"], noisy, good, resamples=300, seed=2)
    assert first == stats.bootstrap_deltas(["rmse", "r2"], noisy, good, resamples=300, seed=2)
    assert first["rmse"].significant and first["rmse"].low is not None and first["rmse"].low > 0
    assert first["r2"].high is not None and first["r2"].high < 0


def test_unpaired_bootstrap_accepts_different_row_counts_and_paired_refuses() -> None:
    _, a = _classification(("no", "yes"), rows=200)
    _, b = _classification(("no", "yes"), rows=150, seed=8)
    with pytest.raises(ValueError, match="same rows"):
        stats.bootstrap_deltas(["accuracy"], a, b, resamples=100, seed=1)
    result = stats.bootstrap_deltas(["accuracy"], a, b, resamples=100, seed=1, paired=False)
    assert result["accuracy"].resamples_used == 100


def test_unpaired_bootstrap_uses_every_resample_when_chunked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both sides are chunked alike; before, sides of different sizes dropped resamples (800 of 1,000)."""
    monkeypatch.setattr(stats, "_CELLS_PER_CHUNK", 2_000)  # 10 resamples per chunk at 200 rows, 13 at 150
    _, a = _classification(("no", "yes"), rows=200)
    _, b = _classification(("no", "yes"), rows=150, seed=8)
    result = stats.bootstrap_deltas(["accuracy", "roc_auc"], a, b, resamples=100, seed=1, paired=False)
    assert result["accuracy"].resamples_used == 100 and result["roc_auc"].resamples_used == 100


def test_too_few_defined_resamples_give_no_interval() -> None:
    scores = stats.classification_scores(["a", "b"], ["a", "a"], np.array([[0.6, 0.4], [0.7, 0.3]]), ("a", "b"))
    assert stats.bootstrap_deltas(["roc_auc"], scores, scores, resamples=5, seed=0)["roc_auc"].low is None


def test_mcnemar_exact_matches_the_binomial_tail() -> None:
    candidate = np.array([True] * 10 + [False] * 5)
    baseline = np.array([False] * 10 + [False] * 5)
    result = paired.mcnemar_exact(candidate, baseline)
    assert (result.baseline_only, result.candidate_only) == (0, 10)
    assert result.p_value == pytest.approx(2 * 0.5**10)
    assert paired.mcnemar_exact(candidate, candidate).p_value == 1.0


def test_paired_error_tests_handle_degenerate_inputs() -> None:
    errors = np.array([1.0, -2.0, 3.0, 0.5, -1.5, 2.5])
    assert paired.wilcoxon_abs_errors(errors, errors) == 1.0
    assert paired.paired_t_squared_errors(errors, errors) == 1.0
    assert paired.paired_t_squared_errors(errors + 0.0, errors * 0.0 + 0.0) < 0.05
    assert paired.paired_t_squared_errors(np.ones(4) * 2, np.ones(4)) == 0.0
    assert paired.wilcoxon_abs_errors(errors * 3, errors) < 0.05
