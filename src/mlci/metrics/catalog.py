"""Every metric mlci knows, one entry each: to add a metric, add its entry to METRICS (and a test).

Point values are scikit-learn's, computed on class indices (scikit-learn sorts the labels in every call,
and sorting a million Python strings cost seconds per metric). The weighted forms reproduce them for
any row weights, so a bootstrap scores all its resamples with a few matrix products; tests hold each
form equal to its point value.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from types import ModuleType

import numpy as np
import numpy.typing as npt

from mlci.metrics import paired
from mlci.metrics.kernels import (
    FloatArray,
    nan_ratio,
    placements,
    ratio,
    ratio_influence,
    weighted_average_precision,
    weighted_roc_auc,
)
from mlci.metrics.spec import DELONG, DELTA_METHOD, Metric, PairedTest, Scores, mean_of_rows


def _skm() -> ModuleType:
    """scikit-learn's metrics, imported when a value is computed: validating params.yaml reads this table."""
    return importlib.import_module("sklearn.metrics")


def _proba(s: Scores) -> FloatArray:
    assert s.proba is not None, "classification scores carry class probabilities"
    return s.proba


def _labels(s: Scores) -> list[int]:
    return list(range(len(s.classes)))


def _onehot(s: Scores) -> FloatArray:
    """One column per class; a row whose label is outside the classes (index -1) has none."""
    return np.asarray(s.y_true[:, None] == np.asarray(_labels(s))[None, :], dtype=float)


def _present(s: Scores) -> npt.NDArray[np.bool_]:
    return np.asarray(_onehot(s).sum(axis=0) > 0)


# Classification, of the predicted labels.

MCNEMAR = PairedTest(
    "McNemar exact",
    lambda c, b: paired.mcnemar_exact(c.y_true == c.y_pred, b.y_true == b.y_pred).p_value,
)


def _correct(s: Scores) -> FloatArray:
    return np.asarray(s.y_true == s.y_pred, dtype=np.float64)


def _macro_point(kind: str) -> Callable[[Scores], float | None]:
    def point(s: Scores) -> float | None:
        score = getattr(_skm(), f"{kind}_score")
        return float(score(s.y_true, s.y_pred, labels=_labels(s), average="macro", zero_division=0))

    return point


def _confusion(s: Scores) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-row one-hot truth, prediction and hit (truth and prediction agree)."""
    eye = np.eye(len(s.classes))
    true, pred = eye[s.y_true], eye[s.y_pred]
    return true, pred, true * pred


def _macro_ratio(kind: str, s: Scores, w: FloatArray) -> FloatArray:
    """Macro precision / recall / F1 per weight row, from weighted per-class counts (zero_division=0)."""
    true, pred, hits = _confusion(s)
    support, predicted, hit = w @ true, w @ pred, w @ hits
    if kind == "recall":
        per_class = ratio(hit, support)
    elif kind == "precision":
        per_class = ratio(hit, predicted)
    else:
        per_class = ratio(2 * hit, support + predicted)
    return np.asarray(per_class.mean(axis=1), dtype=np.float64)


def _macro_influence(kind: str, s: Scores) -> tuple[float, FloatArray]:
    true, pred, hits = _confusion(s)
    if kind == "f1":
        value, rows = ratio_influence(2 * hits, true + pred)
    else:
        value, rows = ratio_influence(hits, pred if kind == "precision" else true)
    return float(value.mean()), np.asarray(rows.mean(axis=1), dtype=float)


def _macro(kind: str) -> Metric:
    return Metric(
        f"{kind}_macro",
        "classification",
        lower_is_better=False,
        point=_macro_point(kind),
        weighted=lambda s, w: _macro_ratio(kind, s, w),
        large_holdout=DELTA_METHOD,
        influence=lambda s: _macro_influence(kind, s),
    )


def _balanced_accuracy_weighted(s: Scores, w: FloatArray) -> FloatArray:
    # scikit-learn averages recall over the classes present in y_true only
    true, _, hits = _confusion(s)
    support = w @ true
    recall = ratio(w @ hits, support)
    present = (support > 0).astype(float)
    return np.asarray(nan_ratio((recall * present).sum(axis=1), present.sum(axis=1)), dtype=np.float64)


def _balanced_accuracy_influence(s: Scores) -> tuple[float, FloatArray]:
    true, _, hits = _confusion(s)
    value, rows = ratio_influence(hits, true)
    present = true.sum(axis=0) > 0
    return float(value[present].mean()), np.asarray(rows[:, present].mean(axis=1), dtype=float)


# Classification, of the class probabilities.


def _roc_auc_point(s: Scores) -> float | None:
    proba = _proba(s)
    if not _present(s).all():  # undefined unless every class is on the holdout
        return None
    if len(s.classes) == 2:
        return float(_skm().roc_auc_score(_onehot(s)[:, 1], proba[:, 1]))
    return float(_skm().roc_auc_score(s.y_true, proba, multi_class="ovr", average="macro", labels=_labels(s)))


def _pr_auc_point(s: Scores) -> float | None:
    proba, onehot, present = _proba(s), _onehot(s), _present(s)
    if len(s.classes) == 2:
        return float(_skm().average_precision_score(onehot[:, 1], proba[:, 1])) if present[1] else None
    scores = [_skm().average_precision_score(onehot[:, k], proba[:, k]) for k in _labels(s) if present[k]]
    return float(np.mean(scores)) if scores else None


def _curve_weighted(curve: Callable[..., FloatArray], s: Scores, w: FloatArray) -> FloatArray:
    """Binary: of the positive class; multiclass: one-vs-rest per class, for the caller to average."""
    proba = _proba(s)
    if len(s.classes) == 2:
        return curve(s.y_true == 1, proba[:, 1], w)
    return np.stack([curve(s.y_true == c, proba[:, c], w) for c in _labels(s)], axis=1)


def _roc_auc_weighted(s: Scores, w: FloatArray) -> FloatArray:
    values = _curve_weighted(weighted_roc_auc, s, w)
    # A class absent from a resample leaves the macro average undefined, like the point estimate.
    return values if values.ndim == 1 else np.asarray(values.mean(axis=1))


def _pr_auc_weighted(s: Scores, w: FloatArray) -> FloatArray:
    values = _curve_weighted(weighted_average_precision, s, w)
    if values.ndim == 1:
        return values
    defined = ~np.isnan(values)
    return np.asarray(nan_ratio(np.where(defined, values, 0.0).sum(axis=1), defined.sum(axis=1) * 1.0))


def _roc_auc_influence(s: Scores) -> tuple[float, FloatArray] | None:
    proba = _proba(s)
    if len(s.classes) == 2:
        return placements(s.y_true == 1, proba[:, 1])
    per_class = [placements(s.y_true == c, proba[:, c]) for c in _labels(s)]
    parts = [part for part in per_class if part is not None]
    if len(parts) < len(per_class):
        return None  # undefined unless every class is present, like the point estimate
    return float(np.mean([auc for auc, _ in parts])), np.mean([row for _, row in parts], axis=0)


def _log_loss_rows(s: Scores) -> FloatArray:
    proba = _proba(s)
    proba = proba / proba.sum(axis=1, keepdims=True)
    eps = np.finfo(proba.dtype).eps
    picked = np.clip(proba[np.arange(s.rows), s.y_true], eps, 1 - eps)
    return np.asarray(-np.log(picked), dtype=float)


def _brier_rows(s: Scores) -> FloatArray:
    proba, onehot = _proba(s), _onehot(s)
    if len(s.classes) == 2:  # scikit-learn's binary form scores the positive class only
        return np.asarray((proba[:, 1] - onehot[:, 1]) ** 2, dtype=float)
    return np.asarray(((proba - onehot) ** 2).sum(axis=1), dtype=float)


def _brier_point(s: Scores) -> float | None:
    proba, onehot = _proba(s), _onehot(s)
    if len(s.classes) == 2:
        return float(_skm().brier_score_loss(onehot[:, 1], proba[:, 1]))
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


# Regression.


def _error(s: Scores) -> FloatArray:
    return np.asarray(s.y_pred - s.y_true, dtype=float)


def _percentage_error(s: Scores) -> FloatArray:
    return np.asarray(np.abs(_error(s)) / np.maximum(np.abs(s.y_true), np.finfo(float).eps), dtype=float)


WILCOXON = PairedTest("Wilcoxon |error|", lambda c, b: paired.wilcoxon_abs_errors(_error(c), _error(b)))
PAIRED_T = PairedTest("paired t squared error", lambda c, b: paired.paired_t_squared_errors(_error(c), _error(b)))


def _rmse_weighted(s: Scores, w: FloatArray) -> FloatArray:
    return np.asarray(np.sqrt(nan_ratio(w @ _error(s) ** 2, w.sum(axis=1))))


def _rmse_influence(s: Scores) -> tuple[float, FloatArray]:
    squared = _error(s) ** 2
    mse = float(squared.mean())
    root = math.sqrt(mse)
    return root, (squared - mse) / (2 * root) if root > 0 else np.zeros_like(squared)


def _r2_weighted(s: Scores, w: FloatArray) -> FloatArray:
    total = w.sum(axis=1)
    sse = w @ _error(s) ** 2
    sst = w @ s.y_true**2 - nan_ratio((w @ s.y_true) ** 2, total)
    return np.asarray(1.0 - nan_ratio(sse, np.where(np.abs(sst) < 1e-12, 0.0, sst)))


def _r2_influence(s: Scores) -> tuple[float, FloatArray] | None:
    squared = _error(s) ** 2
    mse = float(squared.mean())
    spread = (s.y_true - s.y_true.mean()) ** 2
    variance = float(spread.mean())
    if variance < 1e-12:
        return None
    return 1 - mse / variance, -(squared - mse) / variance + mse / variance**2 * (spread - variance)


METRICS: tuple[Metric, ...] = (
    mean_of_rows(
        "accuracy",
        "classification",
        lower_is_better=False,
        rows=_correct,
        point=lambda s: float(_skm().accuracy_score(s.y_true, s.y_pred)),
        paired_test=MCNEMAR,
    ),
    Metric(
        "balanced_accuracy",
        "classification",
        lower_is_better=False,
        point=lambda s: float(_skm().balanced_accuracy_score(s.y_true, s.y_pred)),
        weighted=_balanced_accuracy_weighted,
        large_holdout=DELTA_METHOD,
        influence=_balanced_accuracy_influence,
    ),
    _macro("precision"),
    _macro("recall"),
    _macro("f1"),
    Metric(
        "roc_auc",
        "classification",
        lower_is_better=False,
        point=_roc_auc_point,
        weighted=_roc_auc_weighted,
        large_holdout=DELONG,
        influence=_roc_auc_influence,
    ),
    # Average precision has no asymptotic form here: a large holdout bootstraps a subsample.
    Metric("pr_auc", "classification", lower_is_better=False, point=_pr_auc_point, weighted=_pr_auc_weighted),
    mean_of_rows(
        "log_loss",
        "classification",
        lower_is_better=True,
        rows=_log_loss_rows,
        point=lambda s: float(_skm().log_loss(s.y_true, _proba(s), labels=_labels(s))),
    ),
    mean_of_rows("brier", "classification", lower_is_better=True, rows=_brier_rows, point=_brier_point),
    mean_of_rows(
        "mae",
        "regression",
        lower_is_better=True,
        rows=lambda s: np.abs(_error(s)),
        point=lambda s: float(_skm().mean_absolute_error(s.y_true, s.y_pred)),
        paired_test=WILCOXON,
    ),
    Metric(
        "rmse",
        "regression",
        lower_is_better=True,
        point=lambda s: math.sqrt(_skm().mean_squared_error(s.y_true, s.y_pred)),
        weighted=_rmse_weighted,
        large_holdout=DELTA_METHOD,
        influence=_rmse_influence,
        paired_test=PAIRED_T,
    ),
    Metric(
        "r2",
        "regression",
        lower_is_better=False,
        point=lambda s: float(_skm().r2_score(s.y_true, s.y_pred)) if s.rows > 1 else None,
        weighted=_r2_weighted,
        large_holdout=DELTA_METHOD,
        influence=_r2_influence,
        paired_test=PAIRED_T,
    ),
    mean_of_rows(
        "mape",
        "regression",
        lower_is_better=True,
        rows=_percentage_error,
        # undefined where the truth is 0
        point=lambda s: (
            float(_skm().mean_absolute_percentage_error(s.y_true, s.y_pred)) if np.all(s.y_true != 0) else None
        ),
        paired_test=WILCOXON,
    ),
)
