"""deepchecks suites with checks and conditions from params.yaml. The only module that imports deepchecks.

deepchecks is imported inside these functions (it costs 4-9 s), within `quiet_deepchecks()`, which silences
the known warnings of the pinned stack one by one and turns off its progress bars.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlci.checks.frames import CheckFrame, sample
from mlci.checks.hints import with_hints
from mlci.checks.outcome import Outcome, Status, SuiteSummary
from mlci.config import Params
from mlci.config.checks import ChecksParams, CheckSpec, SuiteName
from mlci.errors import ArtifactError, ConfigError

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

# Known warnings of deepchecks 0.19.1 on the pinned stack (numpy 1.26, pandas 2.3, setuptools < 82), each
# seen in this project's runs: (category, message regex, module regex), silenced only around deepchecks
# calls. They matter beyond noise: under `-W error` a warning inside a check makes it "not run".
KNOWN_WARNINGS: tuple[tuple[type[Warning], str, str], ...] = (
    (UserWarning, r"pkg_resources is deprecated as an API", r"deepchecks\."),
    (FutureWarning, r"Downcasting object dtype arrays on \.fillna", r"deepchecks\."),
    (FutureWarning, r"DataFrame\.applymap has been deprecated", r"deepchecks\."),
    (DeprecationWarning, r"the `interpolation=` argument to quantile was renamed", r"deepchecks\."),
    # WeakSegmentsPerformance on a multiclass label
    (FutureWarning, r"ChainedAssignmentError: behaviour will change in pandas 3\.0", r"deepchecks\."),
)


@contextmanager
def quiet_deepchecks() -> Iterator[None]:
    """Silence the pinned stack's known warnings (nothing else) and deepchecks' progress bars."""
    with warnings.catch_warnings():
        for category, message, module in KNOWN_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category, module=module)
        import deepchecks  # its import sets the logger level; set ours after it

        logger = logging.getLogger(deepchecks.__name__)
        level = logger.level
        logger.setLevel(logging.ERROR)  # progress bars are INFO; "using permutation importance" is WARNING
        try:
            yield
        finally:
            logger.setLevel(level)


@dataclass
class BuiltSuite:
    suite: Any
    optional: dict[str, bool]
    skipped: list[str] = field(default_factory=list)


def _available(suite: Any) -> dict[str, tuple[int, Any]]:
    return {type(check).__name__: (index, check) for index, check in suite.checks.items()}


def build_suite(name: SuiteName, config: ChecksParams, task: str, where: Callable[[str], str]) -> BuiltSuite:
    """The deepchecks suite for `name`, edited by checks.<name> in params.yaml; config mistakes raise ConfigError."""
    from deepchecks.core.checks import BaseCheck
    from deepchecks.tabular import checks as dc_checks
    from deepchecks.tabular import suites as dc_suites

    suite = getattr(dc_suites, BASE_SUITE[name])(n_samples=config.sample_rows, random_state=config.seed)
    for check_name, condition, arguments in ADDED.get(name, ()):
        suite.add(
            getattr(getattr(dc_checks, check_name)(n_samples=config.sample_rows, random_state=config.seed), condition)(
                **arguments
            )
        )
    present = _available(suite)
    configured = config.suite(name)
    built = BuiltSuite(suite=suite, optional={})
    for check_name, (index, check) in present.items():
        if check_name == "WeakSegmentsPerformance":
            check.n_top_features = config.weak_segments.n_top_features
            check.n_samples = min(config.weak_segments.n_samples, config.sample_rows)
        _label_safe_scorers(check, task)
        off_by_default = check_name in SWITCHED_OFF.get(name, ()) and check_name not in configured
        if TASK_ONLY.get(check_name, task) != task or check_name in NEEDS_DATETIME or off_by_default:
            suite.remove(index)
            built.skipped.append(check_name)
    for check_name, spec in configured.items():
        key = f"checks.{name}.{check_name}"
        if check_name in present:
            index, check = present[check_name]
        else:
            cls = getattr(dc_checks, check_name, None)
            if not (isinstance(cls, type) and issubclass(cls, BaseCheck)):
                known = ", ".join(sorted(present))
                raise ConfigError(
                    f"{where(key)}: unknown deepchecks check {check_name!r}; the {name} suite has {known} (or any class in deepchecks.tabular.checks)"
                )
            try:
                check = cls(n_samples=config.sample_rows, random_state=config.seed)
            except TypeError:  # a check that does not sample
                check = cls()
            _label_safe_scorers(check, task)
            suite.add(check)
            index = max(suite.checks)
        if check_name in built.skipped:
            continue
        if not spec.enabled:
            suite.remove(index)
            built.skipped.append(check_name)
            continue
        _configure(check, spec, key, where)
        built.optional[check_name] = spec.optional
    return built


def _neg_rmse(model: Any, features: pd.DataFrame, y_true: Any) -> float:
    """deepchecks' default regression score as a plain function. scikit-learn's scorer object refuses the
    stand-in model WeakSegmentsPerformance scores with (its predict method is named `_predict`)."""
    error = np.asarray(model.predict(features), dtype=float) - np.asarray(y_true, dtype=float)
    return -float(np.sqrt(np.mean(error**2)))


def _per_class_scorers() -> dict[str, Any]:
    """deepchecks' default per-class scorers (F1, Precision, Recall), with `pos_label=None`.

    Its own carry scikit-learn's default `pos_label=1`, which scikit-learn >= 1.6 refuses for any model whose
    classes do not include 1 ("low"/"mid"/"high", or 2/3/4). Per class, pos_label changes
    no score.
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


def _stack_lacks_squared_rmse() -> bool:
    from inspect import signature

    from sklearn.metrics import mean_squared_error

    return "squared" not in signature(mean_squared_error).parameters


def _boosting_overfit_fits(model: Any) -> bool:
    """BoostingOverfit refuses anything but a few boosting families (not scikit-learn's HistGradientBoosting)."""
    from deepchecks.tabular.checks.model_evaluation.boosting_overfit import PartialBoostingModel
    from deepchecks.utils.model import get_model_of_pipeline

    supported: tuple[str, ...] = getattr(PartialBoostingModel, "_SUPPORTED_MODELS", ())
    return not supported or type(get_model_of_pipeline(model)).__name__ in supported


def inapplicable(built: BuiltSuite, *, has_id: bool, model: Any) -> list[str]:
    """Checks of the suite that cannot run on these inputs, for reasons that say nothing about the data."""
    names = set(_available(built.suite))
    out = set() if has_id else names & NEEDS_ID
    if model is not None and "BoostingOverfit" in names and not _boosting_overfit_fits(model):
        out.add("BoostingOverfit")
    if names & NEEDS_SQUARED_RMSE and _stack_lacks_squared_rmse():
        out |= names & NEEDS_SQUARED_RMSE
    return sorted(out)


def skip(built: BuiltSuite, names: list[str]) -> None:
    available = _available(built.suite)
    for name in names:
        built.suite.remove(available[name][0])
        built.skipped.append(name)


def _configure(check: Any, spec: CheckSpec, key: str, where: Callable[[str], str]) -> None:
    for attribute, value in spec.params.items():
        if attribute.startswith("_") or not hasattr(check, attribute) or callable(getattr(check, attribute)):
            raise ConfigError(
                f"{where(f'{key}.params.{attribute}')}: {type(check).__name__} has no argument {attribute!r}"
            )
        setattr(check, attribute, value)
    if spec.conditions is None:
        return
    check.clean_conditions()
    for condition, arguments in spec.conditions.items():
        method = getattr(check, f"add_condition_{condition}", None)
        if method is None:
            choices = ", ".join(
                sorted(m.removeprefix("add_condition_") for m in dir(check) if m.startswith("add_condition_"))
            )
            raise ConfigError(
                f"{where(f'{key}.conditions.{condition}')}: {type(check).__name__} has no condition {condition!r}; choose from {choices}"
            )
        try:
            method(**arguments)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where(f'{key}.conditions.{condition}')}: {exc}") from None
        except Exception as exc:  # deepchecks raises its own DeepchecksValueError on bad arguments
            raise ConfigError(f"{where(f'{key}.conditions.{condition}')}: {exc.__class__.__name__}: {exc}") from None


def dc_dataset(checked: CheckFrame, task: str) -> Any:
    from deepchecks.tabular import Dataset

    label_type = None
    if checked.label is not None:
        label_type = (
            "regression"
            if task == "regression"
            else ("binary" if checked.frame[checked.label].nunique() <= 2 else "multiclass")
        )
    frame = checked.frame
    if checked.id_column is not None:
        # Ids are read as text (keys keep their exact form), but deepchecks scores a text index as categories,
        # all distinct, so a row number that predicts the label (rows sorted by label) would pass unseen.
        numeric = pd.to_numeric(frame[checked.id_column], errors="coerce")
        if numeric.notna().all():
            frame = frame.assign(**{checked.id_column: numeric})
    return Dataset(
        frame,
        label=checked.label,
        features=list(checked.features),
        cat_features=list(checked.categorical),
        index_name=checked.id_column,
        set_index_from_dataframe_index=False,
        label_type=label_type,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{exc.__class__.__name__}: {text.splitlines()[0]}" if text else exc.__class__.__name__


_STATUS: dict[str, Status] = {"PASS": "passed", "WARN": "warned", "FAIL": "failed", "ERROR": "failed"}


def outcomes_of(result: Any, optional: dict[str, bool]) -> tuple[tuple[Outcome, ...], tuple[str, ...]]:
    """Every condition result and every check that did not run (which `SuiteResult.passed()` ignores)."""
    from deepchecks.core.check_result import CheckFailure

    outcomes: list[Outcome] = []
    no_condition: set[str] = set()
    for item in result.results:
        name = type(item.check).__name__
        if isinstance(item, CheckFailure):
            outcomes.append(
                Outcome(
                    check=name,
                    header=item.header,
                    condition=None,
                    status="not-run",
                    value=_first_line(item.exception),
                    optional=optional.get(name, False),
                )
            )
            continue
        conditions = item.conditions_results or []
        if not conditions:
            no_condition.add(name)
        for condition in conditions:
            details = " ".join(str(condition.details).split())
            outcomes.append(
                Outcome(
                    check=name,
                    header=item.get_header(),
                    condition=condition.name,
                    status=_STATUS[condition.category.name],
                    value=details,
                )
            )
    return tuple(outcomes), tuple(sorted(no_condition))


def save_html(result: Any, path: Path) -> None:
    """deepchecks never overwrites (it adds a suffix): save into a fresh temp folder, then rename over `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=path.parent))
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        result.save_as_html(str(temp / path.name), as_widget=False)
        (temp / path.name).replace(path)
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)


@dataclass(frozen=True)
class SuiteInput:
    """What one suite run gets: one or two whole data sets (run_suite samples them), optionally a model and
    precomputed importances."""

    train: CheckFrame
    test: CheckFrame | None = None
    model: Any = None
    feature_importance: pd.Series | None = None
    # "Test": single-data-set checks (ROC, weak segments, ...) judge the holdout only, at half the cost.
    single_dataset: str | None = None


def run_suite(name: SuiteName, inputs: SuiteInput, *, params: Params, command: str, out: Path) -> SuiteSummary:
    """Run one suite on at most `checks.sample_rows` rows a side, write `<out>/<name>.html`, return its summary
    (the caller writes the JSON); the summary states both the rows there were and the rows sampled."""
    start = time.perf_counter()
    config, task = params.checks, params.data.task
    rows = {"train": inputs.train.rows, "test": inputs.test.rows if inputs.test is not None else None}
    train_frame = sample(inputs.train, config.sample_rows, config.seed)
    test_frame = sample(inputs.test, config.sample_rows, config.seed) if inputs.test is not None else None
    with quiet_deepchecks():
        built = build_suite(name, config, task, params.where)
        skip(built, inapplicable(built, has_id=inputs.train.id_column is not None, model=inputs.model))
        classes = getattr(inputs.model, "classes_", None) if task == "classification" else None
        sampled = {"train": train_frame.rows, "test": test_frame.rows if test_frame is not None else None}
        try:
            train = dc_dataset(train_frame, task)
            test = dc_dataset(test_frame, task) if test_frame is not None else None
            # deepchecks asks permutation importance for n_jobs=-1: worker processes cost seconds to start.
            # One OpenMP thread per model call: on a busy shared runner the pool stalls small predictions.
            with joblib.parallel_config(backend="threading"), threadpool_limits(limits=1, user_api="openmp"):
                result = built.suite.run(
                    train_dataset=train,
                    test_dataset=test,
                    model=inputs.model,
                    feature_importance=inputs.feature_importance,
                    feature_importance_timeout=config.feature_importance_timeout,
                    run_single_dataset=inputs.single_dataset,
                    model_classes=None if classes is None else list(classes),
                )
        except Exception as exc:  # deepchecks refuses the data (e.g. no usable label): the suite did not run
            outcome = Outcome(
                check="suite", header=f"{name} suite", condition=None, status="not-run", value=_first_line(exc)
            )
            return SuiteSummary(
                suite=name,
                command=command,
                outcomes=(outcome,),
                rows=rows,
                rows_sampled=sampled,
                sample_rows=config.sample_rows,
                fail_on_warning=config.fail_on_warning,
                duration_seconds=time.perf_counter() - start,
                skipped=tuple(built.skipped),
            )
        outcomes, no_condition = outcomes_of(result, built.optional)
        outcomes = with_hints(name, outcomes)
        save_html(result, out / f"{name}.html")
    return SuiteSummary(
        suite=name,
        command=command,
        outcomes=outcomes,
        rows=rows,
        rows_sampled=sampled,
        sample_rows=config.sample_rows,
        fail_on_warning=config.fail_on_warning,
        html=f"{name}.html",
        duration_seconds=time.perf_counter() - start,
        skipped=tuple(built.skipped),
        no_condition=no_condition,
    )
