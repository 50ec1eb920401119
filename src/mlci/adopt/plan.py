"""What `mlci init` learns from a new table: task, classes, column roles, metrics, gates and check settings.

Pure: a DataFrame in, a Plan out. Every choice is one a new project can live with on its first pull request
and states why, so a reviewer can tighten it later (floors are "better than chance", not a guess at quality).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from mlci.config.training import Task
from mlci.core.errors import DataError
from mlci.data.dataset import looks_numeric

TaskChoice = Literal["auto", "classification", "regression"]

# A numeric target with at most this many distinct whole numbers is read as class labels.
MAX_CLASSES_FOR_NUMBERS = 20
# A text column with more distinct values than this (and most rows unique) is free text or a name, not a category.
MAX_CATEGORIES = 200


@dataclass(frozen=True)
class ColumnFacts:
    name: str
    role: str  # id, target, numeric, categorical, ignored
    dtype: str
    nulls: int
    distinct: int
    summary: str  # range for numbers, most frequent values for text
    why: str = ""  # for ignored columns


@dataclass(frozen=True)
class Plan:
    data_file: str
    rows: int
    target: str
    task: Task
    classes: tuple[str, ...]
    id_column: str | None
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    ignored: dict[str, str]
    columns: tuple[ColumnFacts, ...]
    primary: str
    report: tuple[str, ...]
    gates_min: dict[str, float]
    max_regression: dict[str, float]
    null_threshold: float
    duplicate_ratio: float
    notes: tuple[str, ...] = field(default=())

    @property
    def class_word(self) -> str:
        if self.task == "regression":
            return "regression"
        return "binary classification" if len(self.classes) == 2 else f"{len(self.classes)}-class classification"


def _is_whole(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    return bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))


def infer_task(y: pd.Series, requested: TaskChoice, target: str, where: str) -> Task:
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if requested == "regression":
        if not numeric:
            sample = y.dropna().astype(str).iloc[0]
            raise DataError(f"{where}: --task regression needs a numeric target; column {target!r} has {sample!r}")
        return "regression"
    if requested == "classification":
        return "classification"
    if numeric and (y.nunique() > MAX_CLASSES_FOR_NUMBERS or not _is_whole(y)):
        return "regression"
    return "classification"


def _summary(column: pd.Series, numeric: bool) -> str:
    values = column.dropna()
    if values.empty:
        return "empty"
    if numeric:
        numbers = pd.to_numeric(values)
        return f"{_fmt(float(numbers.min()))} .. {_fmt(float(numbers.max()))}"
    top = values.astype(str).value_counts().head(4)
    more = " ..." if values.nunique() > 4 else ""
    return ", ".join(f"`{value}`" for value in top.index) + more


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _round_up(value: float, step: float) -> float:
    return round(math.ceil(value / step - 1e-9) * step, 6)


def metrics_for(task: Task, classes: int, target_has_zero: bool) -> tuple[str, tuple[str, ...]]:
    if task == "regression":
        report = ("r2", "rmse", "mae") + (() if target_has_zero else ("mape",))
        return "r2", report
    return "roc_auc", ("roc_auc", "accuracy", "balanced_accuracy", "f1_macro", "pr_auc", "log_loss", "brier")


def gates_for(task: Task, classes: int) -> tuple[dict[str, float], dict[str, float]]:
    """Floors a model that learned anything clears (better than chance), and the PR tolerances."""
    if task == "regression":
        return {"r2": 0.05}, {"r2": 0.02}
    chance = 1.0 / classes
    return (
        {"roc_auc": 0.6, "balanced_accuracy": round(min(chance + 0.05, 0.95), 2)},
        {"roc_auc": 0.01, "balanced_accuracy": 0.02},
    )


def _check_inputs(frame: pd.DataFrame, target: str, id_column: str | None, where: str) -> None:
    columns = [str(c) for c in frame.columns]
    shown = ", ".join(columns[:12]) + (" ..." if len(columns) > 12 else "")
    if target not in columns:
        raise DataError(f"{where}: no column {target!r} (--target); columns: {shown}")
    if id_column is not None and id_column not in columns:
        raise DataError(f"{where}: no column {id_column!r} (--id); columns: {shown}")
    if id_column == target:
        raise DataError(f"{where}: --id and --target name the same column {target!r}")
    missing = int(frame[target].isna().sum())
    if missing:
        raise DataError(
            f"{where}: target column {target!r} is empty in {missing} of {len(frame)} rows; drop those rows first"
        )
    if id_column is not None:
        ids = frame[id_column]
        if ids.isna().any() or not ids.astype(str).is_unique:
            raise DataError(
                f"{where}: id column {id_column!r} has empty or repeated values; fix it, or omit --id to key rows on their values"
            )


def _classes(y: pd.Series, target: str, where: str) -> tuple[tuple[str, ...], list[str]]:
    counts = y.astype(str).value_counts()
    if len(counts) < 2:
        raise DataError(f"{where}: target column {target!r} has one class ({counts.index[0]!r}); nothing to learn")
    if len(counts) > 50:
        raise DataError(
            f"{where}: target column {target!r} has {len(counts)} classes; for a numeric target pass --task regression"
        )
    rare = [str(label) for label, count in counts.items() if count < 10]
    notes = [f"classes with fewer than 10 rows: {', '.join(rare[:5])}; their metrics will be noisy"] if rare else []
    return tuple(sorted(map(str, counts.index))), notes


def _feature_role(column: pd.Series, rows: int, nulls: int, distinct: int) -> tuple[str, str]:
    """(numeric | categorical | ignored, why ignored)."""
    if nulls == rows:
        return "ignored", "entirely empty"
    if distinct <= 1:
        return "ignored", "one value in every row"
    is_number = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if is_number or looks_numeric(column):
        return "numeric", ""
    if distinct > MAX_CATEGORIES and distinct > 0.5 * (rows - nulls):
        return "ignored", f"free text or a name ({distinct} distinct values)"
    return "categorical", ""


def _facts(frame: pd.DataFrame, target: str, id_column: str | None, classes: tuple[str, ...]) -> list[ColumnFacts]:
    facts = []
    for name in map(str, frame.columns):
        column = frame[name]
        nulls, distinct = int(column.isna().sum()), int(column.nunique())
        if name == id_column:
            facts.append(ColumnFacts(name, "id", "text", nulls, distinct, "unique row id"))
        elif name == target:
            shown = ", ".join(f"`{c}`" for c in classes[:6]) + (" ..." if len(classes) > 6 else "")
            is_number = pd.api.types.is_numeric_dtype(column)
            facts.append(
                ColumnFacts(name, "target", str(column.dtype), nulls, distinct, shown or _summary(column, is_number))
            )
        else:
            role, why = _feature_role(column, len(frame), nulls, distinct)
            facts.append(
                ColumnFacts(name, role, str(column.dtype), nulls, distinct, _summary(column, role == "numeric"), why)
            )
    return facts


def make_plan(
    frame: pd.DataFrame, *, data_file: str, target: str, task: TaskChoice, id_column: str | None, where: str
) -> Plan:
    """Decide everything params.yaml needs from the table; DataError (one line) when it cannot be used."""
    _check_inputs(frame, target, id_column, where)
    y = frame[target]
    chosen = infer_task(y, task, target, where)
    classes, notes = _classes(y, target, where) if chosen == "classification" else ((), [])
    facts = _facts(frame, target, id_column, classes)
    numeric = tuple(f.name for f in facts if f.role == "numeric")
    categorical = tuple(f.name for f in facts if f.role == "categorical")
    ignored = {f.name: f.why for f in facts if f.role == "ignored"}
    if not numeric and not categorical:
        raise DataError(f"{where}: no usable feature columns besides the target and id")
    null_fraction = float(frame[[*numeric, *categorical]].isna().mean().max())
    keyed = frame.drop(columns=[id_column]) if id_column else frame
    duplicate_ratio = float(keyed.duplicated().mean())
    target_has_zero = chosen == "regression" and bool((pd.to_numeric(y) == 0).any())
    primary, report = metrics_for(chosen, len(classes), target_has_zero)
    gates_min, max_regression = gates_for(chosen, len(classes))
    if id_column is None:
        notes.append("no id column: rows are keyed on a hash of their values (editing a row or a column re-draws it)")
    return Plan(
        data_file=data_file,
        rows=len(frame),
        target=target,
        task=chosen,
        classes=classes,
        id_column=id_column,
        numeric=numeric,
        categorical=categorical,
        ignored=ignored,
        columns=tuple(facts),
        primary=primary,
        report=report,
        gates_min=gates_min,
        max_regression=max_regression,
        # What holds today plus room: the checks guard against the data getting worse, not against what it is.
        null_threshold=min(1.0, max(0.05, _round_up(null_fraction + 0.05, 0.05))),
        duplicate_ratio=min(1.0, max(0.05, _round_up(duplicate_ratio + 0.01, 0.01))),
        notes=tuple(notes),
    )
