"""Runs deepchecks suites in the checks environment (.venv-checks), apart from the model's stack.

`mlci check` (the core environment) writes a job folder and runs `python -I runner.py JOB_DIR` with the checks
environment's interpreter: this file is run as a script there and imports nothing from mlci (mlci's own
dependencies are not installed there). No model object crosses: the suites get the model's predictions,
probabilities, classes and feature importance and run with `model=None`.

JOB_DIR/job.json (written by `mlci.checks.suites` from the same source tree; `Job` below types it for mypy):

    {"format": 1, "task": "classification" | "regression",
     "config": {"sample_rows", "seed", "feature_importance_timeout", "weak_segments": {"n_top_features", "n_samples"}},
     "suites": {"<suite>": {"<Check>": {"enabled", "optional", "conditions", "params"}}},   # every suite to build
     "runs": [{"suite", "train": FRAME, "test": FRAME | null, "single_dataset": "Test" | null,
               "predictions": {"train", "test", "proba_train", "proba_test", "classes"} | null,
               "feature_importance": {"<feature>": float} | null}]}
    FRAME = {"file": "<name>.json", "id_column", "label", "features", "categorical"}
    <name>.json = {"columns": [{"name", "kind": "int" | "float" | "bool" | "object", "values": [...]}]}

Every suite is built (so every params.yaml mistake is found) before any runs. JOB_DIR/result.json is `Result`
below (the core validates it with pydantic; this side has none):

    {"config_errors": [{"key": "checks.<suite>.<Check>...", "message": "..."}],      # non-empty: nothing ran
     "suites": [{"suite", "outcomes": [CHECK], "no_condition": [...], "skipped": [...], "in_core": [...],
                 "html": "<suite>.html" | null, "duration_seconds": float}]}
    CHECK = {"check", "name", "condition", "status", "value", "optional"}   # the keys of mlci.core.artifacts.CheckEntry

`in_core` names checks the suite holds that need the model object (ModelInferenceTime): the core measures them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd

FORMAT = 1

# deepchecks suite function behind each of our suite names.
BASE_SUITE: dict[str, str] = {
    "data_integrity": "data_integrity",
    "train_test_validation": "train_test_validation",
    "model_evaluation": "model_evaluation",
    "drift": "train_test_validation",
}

# Checks that only make sense for one task: dropped (listed as skipped) for the other instead of "not run".
TASK_ONLY: dict[str, str] = {
    "RegressionErrorDistribution": "regression",
    "RocReport": "classification",
    "ConfusionMatrixReport": "classification",
    "CalibrationScore": "classification",
    "ConflictingLabels": "classification",
    "NewLabelTrainTest": "classification",
}

# Defaults of our own on top of deepchecks' suites; params.yaml entries override them.
# data_integrity has no null check by default: a column more than half empty must fail it. deepchecks' own 5 %
# fails the first run on most real tables (the pipeline imputes nulls, and the schema's `nullable` already
# refuses a null in a column that had none); `mlci init` writes a threshold from the data instead.
ADDED: dict[str, tuple[tuple[str, str, dict[str, Any]], ...]] = {
    "data_integrity": (("PercentOfNulls", "add_condition_percent_of_nulls_not_greater_than", {"threshold": 0.5}),),
}
# Between a reference and the current data, shared rows are expected, not leakage.
SWITCHED_OFF: dict[str, frozenset[str]] = {
    "drift": frozenset({"IndexTrainTestLeakage", "TrainTestSamplesMix", "DatasetsSizeComparison"}),
}

# mlci hands deepchecks no datetime column, so these can never run: skipped rather than failed as not-run.
NEEDS_DATETIME = frozenset({"DateTrainTestLeakageDuplicates", "DateTrainTestLeakageOverlap"})
# These judge the id column. Without one, rows are keyed on a hash of their values: that key is not data, so
# it is never handed to deepchecks, and these checks are skipped rather than failed as not-run.
NEEDS_ID = frozenset({"IdentifierLabelCorrelation", "IndexTrainTestLeakage"})
# deepchecks 0.19.1 computes RMSE with `mean_squared_error(squared=False)`, which scikit-learn 1.6 removed:
# on such a stack these crash on every data set.
NEEDS_SQUARED_RMSE = frozenset({"RegressionErrorDistribution", "RegressionSystematicError"})
# BoostingOverfit refits the model stage by stage ("relevant only when receiving the model"): no model object
# crosses into this environment, so it is skipped.
NEEDS_MODEL = frozenset({"BoostingOverfit"})
# Timing the model means something only where the model runs: the core measures it with the same conditions.
MEASURED_IN_CORE = frozenset({"ModelInferenceTime"})

# Known warnings of deepchecks 0.19.1 on its pinned stack (numpy 1.26, pandas 2.3, setuptools < 82), each seen
# in this project's runs: (category, message regex, module regex), silenced around deepchecks only. A warning
# printed here would land in the runner's stderr, which the core shows only when the runner crashes.
KNOWN_WARNINGS: tuple[tuple[type[Warning], str, str], ...] = (
    (UserWarning, r"pkg_resources is deprecated as an API", r"deepchecks\."),
    (FutureWarning, r"Downcasting object dtype arrays on \.fillna", r"deepchecks\."),
    (FutureWarning, r"DataFrame\.applymap has been deprecated", r"deepchecks\."),
    (DeprecationWarning, r"the `interpolation=` argument to quantile was renamed", r"deepchecks\."),
    # WeakSegmentsPerformance on a multiclass label
    (FutureWarning, r"ChainedAssignmentError: behaviour will change in pandas 3\.0", r"deepchecks\."),
)


class FrameSpec(TypedDict):
    file: str
    id_column: str | None
    label: str | None
    features: list[str]
    categorical: list[str]


class Predictions(TypedDict, total=False):
    train: list[Any]
    test: list[Any]
    proba_train: list[list[float]]
    proba_test: list[list[float]]
    classes: list[Any] | None


class RunSpec(TypedDict):
    suite: str
    train: FrameSpec
    test: FrameSpec | None
    single_dataset: str | None
    predictions: Predictions | None
    feature_importance: dict[str, float] | None


class WeakSegments(TypedDict):
    n_top_features: int
    n_samples: int


class JobConfig(TypedDict):
    sample_rows: int
    seed: int
    feature_importance_timeout: float
    weak_segments: WeakSegments


class Job(TypedDict):
    format: int
    task: str
    config: JobConfig
    suites: dict[str, dict[str, dict[str, Any]]]  # checks.<suite> of params.yaml, as mlci.config.checks dumps it
    runs: list[RunSpec]


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    message: str


@dataclass(frozen=True)
class SuiteRun:
    """One suite's result; each outcome holds the keys of `mlci.core.artifacts.CheckEntry`."""

    suite: str
    outcomes: list[dict[str, Any]]
    no_condition: list[str]
    skipped: list[str]
    in_core: list[str]
    html: str | None
    duration_seconds: float


@dataclass(frozen=True)
class Result:
    config_errors: list[ConfigProblem] = field(default_factory=list)
    suites: list[SuiteRun] = field(default_factory=list)


class SpecError(Exception):
    """A params.yaml mistake: the core prefixes the file and line of `key`."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


@contextmanager
def quiet_deepchecks() -> Iterator[None]:
    """Silence the pinned stack's known warnings (nothing else) and deepchecks' progress bars."""
    with warnings.catch_warnings():
        for category, message, module in KNOWN_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category, module=module)
        import deepchecks  # its import sets the logger level; set ours after it

        logger = logging.getLogger(deepchecks.__name__)
        level = logger.level
        logger.setLevel(logging.ERROR)  # progress bars are INFO
        try:
            yield
        finally:
            logger.setLevel(level)


@dataclass
class BuiltSuite:
    suite: Any
    optional: dict[str, bool]
    skipped: list[str] = field(default_factory=list)
    in_core: list[str] = field(default_factory=list)


def _available(suite: Any) -> dict[str, tuple[int, Any]]:
    return {type(check).__name__: (index, check) for index, check in suite.checks.items()}


def build_suite(name: str, config: JobConfig, specs: dict[str, dict[str, Any]], task: str) -> BuiltSuite:
    """The deepchecks suite for `name`, edited by checks.<name> in params.yaml; config mistakes raise SpecError."""
    from deepchecks.core.checks import BaseCheck
    from deepchecks.tabular import checks as dc_checks
    from deepchecks.tabular import suites as dc_suites

    rows, seed = config["sample_rows"], config["seed"]
    suite = getattr(dc_suites, BASE_SUITE[name])(n_samples=rows, random_state=seed)
    for check_name, condition, arguments in ADDED.get(name, ()):
        suite.add(getattr(getattr(dc_checks, check_name)(n_samples=rows, random_state=seed), condition)(**arguments))
    present = _available(suite)
    built = BuiltSuite(suite=suite, optional={})
    for check_name, (index, check) in present.items():
        if check_name == "WeakSegmentsPerformance":
            check.n_top_features = config["weak_segments"]["n_top_features"]
            check.n_samples = min(config["weak_segments"]["n_samples"], rows)
        _label_safe_scorers(check, task)
        off_by_default = check_name in SWITCHED_OFF.get(name, ()) and check_name not in specs
        if TASK_ONLY.get(check_name, task) != task or check_name in NEEDS_DATETIME or off_by_default:
            suite.remove(index)
            built.skipped.append(check_name)
    for check_name, spec in specs.items():
        key = f"checks.{name}.{check_name}"
        if check_name in present:
            index, check = present[check_name]
        else:
            cls = getattr(dc_checks, check_name, None)
            if not (isinstance(cls, type) and issubclass(cls, BaseCheck)):
                known = ", ".join(sorted(present))
                raise SpecError(
                    key,
                    f"unknown deepchecks check {check_name!r}; the {name} suite has {known} (or any class in deepchecks.tabular.checks)",
                )
            try:
                check = cls(n_samples=rows, random_state=seed)
            except TypeError:  # a check that does not sample
                check = cls()
            _label_safe_scorers(check, task)
            suite.add(check)
            index = max(suite.checks)
        if check_name in built.skipped:
            continue
        if not spec["enabled"]:
            suite.remove(index)
            built.skipped.append(check_name)
            continue
        _configure(check, spec, key)
        built.optional[check_name] = spec["optional"]
    return built


def _neg_rmse(model: Any, features: pd.DataFrame, y_true: Any) -> float:
    """deepchecks' default regression score as a plain function. scikit-learn's scorer object refuses the
    stand-in model WeakSegmentsPerformance scores with (its predict method is named `_predict`)."""
    error = np.asarray(model.predict(features), dtype=float) - np.asarray(y_true, dtype=float)
    return -float(np.sqrt(np.mean(error**2)))


def _neg_mae(model: Any, features: pd.DataFrame, y_true: Any) -> float:
    error = np.asarray(model.predict(features), dtype=float) - np.asarray(y_true, dtype=float)
    return -float(np.mean(np.abs(error)))


def _r2(model: Any, features: pd.DataFrame, y_true: Any) -> float:
    truth = np.asarray(y_true, dtype=float)
    residual = float(np.sum((truth - np.asarray(model.predict(features), dtype=float)) ** 2))
    total = float(np.sum((truth - truth.mean()) ** 2))
    return 1.0 - residual / total if total > 0 else 0.0


# deepchecks' default regression scores (same names) as plain functions: with `model=None` the suites score a
# stand-in regressor, and scikit-learn's scorer objects refuse it (response_method `_predict`).
REGRESSION_SCORERS: dict[str, Any] = {"Neg RMSE": _neg_rmse, "Neg MAE": _neg_mae, "R2": _r2}


def _per_class_scorers() -> dict[str, Any]:
    """deepchecks' default per-class scorers (F1, Precision, Recall), with `pos_label=None`.

    Its own carry scikit-learn's default `pos_label=1`, which scikit-learn >= 1.6 refuses for any model whose
    classes do not include 1 ("low"/"mid"/"high", or 2/3/4). Per class, pos_label changes no score.
    """
    from sklearn.metrics import f1_score, make_scorer, precision_score, recall_score

    return {
        name: make_scorer(metric, average=None, zero_division=0, pos_label=None)
        for name, metric in (("F1", f1_score), ("Precision", precision_score), ("Recall", recall_score))
    }


def _label_safe_scorers(check: Any, task: str) -> None:
    """Give the checks whose default scorers crash on some label sets equivalent scorers that do not.

    Set before params.yaml's `params:` are applied, so scorers given there still win.
    """
    name = type(check).__name__
    if task == "classification" and name == "TrainTestPerformance" and check.scorers is None:
        check.scorers = _per_class_scorers()
    elif task == "classification" and name == "SimpleModelComparison" and check.alternative_scorers is None:
        check.alternative_scorers = {"F1": _per_class_scorers()["F1"]}
    elif task == "regression" and name == "WeakSegmentsPerformance" and check.alternative_scorer is None:
        check.alternative_scorer = {"Neg RMSE": _neg_rmse}
    elif task == "regression" and name == "TrainTestPerformance" and check.scorers is None:
        check.scorers = dict(REGRESSION_SCORERS)
    elif task == "regression" and name == "SimpleModelComparison" and check.alternative_scorers is None:
        check.alternative_scorers = dict(REGRESSION_SCORERS)


def _stack_lacks_squared_rmse() -> bool:
    from inspect import signature

    from sklearn.metrics import mean_squared_error

    return "squared" not in signature(mean_squared_error).parameters


def inapplicable(built: BuiltSuite, *, has_id: bool) -> list[str]:
    """Checks of the suite that cannot run on these inputs, for reasons that say nothing about the data."""
    names = set(_available(built.suite))
    out = (set() if has_id else names & NEEDS_ID) | (names & NEEDS_MODEL)
    if names & NEEDS_SQUARED_RMSE and _stack_lacks_squared_rmse():
        out |= names & NEEDS_SQUARED_RMSE
    return sorted(out)


def skip(built: BuiltSuite, names: list[str]) -> None:
    available = _available(built.suite)
    for name in names:
        built.suite.remove(available[name][0])
        built.skipped.append(name)


def hand_to_core(built: BuiltSuite) -> None:
    """Take out the checks the core measures itself (they keep their params.yaml conditions there)."""
    for name, (index, _) in _available(built.suite).items():
        if name in MEASURED_IN_CORE:
            built.suite.remove(index)
            built.in_core.append(name)


def _configure(check: Any, spec: dict[str, Any], key: str) -> None:
    for attribute, value in spec["params"].items():
        if attribute.startswith("_") or not hasattr(check, attribute) or callable(getattr(check, attribute)):
            raise SpecError(f"{key}.params.{attribute}", f"{type(check).__name__} has no argument {attribute!r}")
        setattr(check, attribute, value)
    if spec["conditions"] is None:
        return
    check.clean_conditions()
    for condition, arguments in spec["conditions"].items():
        where = f"{key}.conditions.{condition}"
        method = getattr(check, f"add_condition_{condition}", None)
        if method is None:
            choices = ", ".join(
                sorted(m.removeprefix("add_condition_") for m in dir(check) if m.startswith("add_condition_"))
            )
            raise SpecError(where, f"{type(check).__name__} has no condition {condition!r}; choose from {choices}")
        try:
            method(**arguments)
        except (TypeError, ValueError) as exc:
            raise SpecError(where, str(exc)) from None
        except Exception as exc:  # deepchecks raises its own DeepchecksValueError on bad arguments
            raise SpecError(where, f"{exc.__class__.__name__}: {exc}") from None


def read_frame(path: Path) -> pd.DataFrame:
    """A frame as the core wrote it: one typed list per column (text columns keep NaN for empty cells)."""
    payload = json.loads(path.read_text())
    data: dict[str, Any] = {}
    for column in payload["columns"]:
        kind, values = column["kind"], column["values"]
        if kind == "int":
            data[column["name"]] = np.asarray(values, dtype=np.int64)
        elif kind == "float":
            data[column["name"]] = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
        elif kind == "bool":
            data[column["name"]] = np.asarray(values, dtype=bool)
        else:
            data[column["name"]] = np.asarray([np.nan if v is None else v for v in values], dtype=object)
    return pd.DataFrame(data, columns=[c["name"] for c in payload["columns"]])


def dc_dataset(frame: pd.DataFrame, meta: FrameSpec, task: str) -> Any:
    from deepchecks.tabular import Dataset

    label, id_column = meta["label"], meta["id_column"]
    label_type = None
    if label is not None:
        label_type = (
            "regression" if task == "regression" else ("binary" if frame[label].nunique() <= 2 else "multiclass")
        )
    if id_column is not None:
        # Ids are read as text (keys keep their exact form), but deepchecks scores a text index as categories,
        # all distinct, so a row number that predicts the label (rows sorted by label) would pass unseen.
        numeric = pd.to_numeric(frame[id_column], errors="coerce")
        if numeric.notna().all():
            frame = frame.assign(**{id_column: numeric})
    return Dataset(
        frame,
        label=label,
        features=list(meta["features"]),
        cat_features=list(meta["categorical"]),
        index_name=id_column,
        set_index_from_dataframe_index=False,
        label_type=label_type,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{exc.__class__.__name__}: {text.splitlines()[0]}" if text else exc.__class__.__name__


_STATUS: dict[str, str] = {"PASS": "passed", "WARN": "warned", "FAIL": "failed", "ERROR": "failed"}


def _entry(check: str, name: str, condition: str | None, status: str, value: str, *, optional: bool) -> dict[str, Any]:
    """One outcome with `mlci.core.artifacts.CheckEntry`'s keys (the core validates it as one)."""
    return {
        "check": check,
        "name": name,
        "condition": condition,
        "status": status,
        "value": value,
        "optional": optional,
    }


def outcomes_of(result: Any, optional: dict[str, bool]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every condition result and every check that did not run (which `SuiteResult.passed()` ignores)."""
    from deepchecks.core.check_result import CheckFailure

    outcomes: list[dict[str, Any]] = []
    no_condition: set[str] = set()
    for item in result.results:
        name = type(item.check).__name__
        if isinstance(item, CheckFailure):
            outcomes.append(
                _entry(
                    name, item.header, None, "not-run", _first_line(item.exception), optional=optional.get(name, False)
                )
            )
            continue
        conditions = item.conditions_results or []
        if not conditions:
            no_condition.add(name)
        for condition in conditions:
            details = " ".join(str(condition.details).split())
            outcomes.append(
                _entry(
                    name, item.get_header(), condition.name, _STATUS[condition.category.name], details, optional=False
                )
            )
    return outcomes, sorted(no_condition)


def save_html(result: Any, path: Path) -> None:
    """deepchecks never overwrites (it adds a suffix): save into a fresh temp folder, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=path.parent))
    try:
        result.save_as_html(str(temp / path.name), as_widget=False)
        (temp / path.name).replace(path)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _array(values: Any) -> Any:
    return None if values is None else np.asarray(values)


def run_one(run: RunSpec, task: str, config: JobConfig, built: BuiltSuite, folder: Path) -> SuiteRun:
    """Run one suite on the frames the core sampled; the HTML goes to JOB_DIR/html/<suite>.html."""
    import joblib
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    name, train_meta, test_meta = run["suite"], run["train"], run["test"]
    skip(built, inapplicable(built, has_id=train_meta["id_column"] is not None))
    hand_to_core(built)
    predictions: Predictions = run["predictions"] or {}
    importance = run["feature_importance"]
    try:
        train = dc_dataset(read_frame(folder / train_meta["file"]), train_meta, task)
        test = dc_dataset(read_frame(folder / test_meta["file"]), test_meta, task) if test_meta else None
        # deepchecks asks for n_jobs=-1 in places: worker processes cost seconds to start. One OpenMP thread:
        # on a busy shared runner the pool stalls small computations.
        with joblib.parallel_config(backend="threading"), threadpool_limits(limits=1, user_api="openmp"):
            result = built.suite.run(
                train_dataset=train,
                test_dataset=test,
                model=None,
                y_pred_train=_array(predictions.get("train")),
                y_pred_test=_array(predictions.get("test")),
                y_proba_train=_array(predictions.get("proba_train")),
                y_proba_test=_array(predictions.get("proba_test")),
                feature_importance=None if importance is None else pd.Series(importance, dtype=float),
                feature_importance_timeout=config["feature_importance_timeout"],
                run_single_dataset=run["single_dataset"],
                model_classes=predictions.get("classes"),
            )
    except Exception as exc:  # deepchecks refuses the data (e.g. no usable label): the suite did not run
        return SuiteRun(
            suite=name,
            outcomes=[_entry("suite", f"{name} suite", None, "not-run", _first_line(exc), optional=False)],
            no_condition=[],
            skipped=sorted(built.skipped),
            in_core=sorted(built.in_core),
            html=None,
            duration_seconds=time.perf_counter() - start,
        )
    outcomes, no_condition = outcomes_of(result, built.optional)
    save_html(result, folder / "html" / f"{name}.html")
    return SuiteRun(
        suite=name,
        outcomes=outcomes,
        no_condition=no_condition,
        skipped=sorted(built.skipped),
        in_core=sorted(built.in_core),
        html=f"{name}.html",
        duration_seconds=time.perf_counter() - start,
    )


def main(folder: Path) -> None:
    job: Job = json.loads((folder / "job.json").read_text())
    if job.get("format") != FORMAT:
        sys.exit(f"runner: job format {job.get('format')!r}, expected {FORMAT}: the checks environment is stale")
    task, config = job["task"], job["config"]
    # deepchecks' import otherwise calls api.deepchecks.com with an id it stores in its own package folder.
    os.environ.setdefault("DISABLE_DEEPCHECKS_ANONYMOUS_TELEMETRY", "True")
    with quiet_deepchecks():
        built: dict[str, BuiltSuite] = {}
        try:
            for name, specs in job["suites"].items():
                built[name] = build_suite(name, config, specs, task)
        except SpecError as exc:
            result = Result(config_errors=[ConfigProblem(exc.key, exc.message)])
        else:
            result = Result(suites=[run_one(run, task, config, built[run["suite"]], folder) for run in job["runs"]])
    (folder / "result.json").write_text(json.dumps(asdict(result)))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
