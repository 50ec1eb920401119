"""Load the data named in params.yaml and check it against what params.yaml declares."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from mlci import model as user_model
from mlci.config import Params
from mlci.core.errors import DataError
from mlci.core.rowkey import row_keys


@dataclass(frozen=True)
class Dataset:
    """Features, labels and row ids of one data file, plus the facts the records need."""

    path: Path
    sha256: str
    ids: pd.Series
    X: pd.DataFrame
    y: pd.Series
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def rows(self) -> int:
        return len(self.ids)

    def take(self, positions: npt.NDArray[np.intp]) -> Dataset:
        return Dataset(
            path=self.path,
            sha256=self.sha256,
            ids=self.ids.iloc[positions].reset_index(drop=True),
            X=self.X.iloc[positions].reset_index(drop=True),
            y=self.y.iloc[positions].reset_index(drop=True),
            numeric=self.numeric,
            categorical=self.categorical,
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return next(csv.reader(handle), [])


def _check_unique_names(path: Path, names: list[str]) -> None:
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        shown = ", ".join(repr(name) for name in repeated)
        raise DataError(f"{path}: duplicate column name {shown} in the header; every column needs its own name")


def read_frame(path: Path, id_column: str | None = None) -> pd.DataFrame:
    """Read through the user's read_data, turning every failure into one line naming the file.

    The id column (if any) is asked for as text, so ids keep exactly the form they have in the file.
    """
    if not path.exists():
        raise DataError(f"{path}: data file not found (data.path in params.yaml)")
    if path.is_dir():
        raise DataError(f"{path}: data.path is a folder, expected a file")
    if path.suffix.lower() == ".csv":
        # pandas renames a repeated header ("island" -> "island.1"): catch it before the reader hides it.
        _check_unique_names(path, _csv_header(path))
    try:
        frame = user_model.read_data(path, (id_column,) if id_column else ())
    except ImportError as exc:  # an optional reader (pyarrow for Parquet) is missing: say which, in one line
        raise DataError(str(exc).strip().splitlines()[0] if str(exc).strip() else f"{path}: {exc!r}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty (no header, no rows)") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DataError(f"{path}: cannot parse: {first}") from None
    if frame.empty:
        raise DataError(f"{path}: no data rows (header only?)")
    _check_unique_names(path, [str(column) for column in frame.columns])
    return frame


def _first_non_numeric(column: pd.Series, ids: pd.Series) -> tuple[object, object] | None:
    parsed = pd.to_numeric(column, errors="coerce")
    bad = parsed.isna() & column.notna()
    if not bad.any():
        return None
    position = int(np.flatnonzero(bad.to_numpy())[0])
    return ids.iloc[position], column.iloc[position]


def looks_numeric(column: pd.Series) -> bool:
    values = column.dropna()
    if values.empty:
        return False
    return bool(pd.to_numeric(values, errors="coerce").notna().mean() >= 0.95)


def _check_columns(frame: pd.DataFrame, params: Params, path: Path) -> None:
    declared = {
        "data.id_column": [params.data.id_column] if params.data.id_column else [],
        "data.target": [params.data.target],
        "data.ignore_columns": params.data.ignore_columns,
        "data.categorical": params.data.categorical or [],
    }
    available = ", ".join(map(str, frame.columns[:12])) + (" ..." if frame.shape[1] > 12 else "")
    for key, columns in declared.items():
        for column in columns:
            if column not in frame.columns:
                raise DataError(f"{path}: column {column!r} ({params.where(key)}) not found; columns: {available}")


def _labels(frame: pd.DataFrame, params: Params, path: Path, ids: pd.Series) -> pd.Series:
    target = params.data.target
    raw = frame[target]
    if raw.isna().any():
        position = int(np.flatnonzero(raw.isna().to_numpy())[0])
        raise DataError(f"{path}: target column {target!r} is empty at row id {ids.iloc[position]}")
    if params.data.task == "regression" or params.data.target_threshold is not None:
        problem = _first_non_numeric(raw, ids)
        if problem is not None:
            row_id, value = problem
            why = (
                f"{params.where('data.target_threshold')} needs a numeric target"
                if params.data.target_threshold is not None
                else "regression needs a numeric target"
            )
            raise DataError(f"{path}: target column {target!r} is not numeric (row id {row_id} has {value!r}); {why}")
        raw = pd.to_numeric(raw)
    if params.data.task == "regression":
        return raw.astype(float).rename(target)
    threshold = params.data.target_threshold
    labels = (raw >= threshold).astype(int) if threshold is not None else raw
    if labels.nunique() < 2:
        only = labels.iloc[0]
        raise DataError(f"{path}: target column {target!r} has one class ({only!r}); classification needs two or more")
    return labels.rename(target)


def prepare(frame: pd.DataFrame, params: Params, path: Path, sha256: str) -> Dataset:
    """Validate a raw table and split it into ids, features and labels (pure: no I/O)."""
    _check_columns(frame, params, path)
    id_column = params.data.id_column
    ids = row_keys(frame, id_column)
    if ids.isna().any():
        raise DataError(f"{path}: id column {id_column!r} has empty values")
    if not ids.is_unique:
        duplicate = ids[ids.duplicated()].iloc[0]
        raise DataError(f"{path}: id column {id_column!r} is not unique (e.g. {duplicate} repeats)")
    y = _labels(frame, params, path, ids)
    dropped = {id_column, params.data.target, *params.data.ignore_columns} - {None}
    features = [column for column in frame.columns if column not in dropped]
    if not features:
        raise DataError(f"{path}: no feature columns left after id, target and ignore_columns")
    X = frame[features].copy()
    for column in features:
        if X[column].isna().all():
            raise DataError(
                f"{path}: column {column!r} is entirely empty; fix the data or add it to data.ignore_columns"
            )
    declared = params.data.categorical
    if declared is None:
        categorical = [c for c in features if not pd.api.types.is_numeric_dtype(X[c]) and not looks_numeric(X[c])]
    else:
        categorical = [c for c in features if c in declared]
    numeric = [c for c in features if c not in categorical]
    for column in numeric:
        if pd.api.types.is_numeric_dtype(X[column]):
            continue
        problem = _first_non_numeric(X[column], ids)
        if problem is not None:
            row_id, value = problem
            raise DataError(
                f"{path}: column {column!r} must be numeric; row id {row_id} has {value!r}"
                " (or list it in data.categorical)"
            )
        X[column] = pd.to_numeric(X[column])
    for column in categorical:
        X[column] = X[column].astype("string").astype(object).where(X[column].notna(), np.nan)
    return Dataset(
        path=path,
        sha256=sha256,
        ids=ids.reset_index(drop=True),
        X=X.reset_index(drop=True),
        y=y.reset_index(drop=True),
        numeric=tuple(numeric),
        categorical=tuple(categorical),
    )


def load_dataset(params: Params) -> Dataset:
    path = params.data_path
    frame = read_frame(path, params.data.id_column)
    return prepare(
        frame, params, Path(params.data.path) if not params.data.path.is_absolute() else path, file_sha256(path)
    )
