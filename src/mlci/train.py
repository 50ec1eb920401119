"""Build the pipeline from params, fit it, predict the holdout. Pure apart from the estimator's CPU time."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from mlci import metrics
from mlci import model as user_model
from mlci.config import Params
from mlci.dataset import Dataset
from mlci.errors import ConfigError, DataError
from mlci.evaluate import Predictions, encode


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


def importance_scorer(metric: str, task: str, classes: Sequence[Any]) -> Callable[[Any, pd.DataFrame, Any], float]:
    """A scorer (estimator, X, y) giving `metric` exactly as mlci.evaluate computes it (losses negated).

    Labels and probabilities come from the model as evaluation takes them, the probability columns in the
    estimator's own class order (`classes`, its `classes_`).
    """
    spec = metrics.get(metric)
    sign = -1.0 if spec.lower_is_better else 1.0

    def score(model: Any, X: pd.DataFrame, y: Any) -> float:
        if task == "classification":
            y_pred, proba = predict_labels_and_proba(model, X)
        else:
            y_pred, proba = np.asarray(model.predict(X)), None
        value = spec.point(encode(task, np.asarray(y), y_pred, proba, tuple(classes)))
        return math.nan if value is None else sign * value

    return score


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
