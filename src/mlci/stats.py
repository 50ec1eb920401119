"""Paired statistics for the PR comparison. Pure and vectorised: arrays in, numbers out.

Up to `max_rows` holdout rows every interval is a bootstrap: a matrix of row counts (one row per resample)
scores every metric as a weighted sum over rows, so 1,000 resamples cost a few matrix products instead of
1,000 calls to scikit-learn. Paired: both models are scored on the same resamples, so the interval is for
the delta itself.

The bootstrap costs resamples x rows, so above `max_rows` each metric with an asymptotic paired interval
gets that instead, from per-row influence values (the metric's first-order change when one row is
dropped): DeLong's placement values for ROC AUC, the centred per-row loss for metrics that are means of
per-row losses (accuracy, log loss, Brier, MAE, MAPE), and the delta method for smooth functions of
means (RMSE, R², balanced accuracy, macro precision / recall / F1). The delta's influence is the
candidate's minus the baseline's on the same row, so the pairing is kept exactly; the cost is one pass
over the rows. Average precision has no such form: it is bootstrapped on a seeded subsample of
`max_rows` rows and the spread rescaled by sqrt(subsample / rows), so its cost is bounded too.
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


def _bootstrap_draws(
    metrics: list[str], candidate: Scores, baseline: Scores, *, resamples: int, seed: int, paired: bool
) -> dict[str, FloatArray]:
    """The resampled deltas (candidate - baseline) of each metric, one per resample."""
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
    return {name: np.concatenate(parts) if parts else np.empty(0) for name, parts in collected.items()}


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
    draws = _bootstrap_draws(metrics, candidate, baseline, resamples=resamples, seed=seed, paired=paired)
    return {name: _summarise(deltas, confidence) for name, deltas in draws.items()}


# Interval methods, as named in comparison.json and the report.
BOOTSTRAP = "bootstrap"
DELONG = "DeLong"
NORMAL = "paired normal"
DELTA_METHOD = "delta method"
SUBSAMPLE_BOOTSTRAP = "subsample bootstrap"
_MEAN_OF_ROWS = frozenset({"accuracy", "log_loss", "brier", "mae", "mape"})
_SMOOTH = frozenset({"rmse", "r2", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro"})


def interval_method(name: str, rows: int, max_rows: int) -> str:
    """Which method gives `name`'s interval for a holdout of `rows` rows."""
    if rows <= max_rows:
        return BOOTSTRAP
    if name == "roc_auc":
        return DELONG
    if name in _MEAN_OF_ROWS:
        return NORMAL
    if name in _SMOOTH:
        return DELTA_METHOD
    return SUBSAMPLE_BOOTSTRAP


def _placements(positive: npt.NDArray[np.bool_], score: FloatArray) -> tuple[float, FloatArray] | None:
    """DeLong: AUC and each row's influence from its placement value among the other class (ties count half)."""
    pos, neg = np.sort(score[positive]), np.sort(score[~positive])
    n_pos, n_neg, n = pos.size, neg.size, score.size
    if n_pos == 0 or n_neg == 0:
        return None
    s_pos, s_neg = score[positive], score[~positive]
    below = np.searchsorted(neg, s_pos, "left") + 0.5 * (
        np.searchsorted(neg, s_pos, "right") - np.searchsorted(neg, s_pos, "left")
    )
    above = (n_pos - np.searchsorted(pos, s_neg, "right")) + 0.5 * (
        np.searchsorted(pos, s_neg, "right") - np.searchsorted(pos, s_neg, "left")
    )
    v10, v01 = below / n_neg, above / n_pos
    auc = float(v10.mean())
    influence = np.empty(n)
    influence[positive] = (v10 - auc) * (n / n_pos)
    influence[~positive] = (v01 - auc) * (n / n_neg)
    return auc, influence


def _ratio_influence(num_rows: FloatArray, den_rows: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-class ratios of means (columns) and their influence rows; a zero denominator is a constant 0."""
    num, den = num_rows.mean(axis=0), den_rows.mean(axis=0)
    value = _ratio(num, den)
    influence = np.zeros_like(num_rows)
    np.divide(num_rows - value * den_rows, den, out=influence, where=den != 0)
    return value, influence


def influence(name: str, s: Scores) -> tuple[float, FloatArray] | None:
    """(metric value, per-row influence values) for metrics with an asymptotic form; None where undefined.

    The variance of the metric is about sum(influence**2) / rows**2; for a paired delta, of the
    difference of the two models' influences on each row.
    """
    return _regression_influence(name, s) if s.task == "regression" else _classification_influence(name, s)


def _regression_influence(name: str, s: Scores) -> tuple[float, FloatArray] | None:
    error = s.y_pred - s.y_true
    if name in ("mae", "mape"):
        rows = np.abs(error) if name == "mae" else np.abs(error) / np.maximum(np.abs(s.y_true), np.finfo(float).eps)
        return float(rows.mean()), rows - rows.mean()
    squared = error**2
    mse = float(squared.mean())
    if name == "rmse":
        root = math.sqrt(mse)
        return root, (squared - mse) / (2 * root) if root > 0 else np.zeros_like(squared)
    if name == "r2":
        spread = (s.y_true - s.y_true.mean()) ** 2
        variance = float(spread.mean())
        if variance < 1e-12:
            return None
        return 1 - mse / variance, -(squared - mse) / variance + mse / variance**2 * (spread - variance)
    return None


def _classification_influence(name: str, s: Scores) -> tuple[float, FloatArray] | None:
    if name in ("accuracy", "log_loss", "brier"):
        rows = _row_losses(name, s)
        return float(rows.mean()), rows - rows.mean()
    if name == "roc_auc":
        assert s.proba is not None
        if len(s.classes) == 2:
            return _placements(s.y_true == 1, s.proba[:, 1])
        per_class = [_placements(s.y_true == c, s.proba[:, c]) for c in range(len(s.classes))]
        if any(part is None for part in per_class):
            return None  # undefined unless every class is present, like the point estimate
        parts = [part for part in per_class if part is not None]
        return float(np.mean([auc for auc, _ in parts])), np.mean([row for _, row in parts], axis=0)
    if name in ("balanced_accuracy", "precision_macro", "recall_macro", "f1_macro"):
        eye = np.eye(len(s.classes))
        true, pred = eye[s.y_true], eye[s.y_pred]
        hits = true * pred
        if name == "f1_macro":
            value, rows = _ratio_influence(2 * hits, true + pred)
        else:
            value, rows = _ratio_influence(hits, pred if name == "precision_macro" else true)
        if name == "balanced_accuracy":  # averaged over the classes present in y_true, like scikit-learn
            present = true.sum(axis=0) > 0
            value, rows = value[present], rows[:, present]
        return float(value.mean()), np.asarray(rows.mean(axis=1), dtype=float)
    return None


def _normal(delta: float, variance: float, confidence: float) -> DeltaInterval:
    if not math.isfinite(delta) or not math.isfinite(variance):
        return DeltaInterval(None, None, None, 0)
    se = math.sqrt(max(variance, 0.0))
    half = float(sps.norm.ppf(0.5 + confidence / 2)) * se
    p = (1.0 if delta == 0 else 0.0) if se == 0 else float(2 * sps.norm.sf(abs(delta) / se))
    return DeltaInterval(delta - half, delta + half, min(1.0, p), 0)


def _sum_of_squares(rows: FloatArray) -> float:
    """sum(psi^2) / (n (n - 1)): the variance of a mean of n centred influence values."""
    n = rows.size
    return float(np.dot(rows, rows)) / (n * (n - 1)) if n > 1 else math.nan


def normal_delta(name: str, candidate: Scores, baseline: Scores, *, confidence: float, paired: bool) -> DeltaInterval:
    """DeLong / paired normal / delta-method interval of the delta from the rows' influence values."""
    if paired and candidate.rows != baseline.rows:
        raise ValueError("a paired interval needs the same rows for both models")
    cand, base = influence(name, candidate), influence(name, baseline)
    if cand is None or base is None:
        return DeltaInterval(None, None, None, 0)
    delta = cand[0] - base[0]
    variance = _sum_of_squares(cand[1] - base[1]) if paired else _sum_of_squares(cand[1]) + _sum_of_squares(base[1])
    return _normal(delta, variance, confidence)


def _subsample(s: Scores, rows: int, rng: np.random.Generator) -> Scores:
    chosen = np.sort(rng.choice(s.rows, size=rows, replace=False))
    return Scores(s.task, s.y_true[chosen], s.y_pred[chosen], None if s.proba is None else s.proba[chosen], s.classes)


def subsample_bootstrap_delta(
    name: str,
    candidate: Scores,
    baseline: Scores,
    *,
    rows: int,
    resamples: int,
    seed: int,
    confidence: float,
    paired: bool,
) -> DeltaInterval:
    """Bootstrap on a seeded subsample of `rows` rows (per side), its spread scaled to the full holdout.

    For a root-n consistent metric the delta's spread shrinks with sqrt(rows): the subsample's bootstrap
    deviations times sqrt(subsample / all rows), centred on the delta over all rows.
    """
    rng = np.random.default_rng([seed, 2])
    if paired:
        chosen = np.sort(rng.choice(candidate.rows, size=min(rows, candidate.rows), replace=False))

        def take(s: Scores) -> Scores:
            proba = None if s.proba is None else s.proba[chosen]
            return Scores(s.task, s.y_true[chosen], s.y_pred[chosen], proba, s.classes)

        sub_c, sub_b = take(candidate), take(baseline)
    else:
        sub_c = _subsample(candidate, min(rows, candidate.rows), rng)
        sub_b = _subsample(baseline, min(rows, baseline.rows), rng)
    ones_c, ones_b = np.ones((1, candidate.rows)), np.ones((1, baseline.rows))
    full = float(weighted_metric(name, candidate, ones_c)[0] - weighted_metric(name, baseline, ones_b)[0])
    sub = float(
        weighted_metric(name, sub_c, np.ones((1, sub_c.rows)))[0]
        - weighted_metric(name, sub_b, np.ones((1, sub_b.rows)))[0]
    )
    draws = _bootstrap_draws([name], sub_c, sub_b, resamples=resamples, seed=seed, paired=paired)[name]
    if not math.isfinite(full) or not math.isfinite(sub):
        return DeltaInterval(None, None, None, 0)
    # Each side's deviations shrink with its own row count; unpaired sides share the larger factor (conservative).
    scale = max(math.sqrt(sub_c.rows / candidate.rows), math.sqrt(sub_b.rows / baseline.rows) if not paired else 0.0)
    return _summarise(full + (draws - sub) * scale, confidence)


def delta_intervals(
    metrics: list[str],
    candidate: Scores,
    baseline: Scores,
    *,
    resamples: int,
    seed: int,
    max_rows: int,
    confidence: float = 0.95,
    paired: bool = True,
) -> dict[str, tuple[str, DeltaInterval]]:
    """(method, interval) of each metric's delta: the bootstrap up to `max_rows` rows, then the scalable forms."""
    rows = max(candidate.rows, baseline.rows)
    methods = {name: interval_method(name, rows, max_rows) for name in metrics}
    booted = [name for name in metrics if methods[name] == BOOTSTRAP]
    out: dict[str, tuple[str, DeltaInterval]] = {}
    if booted:
        intervals = bootstrap_deltas(
            booted, candidate, baseline, resamples=resamples, seed=seed, confidence=confidence, paired=paired
        )
        out.update({name: (BOOTSTRAP, interval) for name, interval in intervals.items()})
    for name in metrics:
        method = methods[name]
        if method == SUBSAMPLE_BOOTSTRAP:
            interval = subsample_bootstrap_delta(
                name,
                candidate,
                baseline,
                rows=max_rows,
                resamples=resamples,
                seed=seed,
                confidence=confidence,
                paired=paired,
            )
            out[name] = (method, interval)
        elif method != BOOTSTRAP:
            out[name] = (method, normal_delta(name, candidate, baseline, confidence=confidence, paired=paired))
    return {name: out[name] for name in metrics}


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
