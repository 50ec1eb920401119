"""Metrics from holdout predictions. Pure: arrays in, numbers out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn import metrics as skm

from mlci.split import hash_fraction

DECIMALS = 10


@dataclass(frozen=True)
class Predictions:
    """Holdout predictions keyed by row id; `proba` has one column per class (classification only)."""

    ids: pd.Series
    y_true: pd.Series
    y_pred: npt.NDArray[Any]
    proba: npt.NDArray[np.float64] | None
    classes: tuple[object, ...]

    def frame(self) -> pd.DataFrame:
        columns: dict[str, object] = {
            "id": self.ids.to_numpy(),
            "y_true": self.y_true.to_numpy(),
            "y_pred": self.y_pred,
        }
        if self.proba is not None:
            for index, label in enumerate(self.classes):
                columns[f"proba_{label}"] = self.proba[:, index]
        return pd.DataFrame(columns)

    def take(self, positions: npt.NDArray[np.intp]) -> Predictions:
        return Predictions(
            ids=self.ids.iloc[positions].reset_index(drop=True),
            y_true=self.y_true.iloc[positions].reset_index(drop=True),
            y_pred=self.y_pred[positions],
            proba=None if self.proba is None else self.proba[positions],
            classes=self.classes,
        )


def sample_positions(ids: pd.Series, rows: int, seed: int) -> npt.NDArray[np.intp] | None:
    """Positions (ascending) of the `rows` rows whose key hashes lowest under `seed`; None when all fit.

    Chosen by key, not by position: the same rows stay in the sample when rows are added or reordered,
    so importance and plots move only when the model does.
    """
    if len(ids) <= rows:
        return None
    fraction = hash_fraction(ids, seed)
    chosen = np.argpartition(fraction, rows - 1)[:rows]
    return np.sort(chosen).astype(np.intp)


def _clean(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else round(value, DECIMALS)


def _classification(p: Predictions) -> tuple[dict[str, float | None], dict[str, dict[str, float | None]]]:
    names = list(p.classes)
    # Integer codes, not the labels: scikit-learn sorts the labels in every call, and sorting a million
    # Python strings cost seconds per metric. A label outside the classes gets its own code (-1), as before.
    y_true = pd.Categorical(p.y_true.to_numpy(), categories=names).codes.astype(np.int64)
    y_pred = pd.Categorical(np.asarray(p.y_pred), categories=names).codes.astype(np.int64)
    p = Predictions(p.ids, pd.Series(y_true), y_pred, p.proba, p.classes)
    labels = list(range(len(names)))
    out: dict[str, float | None] = {
        "accuracy": _clean(skm.accuracy_score(y_true, p.y_pred)),
        "balanced_accuracy": _clean(skm.balanced_accuracy_score(y_true, p.y_pred)),
    }
    for average in ("macro",):
        out[f"precision_{average}"] = _clean(
            skm.precision_score(y_true, p.y_pred, labels=labels, average=average, zero_division=0)
        )
        out[f"recall_{average}"] = _clean(
            skm.recall_score(y_true, p.y_pred, labels=labels, average=average, zero_division=0)
        )
        out[f"f1_{average}"] = _clean(skm.f1_score(y_true, p.y_pred, labels=labels, average=average, zero_division=0))
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, p.y_pred, labels=labels, zero_division=0
    )
    per_class = {
        str(names[i]): {
            "precision": _clean(precision[i]),
            "recall": _clean(recall[i]),
            "f1": _clean(f1[i]),
            "support": float(support[i]),
        }
        for i in labels
    }
    proba = p.proba
    assert proba is not None
    onehot = (y_true[:, None] == np.asarray(labels)[None, :]).astype(float)
    present = onehot.sum(axis=0) > 0
    if len(labels) == 2:
        out["roc_auc"] = _clean(skm.roc_auc_score(onehot[:, 1], proba[:, 1])) if present.all() else None
        out["pr_auc"] = _clean(skm.average_precision_score(onehot[:, 1], proba[:, 1])) if present[1] else None
        out["brier"] = _clean(skm.brier_score_loss(onehot[:, 1], proba[:, 1]))
    else:
        out["roc_auc"] = (
            _clean(skm.roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=labels))
            if present.all()
            else None
        )
        scores = [skm.average_precision_score(onehot[:, k], proba[:, k]) for k in range(len(labels)) if present[k]]
        out["pr_auc"] = _clean(float(np.mean(scores))) if scores else None
        out["brier"] = _clean(float(np.mean(np.sum((proba - onehot) ** 2, axis=1))))
    out["log_loss"] = _clean(skm.log_loss(y_true, proba, labels=labels))
    return out, per_class


def _regression(p: Predictions) -> dict[str, float | None]:
    y_true = p.y_true.to_numpy(dtype=float)
    y_pred = np.asarray(p.y_pred, dtype=float)
    out: dict[str, float | None] = {
        "mae": _clean(skm.mean_absolute_error(y_true, y_pred)),
        "rmse": _clean(math.sqrt(skm.mean_squared_error(y_true, y_pred))),
        "r2": _clean(skm.r2_score(y_true, y_pred)) if len(y_true) > 1 else None,
        # MAPE is undefined where the truth is 0.
        "mape": _clean(skm.mean_absolute_percentage_error(y_true, y_pred)) if np.all(y_true != 0) else None,
    }
    return out


def compute_metrics(
    task: str, predictions: Predictions
) -> tuple[dict[str, float | None], dict[str, dict[str, float | None]]]:
    """(scalar metrics, per-class metrics); per-class is empty for regression. Undefined metrics are None."""
    if task == "classification":
        return _classification(predictions)
    return _regression(predictions), {}
