"""The model side of the template: the one module a user rewrites, and everything mlci asks of a model.

Everything else in mlci is CI machinery that works for any estimator with scikit-learn's interface. This
module holds the whole contract (docs/model.md walks through each change):

- `ESTIMATORS`: the names `model.estimator` may take. Add a family here (LightGBM, XGBoost, your own class).
- `build_pipeline`: the preprocessing in front of the estimator; its options (`model.pipeline` in
  params.yaml) are a free mapping it validates itself.
- `predict`: how labels (and class probabilities) come from a model. Training, evaluation, the model
  checks, the image smoke test and the server all call it, so they can never answer differently.
- `TRUSTED_TYPES`: the types a saved model may hold. Models load only with this explicit allowlist,
  never "trust everything".
- `MODEL_CHECKS`: your own checks of the trained model, run by `mlci check model` beside deepchecks'.
- `read_data`: how the data file is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
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

# Any class with fit/predict (classifiers: predict_proba and classes_), get_params/set_params and
# scikit-learn's estimator tags (`__sklearn_tags__`, which a Pipeline reads) will do.
EstimatorFactory = Callable[..., Any]

# name -> (classifier, regressor); None where the family has no such variant.
ESTIMATORS: dict[str, tuple[EstimatorFactory | None, EstimatorFactory | None]] = {
    "hist_gradient_boosting": (HistGradientBoostingClassifier, HistGradientBoostingRegressor),
    "random_forest": (RandomForestClassifier, RandomForestRegressor),
    "logistic_regression": (LogisticRegression, None),
    "ridge": (None, Ridge),
}

# Classifiers whose `predict` is, by construction, the class of highest `predict_proba`: `predict` takes
# their labels from one pass over the model instead of two (half the predict time of a forest). Exact
# types only: a subclass or wrapper (a tuned decision threshold, say) may decide labels its own way.
LABELS_ARE_ARGMAX: tuple[type, ...] = (HistGradientBoostingClassifier, RandomForestClassifier, LogisticRegression)

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


def make_estimator(name: str, task: str, params: Mapping[str, Any], seed: int) -> Any:
    """The bare estimator; raises KeyError for an unknown name, ValueError/TypeError for bad params."""
    pair = ESTIMATORS[name]
    factory = pair[0] if task == "classification" else pair[1]
    if factory is None:
        raise KeyError(name)
    estimator = factory()
    settable = estimator.get_params()
    if "random_state" in settable:
        estimator.set_params(random_state=seed)
    # One thread: identical results on any machine. LogisticRegression's n_jobs does nothing since
    # scikit-learn 1.8 and setting it warns, so it is left alone there.
    if "n_jobs" in settable and not isinstance(estimator, LogisticRegression):
        estimator.set_params(n_jobs=1)
    estimator.set_params(**params)
    return estimator


class PipelineOptionError(ValueError):
    """A `model.pipeline` option `build_pipeline` does not take, or a value it cannot use."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


# The options `build_pipeline` takes (`model.pipeline` in params.yaml) and their defaults.
PIPELINE_OPTIONS: dict[str, bool] = {
    "scale_numeric": False,  # standardise numeric features (linear models want it)
}


def pipeline_options(given: Mapping[str, Any]) -> dict[str, bool]:
    """`given` over the defaults; PipelineOptionError naming the first unknown option or bad value."""
    options = dict(PIPELINE_OPTIONS)
    for key, value in given.items():
        if key not in PIPELINE_OPTIONS:
            raise PipelineOptionError(
                key, f"unknown pipeline option {key!r}; build_pipeline takes {', '.join(PIPELINE_OPTIONS)}"
            )
        if not isinstance(value, bool):
            raise PipelineOptionError(key, f"expected true or false, got {value!r}")
        options[key] = value
    return options


def build_pipeline(
    estimator: Any,
    numeric: Sequence[str],
    categorical: Sequence[str],
    options: Mapping[str, Any],
) -> Pipeline:
    """Pipeline(ColumnTransformer, estimator): imputes, one-hot encodes categories, optionally scales."""
    chosen = pipeline_options(options)
    numeric_steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median"))]
    if chosen["scale_numeric"]:
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


def predict(model: Any, X: pd.DataFrame, task: str) -> tuple[npt.NDArray[Any], npt.NDArray[np.float64] | None]:
    """The model's labels for `X` and, for a classifier, its class probabilities in `model.classes_` order.

    The label is whatever the model's own `predict` says (a classifier with a tuned threshold keeps its
    threshold); for the types in LABELS_ARE_ARGMAX it is read off the probabilities, which is the same
    answer from one pass instead of two.
    """
    if task != "classification":
        return np.asarray(model.predict(X)), None
    proba = np.asarray(model.predict_proba(X), dtype=float)
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if type(final) in LABELS_ARE_ARGMAX:
        return np.asarray(model.classes_)[np.argmax(proba, axis=1)], proba
    return np.asarray(model.predict(X)), proba


@dataclass(frozen=True)
class CheckData:
    """What a model check sees: the rows deepchecks' model_evaluation suite sees (the same sample, in the
    core environment) and the model's answers on the holdout, from `predict`."""

    task: str
    model: Any
    train_features: pd.DataFrame
    train_target: pd.Series
    test_features: pd.DataFrame
    test_target: pd.Series
    y_pred: npt.NDArray[Any]  # labels (classification) or values (regression) for test_features
    proba: npt.NDArray[np.float64] | None  # one column per class, in `classes` order
    classes: tuple[Any, ...]


@dataclass(frozen=True)
class CheckResult:
    """One condition of a model check: what had to hold, whether it did, and what was measured."""

    condition: str
    passed: bool
    value: str


ModelCheck = Callable[[CheckData], CheckResult | Sequence[CheckResult]]

# Your checks of the trained model, by name: `mlci check model` runs each on the model_evaluation rows and
# reports its results in model_evaluation.json and the PR report, gating like deepchecks' conditions.
# Register one with @model_check("Name") (an example is in docs/model.md).
MODEL_CHECKS: dict[str, ModelCheck] = {}


def model_check(name: str) -> Callable[[ModelCheck], ModelCheck]:
    """Decorator: register `function` in MODEL_CHECKS under `name`."""

    def register(function: ModelCheck) -> ModelCheck:
        MODEL_CHECKS[name] = function
        return function

    return register
