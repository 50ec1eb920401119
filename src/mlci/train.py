"""Build the pipeline from params, fit it, predict the holdout. Pure apart from the estimator's CPU time."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn import metrics as skm
from sklearn.inspection import permutation_importance
from sklearn.metrics import make_scorer
from sklearn.pipeline import Pipeline

from mlci import model as user_model
from mlci.config import Params
from mlci.config.training import LOWER_IS_BETTER
from mlci.dataset import Dataset
from mlci.errors import ConfigError, DataError
from mlci.evaluate import Predictions


def make_estimator(params: Params) -> Any:
    """The configured estimator, with every config mistake reported against its params.yaml key."""
    name, task = params.model.estimator, params.data.task
    try:
        estimator = user_model.make_estimator(name, task, dict(params.model.params), params.train.seed)
    except KeyError:
        usable = sorted(k for k, pair in user_model.ESTIMATORS.items() if pair[0 if task == "classification" else 1])
        raise ConfigError(
            f"{params.where('model.estimator')}: unknown estimator {name!r} for {task}; choose from {', '.join(usable)} (or add one in mlci/model.py)"
        ) from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{params.where('model.params')}: {_first_line(exc)}") from None
    try:
        estimator._validate_params()  # scikit-learn's own constraint check, before any fitting
    except (ValueError, TypeError) as exc:
        key = _param_named(str(exc), params.model.params)
        raise ConfigError(
            f"{params.where(f'model.params.{key}' if key else 'model.params')}: {_first_line(exc)}"
        ) from None
    return estimator


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def _param_named(message: str, given: dict[str, Any]) -> str | None:
    for key in given:
        if f"'{key}'" in message:
            return key
    return None


def build(params: Params, data: Dataset) -> Pipeline:
    return user_model.build_pipeline(make_estimator(params), data.numeric, data.categorical, params.model.scale_numeric)


def fit(pipeline: Pipeline, train: Dataset) -> Pipeline:
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            # scikit-learn 1.6 passes an option SciPy 1.17 deprecates; nothing a user can act on.
            warnings.filterwarnings(
                "ignore", message=r"scipy\.optimize: The `disp` and `iprint`", category=DeprecationWarning
            )
            pipeline.fit(train.X, train.y)
    except ValueError as exc:
        raise DataError(f"training failed: {_first_line(exc)}") from None
    return pipeline


def predict_labels_and_proba(model: Any, X: pd.DataFrame) -> tuple[npt.NDArray[Any], npt.NDArray[np.float64]]:
    """A classifier's labels and class probabilities from one pass over the model.

    The label is the most probable class, which is what `predict` returns for the estimators in
    mlci.model (HistGradientBoosting, random forest, logistic regression); calling both walked every tree
    twice, half the predict time on a large holdout.
    """
    proba = np.asarray(model.predict_proba(X), dtype=float)
    return np.asarray(model.classes_)[np.argmax(proba, axis=1)], proba


def predict(model: Pipeline, data: Dataset, task: str) -> Predictions:
    if task != "classification":
        return Predictions(
            ids=data.ids, y_true=data.y, y_pred=np.asarray(model.predict(data.X)), proba=None, classes=()
        )
    y_pred, proba = predict_labels_and_proba(model, data.X)
    classes = tuple(model.classes_.tolist())
    return Predictions(ids=data.ids, y_true=data.y, y_pred=y_pred, proba=proba, classes=classes)


# Fallbacks when the primary metric is undefined on this holdout (roc_auc with a class absent, mape with a
# zero truth): importance is still measured, with a metric defined on every holdout, and says which.
_FALLBACK_METRIC = {"classification": "accuracy", "regression": "mae"}


def importance_metric(primary: str, task: str, metrics: Mapping[str, float | None]) -> str:
    """The metric permutation importance is scored with: the primary one, unless it is undefined here."""
    return primary if metrics.get(primary) is not None else _FALLBACK_METRIC[task]


def _positive(y_true: npt.NDArray[Any], pos_label: Any) -> npt.NDArray[np.float64]:
    return np.asarray(np.asarray(y_true) == pos_label, dtype=np.float64)


def _onehot(y_true: npt.NDArray[Any], labels: Sequence[Any]) -> npt.NDArray[np.float64]:
    return np.asarray(np.asarray(y_true)[:, None] == np.asarray(labels, dtype=object)[None, :], dtype=np.float64)


def _mean_average_precision(y_true: npt.NDArray[Any], proba: npt.NDArray[Any], labels: Sequence[Any]) -> float:
    onehot = _onehot(y_true, labels)
    present = [k for k in range(len(labels)) if onehot[:, k].any()]
    return float(np.mean([skm.average_precision_score(onehot[:, k], proba[:, k]) for k in present]))


def _multiclass_brier(y_true: npt.NDArray[Any], proba: npt.NDArray[Any], labels: Sequence[Any]) -> float:
    return float(np.mean(np.sum((proba - _onehot(y_true, labels)) ** 2, axis=1)))


def importance_scorer(metric: str, task: str, classes: Sequence[Any]) -> Any:
    """A scikit-learn scorer computing `metric` exactly as mlci.evaluate does (losses negated).

    Probability scorers get the estimator's own class order (`classes_`); for two classes sklearn hands
    over the probability of `classes_[1]` (the `pos_label`, as evaluate uses `proba[:, 1]`), which also
    makes string labels such as "yes"/"no" work where sklearn's built-in "roc_auc" needs a pos_label.
    """
    labels = list(classes)
    binary = len(labels) == 2
    lower = metric in LOWER_IS_BETTER
    if task == "regression":
        regression = {
            "mae": skm.mean_absolute_error,
            "rmse": lambda y, p: math.sqrt(skm.mean_squared_error(y, p)),
            "r2": skm.r2_score,
            "mape": skm.mean_absolute_percentage_error,
        }
        return make_scorer(regression[metric], greater_is_better=not lower)
    # Lambdas where the sklearn function has a `pos_label` parameter: sklearn then checks its default (1)
    # against the labels, which fails for "yes"/"no" (macro averages ignore it anyway).
    macro = {"labels": labels, "average": "macro", "zero_division": 0}
    label_based: dict[str, Callable[..., float]] = {
        "accuracy": skm.accuracy_score,
        "balanced_accuracy": skm.balanced_accuracy_score,
        "precision_macro": lambda y, p: skm.precision_score(y, p, **macro),
        "recall_macro": lambda y, p: skm.recall_score(y, p, **macro),
        "f1_macro": lambda y, p: skm.f1_score(y, p, **macro),
    }
    if metric in label_based:
        return make_scorer(label_based[metric])
    if binary:
        binary_proba: dict[str, Callable[..., float]] = {
            "roc_auc": lambda y, p, pos_label: skm.roc_auc_score(_positive(y, pos_label), p),
            "pr_auc": lambda y, p, pos_label: skm.average_precision_score(_positive(y, pos_label), p),
            "brier": lambda y, p, pos_label: skm.brier_score_loss(_positive(y, pos_label), p),
            "log_loss": lambda y, p, pos_label: skm.log_loss(_positive(y, pos_label), p, labels=[0.0, 1.0]),
        }
        return make_scorer(
            binary_proba[metric], response_method="predict_proba", greater_is_better=not lower, pos_label=labels[1]
        )
    multiclass: dict[str, Callable[..., float]] = {
        "roc_auc": lambda y, p: skm.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=labels),
        "pr_auc": lambda y, p: _mean_average_precision(y, p, labels),
        "brier": lambda y, p: _multiclass_brier(y, p, labels),
        "log_loss": lambda y, p: skm.log_loss(y, p, labels=labels),
    }
    return make_scorer(multiclass[metric], response_method="predict_proba", greater_is_better=not lower)


def feature_importance(model: Pipeline, data: Dataset, seed: int, metric: str, task: str) -> pd.DataFrame:
    """Permutation importance on the holdout, per raw column (works for any estimator).

    Each value is the mean drop in `metric` (a rise, for losses) when the column is shuffled; the
    `metric` column of the result names it.
    """
    classes = tuple(model.classes_) if task == "classification" else ()
    scorer = importance_scorer(metric, task, classes)
    result = permutation_importance(model, data.X, data.y, scoring=scorer, n_repeats=5, random_state=seed, n_jobs=1)
    frame = pd.DataFrame(
        {
            "feature": list(data.X.columns),
            "importance_mean": np.round(result["importances_mean"], 10),
            "importance_std": np.round(result["importances_std"], 10),
            "metric": metric,
        }
    )
    return frame.sort_values(["importance_mean", "feature"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
