"""Paired statistics for the PR comparison. Pure and vectorised: arrays in, numbers out.

The metrics themselves (their weighted forms, influence values and large-holdout method) are entries of
the registry in `mlci.metrics`; this module resamples, summarises and builds the intervals from them.

Up to `max_rows` holdout rows every interval is a bootstrap: a matrix of row counts (one row per resample)
scores every metric with its weighted form, so 1,000 resamples cost a few matrix products instead of
1,000 calls to scikit-learn. Paired: both models are scored on the same resamples, so the interval is for
the delta itself.

The bootstrap costs resamples x rows, so above `max_rows` each metric with an asymptotic paired interval
gets that instead, from per-row influence values (the metric's first-order change when one row is
dropped): DeLong's placement values for ROC AUC, the centred per-row loss for metrics that are means of
per-row losses (the paired normal interval), and the delta method for smooth functions of means. The
delta's influence is the candidate's minus the baseline's on the same row, so the pairing is kept
exactly; the cost is one pass over the rows. A metric without such a form (average precision) is
bootstrapped on a seeded subsample of `max_rows` rows and the spread rescaled by sqrt(subsample / rows),
so its cost is bounded too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from mlci import metrics
from mlci.metrics.kernels import FloatArray
from mlci.metrics.spec import BOOTSTRAP, SUBSAMPLE_BOOTSTRAP, Metric, Scores

_CELLS_PER_CHUNK = 2_000_000  # resamples x rows held in memory at once (~16 MB of float64)


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


def _metric(name: str, task: str) -> Metric:
    metric = metrics.REGISTRY.get(name)
    if metric is None or metric.task != task:
        raise ValueError(f"unknown {task} metric {name!r}")
    return metric


def weighted_metric(name: str, scores: Scores, weights: FloatArray) -> FloatArray:
    """The metric for each row of `weights` (resamples x rows); NaN where a resample leaves it undefined."""
    return _metric(name, scores.task).weighted(scores, weights)


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


def interval_method(name: str, rows: int, max_rows: int) -> str:
    """Which method gives `name`'s interval for a holdout of `rows` rows."""
    return BOOTSTRAP if rows <= max_rows else metrics.get(name).large_holdout


def influence(name: str, s: Scores) -> tuple[float, FloatArray] | None:
    """(metric value, per-row influence values) for metrics with an asymptotic form; None where undefined.

    The variance of the metric is about sum(influence**2) / rows**2; for a paired delta, of the
    difference of the two models' influences on each row.
    """
    form = _metric(name, s.task).influence
    return None if form is None else form(s)


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
