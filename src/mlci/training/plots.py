"""Evaluation plots as PNG bytes, rendered deterministically (Agg backend, no timestamps in metadata)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from sklearn import metrics as skm

from mlci.training.evaluate import Predictions


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def confusion(p: Predictions, where: str = "holdout") -> bytes:
    labels = list(p.classes)
    matrix = skm.confusion_matrix(p.y_true.to_numpy(), p.y_pred, labels=labels)
    figure, axes = plt.subplots(figsize=(4.5, 4))
    skm.ConfusionMatrixDisplay(matrix, display_labels=[str(label) for label in labels]).plot(ax=axes, colorbar=False)
    axes.set_title(f"Confusion matrix ({where})")
    return _png(figure)


def _one_vs_rest(p: Predictions) -> list[tuple[str, npt.NDArray[Any], npt.NDArray[np.float64]]]:
    assert p.proba is not None
    y_true = p.y_true.to_numpy()
    pairs = (
        [(str(p.classes[1]), (y_true == p.classes[1]).astype(int), p.proba[:, 1])]
        if len(p.classes) == 2
        else [(str(label), (y_true == label).astype(int), p.proba[:, k]) for k, label in enumerate(p.classes)]
    )
    return [(name, truth, score) for name, truth, score in pairs if 0 < truth.sum() < len(truth)]


def roc(p: Predictions, where: str = "holdout") -> bytes:
    figure, axes = plt.subplots(figsize=(4.5, 4))
    for name, truth, score in _one_vs_rest(p):
        fpr, tpr, _ = skm.roc_curve(truth, score)
        axes.plot(fpr, tpr, label=f"class {name} (AUC {skm.auc(fpr, tpr):.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    axes.set(xlabel="False positive rate", ylabel="True positive rate", title=f"ROC curve ({where})")
    axes.legend(loc="lower right", fontsize=8)
    return _png(figure)


def precision_recall(p: Predictions, where: str = "holdout") -> bytes:
    figure, axes = plt.subplots(figsize=(4.5, 4))
    for name, truth, score in _one_vs_rest(p):
        precision, recall, _ = skm.precision_recall_curve(truth, score)
        axes.plot(recall, precision, label=f"class {name} (AP {skm.average_precision_score(truth, score):.3f})")
    axes.set(xlabel="Recall", ylabel="Precision", title=f"Precision-recall curve ({where})")
    axes.legend(loc="lower left", fontsize=8)
    return _png(figure)


def residuals(p: Predictions, where: str = "holdout") -> bytes:
    truth = p.y_true.to_numpy(dtype=float)
    predicted = np.asarray(p.y_pred, dtype=float)
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    left.scatter(truth, predicted, s=6, alpha=0.5)
    low, high = float(min(truth.min(), predicted.min())), float(max(truth.max(), predicted.max()))
    left.plot([low, high], [low, high], linestyle="--", color="grey", linewidth=1)
    left.set(xlabel="Truth", ylabel="Prediction", title=f"Predicted vs true ({where})")
    right.hist(predicted - truth, bins=40)
    right.set(xlabel="Prediction - truth", ylabel="Rows", title="Residuals")
    return _png(figure)


def importance(frame: pd.DataFrame, where: str = "holdout") -> bytes:
    top = frame.head(20).iloc[::-1]
    figure, axes = plt.subplots(figsize=(6, 0.35 * len(top) + 1.2))
    axes.barh(top["feature"], top["importance_mean"], xerr=top["importance_std"])
    axes.set(xlabel="Permutation importance (drop in score)", title=f"Feature importance ({where})")
    return _png(figure)


def render_all(task: str, p: Predictions, importances: pd.DataFrame, sampled_of: int | None = None) -> dict[str, bytes]:
    """File name -> PNG bytes for one run. `sampled_of`: `p` is a sample of that many holdout rows."""
    where = "holdout" if sampled_of is None else f"holdout sample, {len(p.ids):,} of {sampled_of:,} rows"
    plots = {"feature_importance.png": importance(importances, where)}
    if task == "classification":
        plots.update(
            {
                "confusion_matrix.png": confusion(p, where),
                "roc_curve.png": roc(p, where),
                "pr_curve.png": precision_recall(p, where),
            }
        )
    else:
        plots["residuals.png"] = residuals(p, where)
    return plots
