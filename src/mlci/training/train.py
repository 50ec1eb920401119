"""Build the pipeline from params, fit it, predict the holdout. Pure apart from the estimator's CPU time."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from mlci import metrics
from mlci import model as user_model
from mlci.config import Params
from mlci.core.errors import ConfigError, DataError
from mlci.data.dataset import Dataset
from mlci.training.evaluate import Predictions, encode


def make_estimator(params: Params) -> Any:
    """The configured estimator, with every config mistake reported against its params.yaml key."""
    name, task = params.model.estimator, params.data.task
    try:
        return user_model.make_estimator(name, task, params.model.params, params.train.seed)
    except KeyError:
        usable = sorted(k for k, pair in user_model.ESTIMATORS.items() if pair[0 if task == "classification" else 1])
        raise ConfigError(
            f"{params.where('model.estimator')}: unknown estimator {name!r} for {task}; choose from {', '.join(usable)} (or add one in mlci/model.py)"
        ) from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{params.where('model.params')}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def _param_named(message: str, given: Mapping[str, Any]) -> str | None:
    for key in given:
        if f"'{key}'" in message:
            return key
    return None


def build(params: Params, data: Dataset) -> Pipeline:
    estimator = make_estimator(params)
    try:
        return user_model.build_pipeline(estimator, data.numeric, data.categorical, params.model.pipeline)
    except user_model.PipelineOptionError as exc:
        raise ConfigError(f"{params.where(f'model.pipeline.{exc.option}')}: {exc}") from None


def fit(pipeline: Pipeline, train: Dataset, params: Params) -> Pipeline:
    """Fit on the training rows. Estimators check their hyperparameters when fitting starts: an error
    quoting one of `model.params` is a ConfigError at that key, any other a DataError."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            # scikit-learn 1.6 passes an option SciPy 1.17 deprecates; nothing a user can act on.
            warnings.filterwarnings(
                "ignore", message=r"scipy\.optimize: The `disp` and `iprint`", category=DeprecationWarning
            )
            pipeline.fit(train.X, train.y)
    except (ValueError, TypeError) as exc:
        key = _param_named(str(exc), params.model.params)
        if key is not None:
            raise ConfigError(f"{params.where(f'model.params.{key}')}: {_first_line(exc)}") from None
        if isinstance(exc, TypeError):
            raise
        raise DataError(f"training failed: {_first_line(exc)}") from None
    return pipeline


# Rows `check` fits on: enough for any estimator to start, few enough to take a blink.
PROBE_ROWS = 200


def check(params: Params, data: Dataset) -> None:
    """What `mlci config --check` can say about the model without training it: the estimator and pipeline
    options exist, and a fit on the first rows accepts the hyperparameters. A probe failure that names no
    hyperparameter is left to `mlci run`: a few rows can fail where the whole table does not."""
    pipeline = build(params, data)
    probe = data.take(np.arange(min(PROBE_ROWS, data.rows), dtype=np.intp))
    with contextlib.suppress(DataError, TypeError):
        fit(pipeline, probe, params)


def predict(model: Pipeline, data: Dataset, task: str) -> Predictions:
    y_pred, proba = user_model.predict(model, data.X, task)
    classes = tuple(model.classes_.tolist()) if task == "classification" else ()
    return Predictions(ids=data.ids, y_true=data.y, y_pred=y_pred, proba=proba, classes=classes)


# Fallbacks when the primary metric is undefined on this holdout (roc_auc with a class absent, mape with a
# zero truth): importance is still measured, with a metric defined on every holdout, and says which.
_FALLBACK_METRIC = {"classification": "accuracy", "regression": "mae"}


def importance_metric(primary: str, task: str, metrics: Mapping[str, float | None]) -> str:
    """The metric permutation importance is scored with: the primary one, unless it is undefined here."""
    return primary if metrics.get(primary) is not None else _FALLBACK_METRIC[task]


def importance_scorer(metric: str, task: str, classes: Sequence[Any]) -> Callable[[Any, pd.DataFrame, Any], float]:
    """A scorer (estimator, X, y) giving `metric` exactly as mlci.training.evaluate computes it (losses negated).

    Labels and probabilities come from the model as evaluation takes them, the probability columns in the
    estimator's own class order (`classes`, its `classes_`).
    """
    spec = metrics.get(metric)
    sign = -1.0 if spec.lower_is_better else 1.0

    def score(model: Any, X: pd.DataFrame, y: Any) -> float:
        y_pred, proba = user_model.predict(model, X, task)
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
