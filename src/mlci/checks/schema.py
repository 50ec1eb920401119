"""The data schema: declared once (params.yaml `checks.schema` or the file `checks.schema_file` names), checked with pandera.

The whole table is validated (no sampling) and every failure is grouped per column and rule, so a bad file
yields one line per problem naming the column, the rule, how many rows fail and one offending row id.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from mlci.config import Params
from mlci.config.checks import ColumnSchema, SchemaSpec
from mlci.core.artifacts import CheckEntry
from mlci.core.errors import ConfigError

MAX_ALLOWED_VALUES = 30  # --infer lists allowed values for text columns with at most this many distinct values


def schema_path(params: Params) -> Path | None:
    file = params.checks.schema_file
    if file is None:
        return None
    return params.resolve(file)


def load_schema(params: Params) -> SchemaSpec:
    """The declared schema; a missing or invalid one is a config error (exit 2) naming the file and key."""
    if params.checks.inline_schema is not None:
        return params.checks.inline_schema
    path = schema_path(params)
    if path is None:
        raise ConfigError(
            f"{params.where('checks.schema_file')}: no schema declared; set checks.schema or checks.schema_file"
        )
    if not path.is_file():
        raise ConfigError(
            f"{path}: schema file not found ({params.where('checks.schema_file')}); write one with `mlci check data --infer`"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: YAML syntax error: {getattr(exc, 'problem', None) or exc}") from None
    try:
        return SchemaSpec.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        message = (
            "unknown key" if error["type"] == "extra_forbidden" else str(error["msg"]).removeprefix("Value error, ")
        )
        raise ConfigError(f"{path}: {key or 'top level'}: {message}") from None


@contextmanager
def _quiet_pandera() -> Iterator[None]:
    """pandera 0.2x concatenates all-NA failure frames, which pandas 2.3 flags as deprecated."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="The behavior of DataFrame concatenation with empty or all-NA entries is deprecated",
            category=FutureWarning,
        )
        yield


_PANDERA_DTYPES = {"int": "Int64", "float": "float64", "bool": "boolean", "str": "str"}


def _pandera_schema(spec: SchemaSpec) -> Any:
    import pandera.pandas as pa

    columns = {}
    for name, rule in spec.columns.items():
        checks = []
        if rule.min is not None:
            checks.append(pa.Check.ge(rule.min))
        if rule.max is not None:
            checks.append(pa.Check.le(rule.max))
        if rule.allowed is not None:
            checks.append(pa.Check.isin(rule.allowed))
        columns[name] = pa.Column(
            _PANDERA_DTYPES[rule.dtype], checks=checks, nullable=rule.nullable, unique=rule.unique, coerce=True
        )
    return pa.DataFrameSchema(columns, strict=spec.strict)


def _shown(value: object) -> str:
    # NumPy 2 shows its scalars as `np.int64(1000)`: show the value as the table holds it.
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def validate(frame: pd.DataFrame, spec: SchemaSpec, id_column: str | None) -> tuple[CheckEntry, ...]:
    """One outcome per (column, rule) that fails, one passed outcome per clean declared column."""
    import pandera.pandas as pa

    with _quiet_pandera():
        try:
            _pandera_schema(spec).validate(frame, lazy=True)
            cases = pd.DataFrame(columns=["column", "check", "failure_case", "index"])
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
    outcomes: list[CheckEntry] = []
    failed_columns: set[str] = set()
    for (column, rule), group in cases.groupby([cases["column"].fillna(""), cases["check"]], sort=True):
        first = group.iloc[0]
        if rule == "column_in_dataframe":
            name, value = str(first["failure_case"]), "column not found in the data"
        elif rule == "column_in_schema":
            name, value = str(first["failure_case"]), "column not declared in the schema (strict: true)"
        else:
            name = str(column)
            rows = group["index"].dropna()
            where = ""
            if not rows.empty:
                position = rows.iloc[0]
                row_id = frame.at[position, id_column] if id_column and position in frame.index else position
                where = f" at row id {_shown(row_id)}"
            count = len(rows.unique()) if not rows.empty else len(group)
            value = f"{count} row{'s' if count != 1 else ''} fail, e.g. {_shown(first['failure_case'])}{where}"
        failed_columns.add(name)
        outcomes.append(
            CheckEntry(
                check=f"column:{name}",
                name=f"Schema column {name!r}",
                condition=str(rule),
                status="failed",
                value=value,
            )
        )
    for name in spec.columns:
        if name not in failed_columns:
            outcomes.append(
                CheckEntry(
                    check=f"column:{name}",
                    name=f"Schema column {name!r}",
                    condition="matches its declaration",
                    status="passed",
                    value="ok",
                )
            )
    return tuple(outcomes)


def _widen(low: float, high: float) -> tuple[float, float]:
    """Observed range plus 10 % each side (never below 0 for a non-negative column), rounded outward."""
    margin = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    new_low = 0.0 if low >= 0 and low - margin < 0 else low - margin
    new_high = high + margin
    digits = max(0, 3 - math.floor(math.log10(max(abs(new_high), abs(new_low), 1e-12))))
    scale = 10.0**digits
    return math.floor(new_low * scale) / scale, math.ceil(new_high * scale) / scale


def infer_schema(frame: pd.DataFrame, params: Params) -> SchemaSpec:
    """A starting schema from the current data: types, nullability, id uniqueness, widened ranges, category sets."""
    declared = set(params.data.categorical or [])
    columns: dict[str, ColumnSchema] = {}
    for name in map(str, frame.columns):
        column = frame[name]
        nullable = bool(column.isna().any())
        rule: dict[str, Any] = {"nullable": nullable, "unique": name == params.data.id_column}
        values = column.dropna()
        if pd.api.types.is_bool_dtype(column):
            rule["dtype"] = "bool"
        elif pd.api.types.is_numeric_dtype(column) and name not in declared:
            rule["dtype"] = "int" if pd.api.types.is_integer_dtype(column) else "float"
            if not values.empty and name != params.data.id_column:
                low, high = _widen(float(values.min()), float(values.max()))
                rule["min"], rule["max"] = (math.floor(low), math.ceil(high)) if rule["dtype"] == "int" else (low, high)
        else:
            rule["dtype"] = "str"
            distinct = sorted(values.astype(str).unique())
            if name != params.data.id_column and len(distinct) <= MAX_ALLOWED_VALUES:
                rule["allowed"] = distinct
        columns[name] = ColumnSchema.model_validate(rule)
    return SchemaSpec(columns=columns, strict=True)


def dump_schema(spec: SchemaSpec, source: str) -> str:
    """YAML for a schema file, one line per column, with a header saying where it came from."""
    body: dict[str, Any] = {"strict": spec.strict, "columns": {}}
    for name, rule in spec.columns.items():
        fields = {"dtype": rule.dtype} | rule.model_dump(exclude_defaults=True)
        for bound in ("min", "max"):
            if rule.dtype == "int" and bound in fields:
                fields[bound] = int(fields[bound])
        body["columns"][name] = fields
    header = (
        f"# Data schema, inferred by `mlci check data --infer` from {source}; edit freely.\n"
        "# Per column: dtype (int|float|str|bool), nullable, unique, min/max (inclusive), allowed values.\n"
        "# Ranges were widened 10% beyond what was observed: tighten them to what is physically possible.\n"
    )
    return header + yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=120)
