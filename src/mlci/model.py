"""The model side of the template: the one module a user rewrites.

Everything else in mlci is CI machinery that works for any scikit-learn estimator. To switch model
family, add it to ESTIMATORS (or just change `model.estimator`/`model.params` in params.yaml); to read
another file format, change `read_data`. If a new estimator stores types skops does not know, add them
to TRUSTED_TYPES: models load only with an explicit allowlist, never "trust everything".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

EstimatorFactory = Callable[..., BaseEstimator]

# name -> (classifier, regressor); None where the family has no such variant.
ESTIMATORS: dict[str, tuple[EstimatorFactory | None, EstimatorFactory | None]] = {
    "hist_gradient_boosting": (HistGradientBoostingClassifier, HistGradientBoostingRegressor),
    "random_forest": (RandomForestClassifier, RandomForestRegressor),
    "logistic_regression": (LogisticRegression, None),
    "ridge": (None, Ridge),
}

# Types a saved pipeline of the estimators above holds that skops does not trust by default (its defaults
# cover scikit-learn estimators, numpy arrays and builtins). `get_untrusted_types` lists them; anything
# else in a model file makes loading fail.
TRUSTED_TYPES: tuple[str, ...] = (
    "numpy.dtype",
    "sklearn.compose._column_transformer._RemainderColsList",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)


def read_data(path: Path, text_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Load the raw table. Text columns stay text; mlci validates types afterwards.

    `text_columns` (the row id) must come back as text exactly as written in the file: the split and the PR
    comparison key on it, and "1.5" read as a number would become "1.5" but "7" would become "7.0".
    """
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return read_parquet(path, text_columns)
    return pd.read_csv(path, low_memory=False, dtype=dict.fromkeys(text_columns, str))


PARQUET_SUFFIXES = (".parquet", ".pq")


def read_parquet(path: Path, text_columns: Sequence[str] = ()) -> pd.DataFrame:
    """A Parquet file read with pyarrow; `text_columns` cast to text as Arrow writes them ("7", not "7.0").

    Parquet keeps column types, so a large table loads without parsing text, in a fraction of a CSV's time
    and memory. pyarrow is optional: without it this raises ImportError with the one thing to do.
    """
    try:
        # Optional dependency: absent from some environments, so its stubs may be too.
        import pyarrow as pa  # type: ignore[import-not-found,import-untyped,unused-ignore]
        import pyarrow.compute as pc  # type: ignore[import-not-found,import-untyped,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        raise ImportError(
            f"{path}: reading Parquet needs pyarrow, which is not installed; add it (uv add pyarrow) or use a .csv file"
        ) from None
    table = pq.read_table(path)
    for name in text_columns:
        if name in table.column_names and not pa.types.is_string(table.schema.field(name).type):
            index = table.column_names.index(name)
            table = table.set_column(index, name, pc.cast(table.column(name), pa.string()))
    frame: pd.DataFrame = table.to_pandas()
    return frame


def make_estimator(name: str, task: str, params: dict[str, Any], seed: int) -> BaseEstimator:
    """The bare estimator; raises KeyError for an unknown name, ValueError/TypeError for bad params."""
    pair = ESTIMATORS[name]
    factory = pair[0] if task == "classification" else pair[1]
    if factory is None:
        raise KeyError(name)
    estimator = factory()
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=seed)
    # One thread: identical results on any machine. LogisticRegression's n_jobs does nothing since
    # scikit-learn 1.8 and setting it warns, so it is left alone there.
    if "n_jobs" in estimator.get_params() and not isinstance(estimator, LogisticRegression):
        estimator.set_params(n_jobs=1)
    estimator.set_params(**params)
    return estimator


def build_pipeline(
    estimator: BaseEstimator,
    numeric: Sequence[str],
    categorical: Sequence[str],
    scale_numeric: bool,
) -> Pipeline:
    """Pipeline(ColumnTransformer, estimator): imputes, one-hot encodes categories, optionally scales."""
    numeric_steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median"))]
    if scale_numeric:
        numeric_steps.append(("scale", StandardScaler()))
    categorical_steps = [
        ("impute", SimpleImputer(strategy="most_frequent")),
        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
    ]
    preprocess = ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), list(numeric)),
            ("categorical", Pipeline(categorical_steps), list(categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    return Pipeline([("preprocess", preprocess), ("estimator", estimator)])
