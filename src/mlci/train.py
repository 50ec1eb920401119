"""Build the pipeline from params, fit it, predict the holdout. Pure apart from the estimator's CPU time."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from mlci import model as user_model
from mlci.config import Params
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


def predict(model: Pipeline, data: Dataset, task: str) -> Predictions:
    y_pred = model.predict(data.X)
    proba = None
    classes: tuple[object, ...] = ()
    if task == "classification":
        proba = np.asarray(model.predict_proba(data.X), dtype=float)
        classes = tuple(model.classes_.tolist())
    return Predictions(ids=data.ids, y_true=data.y, y_pred=np.asarray(y_pred), proba=proba, classes=classes)


def feature_importance(model: Pipeline, data: Dataset, seed: int) -> pd.DataFrame:
    """Permutation importance on the holdout, per raw column (works for any estimator)."""
    result = permutation_importance(model, data.X, data.y, n_repeats=5, random_state=seed, n_jobs=1)
    frame = pd.DataFrame(
        {
            "feature": list(data.X.columns),
            "importance_mean": np.round(result["importances_mean"], 10),
            "importance_std": np.round(result["importances_std"], 10),
        }
    )
    return frame.sort_values(["importance_mean", "feature"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
