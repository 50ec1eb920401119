"""Vectorised pieces of the metrics: arrays in, arrays out, one row per row of weights (bootstrap resample)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den with 0 where den is 0 (scikit-learn's zero_division=0)."""
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def nan_ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den with NaN (undefined) where den is 0."""
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _grouped(weights: FloatArray, order: npt.NDArray[np.intp], starts: npt.NDArray[np.intp]) -> FloatArray:
    """Sum weight columns within groups of tied scores (columns in `order`, groups beginning at `starts`)."""
    # numpy 2.5's stubs (Python 3.12+) type reduceat as Any; 2.4's (3.11) do not.
    grouped: FloatArray = np.add.reduceat(weights[:, order], starts, axis=1)
    return grouped


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
    return nan_ratio((pos * (below + 0.5 * neg)).sum(axis=1), total_pos * total_neg)


def weighted_average_precision(positive: npt.NDArray[np.bool_], score: FloatArray, weights: FloatArray) -> FloatArray:
    """scikit-learn's average precision (step-wise, ties grouped) per weight row; NaN without positives."""
    order, starts = _tie_groups(score, descending=True)
    tp = _grouped(weights * positive, order, starts)
    seen = _grouped(weights, order, starts)
    precision = ratio(np.cumsum(tp, axis=1), np.cumsum(seen, axis=1))
    return nan_ratio((tp * precision).sum(axis=1), tp.sum(axis=1))


def placements(positive: npt.NDArray[np.bool_], score: FloatArray) -> tuple[float, FloatArray] | None:
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


def ratio_influence(num_rows: FloatArray, den_rows: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-class ratios of means (columns) and their influence rows; a zero denominator is a constant 0."""
    num, den = num_rows.mean(axis=0), den_rows.mean(axis=0)
    value = ratio(num, den)
    influence = np.zeros_like(num_rows)
    np.divide(num_rows - value * den_rows, den, out=influence, where=den != 0)
    return value, influence
