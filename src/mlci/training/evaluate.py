"""Metrics from holdout predictions (each one as `mlci.metrics` defines it). Pure: arrays in, numbers out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mlci import metrics
from mlci.metrics.spec import Scores

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


def _clean(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else round(value, DECIMALS)


def encode(
    task: str,
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    proba: npt.NDArray[np.float64] | None,
    classes: tuple[object, ...],
) -> Scores:
    """Predictions as the metrics read them: class indices into `classes` (a label outside them gets -1)."""
    if task != "classification":
        return Scores(task, np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float))
    # Integer codes, not the labels: scikit-learn sorts the labels in every call, and sorting a million
    # Python strings cost seconds per metric.
    names = list(classes)
    true_codes = pd.Categorical(np.asarray(y_true), categories=names).codes.astype(np.int64)
    pred_codes = pd.Categorical(np.asarray(y_pred), categories=names).codes.astype(np.int64)
    assert proba is not None, "a classifier's predictions carry class probabilities"
    return Scores(task, true_codes, pred_codes, proba, tuple(str(name) for name in names))


def _per_class(s: Scores, names: list[object]) -> dict[str, dict[str, float | None]]:
    from sklearn import metrics as skm

    labels = list(range(len(names)))
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        s.y_true, s.y_pred, labels=labels, zero_division=0
    )
    return {
        str(names[i]): {
            "precision": _clean(precision[i]),
            "recall": _clean(recall[i]),
            "f1": _clean(f1[i]),
            "support": float(support[i]),
        }
        for i in labels
    }


def point_metrics(scores: Scores) -> dict[str, float | None]:
    """Every metric of the task on these rows, rounded as metrics.json records them (None where undefined)."""
    return {metric.name: _clean(metric.point(scores)) for metric in metrics.for_task(scores.task)}


def compute_metrics(
    task: str, predictions: Predictions
) -> tuple[dict[str, float | None], dict[str, dict[str, float | None]]]:
    """(scalar metrics, per-class metrics); per-class is empty for regression. Undefined metrics are None."""
    p = predictions
    encoded = encode(task, p.y_true.to_numpy(), p.y_pred, p.proba, p.classes)
    return point_metrics(encoded), _per_class(encoded, list(predictions.classes)) if task == "classification" else {}
