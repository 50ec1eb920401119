"""Paired statistics for the PR comparison. Pure and vectorised: arrays in, numbers out.

The bootstrap draws a matrix of row counts (one row per resample) and scores every metric as a weighted
sum over rows, so 1,000 resamples cost a few matrix products instead of 1,000 calls to scikit-learn.
Paired: both models are scored on the same resamples, so the interval is for the delta itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

FloatArray = npt.NDArray[np.float64]
_CELLS_PER_CHUNK = 2_000_000  # resamples x rows held in memory at once (~16 MB of float64)


@dataclass(frozen=True)
class Scores:
    """One model's holdout predictions in numeric form.

    Classification: `y_true`/`y_pred` are class indices into `classes`, `proba` has one column per class.
    Regression: `y_true`/`y_pred` are floats and `proba` is None.
    """

    task: str
    y_true: npt.NDArray[Any]
    y_pred: npt.NDArray[Any]
    proba: FloatArray | None = None
    classes: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.y_true)


def classification_scores(
    y_true: list[str] | npt.NDArray[Any],
    y_pred: list[str] | npt.NDArray[Any],
    proba: FloatArray,
    classes: tuple[str, ...],
) -> Scores:
    """Encode string labels as indices into `classes` (labels outside `classes` raise ValueError)."""
    index = {label: i for i, label in enumerate(classes)}
    try:
        true_codes = np.array([index[str(v)] for v in y_true], dtype=np.int64)
        pred_codes = np.array([index[str(v)] for v in y_pred], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"label {exc.args[0]!r} is not one of the classes {list(classes)}") from None
    return Scores("classification", true_codes, pred_codes, np.asarray(proba, dtype=float), classes)


def regression_scores(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> Scores:
    return Scores("regression", np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float))


def resample_counts(
    rows: int, resamples: int, rng: np.random.Generator, widest: int | None = None
) -> Iterator[FloatArray]:
    """Chunks of a (resamples x rows) matrix: how often each row is drawn in each bootstrap resample.

    Chunks hold as many resamples as fit in memory for `widest` rows (default `rows`), so two sides of an
    unpaired bootstrap sized by the same `widest` yield chunks of the same length and can be zipped.
    """
    chunk = max(1, min(resamples, _CELLS_PER_CHUNK // max(widest or rows, 1)))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        draws = rng.integers(0, rows, size=(size, rows)) + (np.arange(size) * rows)[:, None]
        yield np.bincount(draws.ravel(), minlength=size * rows).reshape(size, rows).astype(float)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den with 0 where den is 0 (scikit-learn's zero_division=0)."""
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _nan_ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _grouped(weights: FloatArray, order: npt.NDArray[np.intp], starts: npt.NDArray[np.intp]) -> FloatArray:
    """Sum weight columns within groups of tied scores (columns in `order`, groups beginning at `starts`)."""
    return np.add.reduceat(weights[:, order], starts, axis=1)


def _tie_groups(score: FloatArray, descending: bool) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    order = np.argsort(-score if descending else score, kind="stable")
    ordered = score[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return order, starts


def weighted_roc_auc(positive: npt.NDArray[np.bool_], score: FloatArray, weights: FloatArray) -> FloatArray:
    """Mann-Whitney AUC per weight row: P(score_pos > score_neg) + half the ties; NaN without both classes."""
    order, starts = _tie_groups(score, descending=False)
    pos = _grouped(weights * positive, order, starts)
    neg = _grouped(weights * ~positive, order, starts)
    below = np.cumsum(neg, axis=1) - neg
    total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
    return _nan_ratio((pos * (below + 0.5 * neg)).sum(axis=1), total_pos * total_neg)


def weighted_average_precision(positive: npt.NDArray[np.bool_], score: FloatArray, weights: FloatArray) -> FloatArray:
    """scikit-learn's average precision (step-wise, ties grouped) per weight row; NaN without positives."""
    order, starts = _tie_groups(score, descending=True)
    tp = _grouped(weights * positive, order, starts)
    seen = _grouped(weights, order, starts)
    precision = _ratio(np.cumsum(tp, axis=1), np.cumsum(seen, axis=1))
    return _nan_ratio((tp * precision).sum(axis=1), tp.sum(axis=1))


def _log_loss_rows(s: Scores) -> FloatArray:
    assert s.proba is not None
    proba = s.proba / s.proba.sum(axis=1, keepdims=True)
    eps = np.finfo(proba.dtype).eps
    picked = np.clip(proba[np.arange(s.rows), s.y_true], eps, 1 - eps)
    return np.asarray(-np.log(picked), dtype=float)


def _confusion_metric(name: str, s: Scores, w: FloatArray) -> FloatArray:
    """Metrics of per-class counts: balanced accuracy and the macro precision/recall/F1 (zero_division=0)."""
    eye = np.eye(len(s.classes))
    onehot_true, onehot_pred = eye[s.y_true], eye[s.y_pred]
    support, predicted, hits = w @ onehot_true, w @ onehot_pred, w @ (onehot_true * onehot_pred)
    recall = _ratio(hits, support)
    if name == "recall_macro":
        return np.asarray(recall.mean(axis=1), dtype=np.float64)
    if name == "precision_macro":
        return np.asarray(_ratio(hits, predicted).mean(axis=1), dtype=np.float64)
    if name == "f1_macro":
        return np.asarray(_ratio(2 * hits, support + predicted).mean(axis=1), dtype=np.float64)
    # balanced_accuracy: scikit-learn averages recall over the classes present in y_true only
    present = (support > 0).astype(float)
    return np.asarray(_nan_ratio((recall * present).sum(axis=1), present.sum(axis=1)), dtype=np.float64)


def _curve_metric(name: str, s: Scores, w: FloatArray) -> FloatArray:
    """roc_auc (one-vs-rest macro for multiclass) and pr_auc (mean over classes with positives)."""
    assert s.proba is not None
    curve = weighted_roc_auc if name == "roc_auc" else weighted_average_precision
    if len(s.classes) == 2:
        return curve(s.y_true == 1, s.proba[:, 1], w)
    per_class = np.stack([curve(s.y_true == c, s.proba[:, c], w) for c in range(len(s.classes))], axis=1)
    if name == "roc_auc":  # undefined unless every class is present, like the point estimate
        return np.asarray(per_class.mean(axis=1))
    defined = ~np.isnan(per_class)
    return np.asarray(_nan_ratio(np.where(defined, per_class, 0.0).sum(axis=1), defined.sum(axis=1) * 1.0))


def _row_losses(name: str, s: Scores) -> npt.NDArray[np.float64]:
    """Per-row terms of the metrics that are plain means over rows."""
    assert s.proba is not None
    if name == "accuracy":
        return np.asarray(s.y_true == s.y_pred, dtype=np.float64)
    if name == "log_loss":
        return _log_loss_rows(s)
    onehot_true = np.eye(len(s.classes))[s.y_true]
    if len(s.classes) == 2:  # brier: scikit-learn's binary form scores the positive class only
        return np.asarray((s.proba[:, 1] - onehot_true[:, 1]) ** 2, dtype=float)
    return np.asarray(((s.proba - onehot_true) ** 2).sum(axis=1), dtype=float)


def _classification_metric(name: str, s: Scores, w: FloatArray) -> FloatArray:
    if name in ("accuracy", "log_loss", "brier"):
        return np.asarray(_nan_ratio(w @ _row_losses(name, s), w.sum(axis=1)), dtype=float)
    if name in ("balanced_accuracy", "precision_macro", "recall_macro", "f1_macro"):
        return _confusion_metric(name, s, w)
    if name in ("roc_auc", "pr_auc"):
        return _curve_metric(name, s, w)
    raise ValueError(f"unknown classification metric {name!r}")


def _regression_metric(name: str, s: Scores, w: FloatArray) -> FloatArray:
    total = w.sum(axis=1)
    error = s.y_pred - s.y_true
    if name == "mae":
        return np.asarray(_nan_ratio(w @ np.abs(error), total))
    if name == "rmse":
        return np.asarray(np.sqrt(_nan_ratio(w @ error**2, total)))
    if name == "mape":
        scale = np.maximum(np.abs(s.y_true), np.finfo(float).eps)
        return np.asarray(_nan_ratio(w @ (np.abs(error) / scale), total))
    if name == "r2":
        sse = w @ error**2
        sst = w @ s.y_true**2 - _nan_ratio((w @ s.y_true) ** 2, total)
        return np.asarray(1.0 - _nan_ratio(sse, np.where(np.abs(sst) < 1e-12, 0.0, sst)))
    raise ValueError(f"unknown regression metric {name!r}")


def weighted_metric(name: str, scores: Scores, weights: FloatArray) -> FloatArray:
    """The metric for each row of `weights` (resamples x rows); NaN where a resample leaves it undefined."""
    if scores.task == "classification":
        return _classification_metric(name, scores, weights)
    return _regression_metric(name, scores, weights)


@dataclass(frozen=True)
class DeltaInterval:
    """Bootstrap distribution summary of (candidate - baseline) for one metric."""

    low: float | None
    high: float | None
    p_value: float | None  # two-sided bootstrap p: how often the resampled delta crosses 0
    resamples_used: int  # resamples where the metric was defined for both models

    @property
    def significant(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def _summarise(deltas: FloatArray, confidence: float) -> DeltaInterval:
    finite = deltas[np.isfinite(deltas)]
    if finite.size < 10:
        return DeltaInterval(None, None, None, int(finite.size))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    crosses = 2 * min(float(np.mean(finite <= 0)), float(np.mean(finite >= 0)))
    return DeltaInterval(float(low), float(high), min(1.0, crosses), int(finite.size))


def bootstrap_deltas(
    metrics: list[str],
    candidate: Scores,
    baseline: Scores,
    *,
    resamples: int,
    seed: int,
    confidence: float = 0.95,
    paired: bool = True,
) -> dict[str, DeltaInterval]:
    """Percentile CI of each metric's delta. Paired: same resampled rows for both (rows must align)."""
    if paired and candidate.rows != baseline.rows:
        raise ValueError("paired bootstrap needs the same rows for both models")
    rng = np.random.default_rng(seed)
    collected: dict[str, list[FloatArray]] = {name: [] for name in metrics}
    widest = max(candidate.rows, baseline.rows)
    candidate_counts = resample_counts(candidate.rows, resamples, rng, widest)
    if paired:
        chunks: Iterable[tuple[FloatArray, FloatArray]] = ((w, w) for w in candidate_counts)
    else:
        other = np.random.default_rng([seed, 1])
        chunks = zip(candidate_counts, resample_counts(baseline.rows, resamples, other, widest), strict=True)
    for wc, wb in chunks:
        for name in metrics:
            collected[name].append(weighted_metric(name, candidate, wc) - weighted_metric(name, baseline, wb))
    return {name: _summarise(np.concatenate(parts), confidence) for name, parts in collected.items()}


@dataclass(frozen=True)
class McNemar:
    baseline_only: int  # rows the baseline got right and the candidate wrong
    candidate_only: int  # rows the candidate got right and the baseline wrong
    p_value: float


def mcnemar_exact(candidate_correct: npt.NDArray[np.bool_], baseline_correct: npt.NDArray[np.bool_]) -> McNemar:
    """Exact (binomial) McNemar test on the discordant pairs of two paired classifiers."""
    b = int(np.sum(baseline_correct & ~candidate_correct))
    c = int(np.sum(~baseline_correct & candidate_correct))
    p = 1.0 if b + c == 0 else float(sps.binomtest(min(b, c), b + c, 0.5).pvalue)
    return McNemar(b, c, min(1.0, p))


def wilcoxon_abs_errors(candidate_error: FloatArray, baseline_error: FloatArray) -> float:
    """Wilcoxon signed-rank p-value on |candidate error| - |baseline error| per row (1.0 if all equal)."""
    diff = np.abs(candidate_error) - np.abs(baseline_error)
    if np.count_nonzero(diff) == 0:
        return 1.0
    return float(sps.wilcoxon(diff, zero_method="zsplit").pvalue)


def paired_t_squared_errors(candidate_error: FloatArray, baseline_error: FloatArray) -> float:
    """Paired t-test p-value on squared errors (drives rmse and r2); degenerate cases resolved exactly."""
    diff = candidate_error**2 - baseline_error**2
    if diff.size < 2 or float(np.ptp(diff)) == 0.0:
        return 1.0 if diff.size == 0 or float(diff[0]) == 0.0 else 0.0
    p = float(sps.ttest_1samp(diff, 0.0).pvalue)
    return 1.0 if math.isnan(p) else p
