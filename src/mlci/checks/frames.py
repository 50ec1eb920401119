"""Raw tables shaped for the checks: label, features, id; a split and a sample that never raise on bad data.

`mlci run` refuses bad data with exit 2; the checks must instead look at it and say which check fails, so
nothing here insists on unique ids, numeric columns or a non-empty holdout.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from mlci.config import Params
from mlci.core.rowkey import row_keys
from mlci.data.split import holdout_mask


@dataclass(frozen=True)
class CheckFrame:
    """One table ready for deepchecks: `frame` holds id (if present), features and label (if usable).

    `keys` are the rows' keys as `mlci run` computes them (the split hashes them). A derived key is not a
    column of `frame`: it is not data, and deepchecks' identifier checks must never judge it.
    """

    frame: pd.DataFrame
    id_column: str | None
    label: str | None
    features: tuple[str, ...]
    categorical: tuple[str, ...]
    keys: pd.Series

    @property
    def rows(self) -> int:
        return len(self.frame)

    def subset(self, mask: npt.NDArray[np.bool_]) -> CheckFrame:
        return replace(self, frame=self.frame[mask].reset_index(drop=True), keys=self.keys[mask].reset_index(drop=True))


def _label(raw: pd.DataFrame, params: Params) -> pd.Series | None:
    """The label as `mlci run` would derive it, or None when the target column is missing or unusable."""
    target = params.data.target
    if target not in raw.columns:
        return None
    column = raw[target]
    threshold = params.data.target_threshold
    if params.data.task == "regression" or threshold is not None:
        column = pd.to_numeric(column, errors="coerce")
        if column.isna().any():
            return None
    if threshold is not None:
        return (column >= threshold).astype(int)
    return column


def check_frame(raw: pd.DataFrame, params: Params) -> CheckFrame:
    """Shape a raw table without validating it: missing or broken columns are left for the checks to report."""
    data = params.data
    id_column = data.id_column if data.id_column in raw.columns else None
    label = _label(raw, params)
    dropped = {data.id_column, data.target, *data.ignore_columns} - {None}
    features = tuple(str(c) for c in raw.columns if c not in dropped)
    if data.categorical is None:
        categorical = tuple(c for c in features if not pd.api.types.is_numeric_dtype(raw[c]))
    else:
        categorical = tuple(c for c in features if c in data.categorical)
    frame = raw[[*([id_column] if id_column else []), *features]].copy()
    if label is not None:
        frame[data.target] = label.to_numpy()
    return CheckFrame(
        frame=frame,
        id_column=id_column,
        label=data.target if label is not None else None,
        features=features,
        categorical=categorical,
        keys=row_keys(raw, id_column).reset_index(drop=True)
        if id_column or data.id_column is None
        else pd.Series(raw.index.astype(str)),
    )


def split_masks(checked: CheckFrame, params: Params) -> npt.NDArray[np.bool_]:
    """The test-side mask `mlci run` would use (by hash of the row id), without its empty-side errors."""
    ids = checked.keys
    labels = checked.frame[checked.label] if checked.label else pd.Series(np.zeros(checked.rows))
    stratify = params.split.stratify and params.data.task == "classification" and checked.label is not None
    return holdout_mask(ids.reset_index(drop=True), labels.reset_index(drop=True), params.split, stratify)


def sample(checked: CheckFrame, cap: int, seed: int) -> CheckFrame:
    """At most `cap` rows, a seeded random sample in the original order (deepchecks time grows with rows)."""
    if checked.rows <= cap:
        return checked
    keep = np.zeros(checked.rows, dtype=bool)
    keep[np.random.default_rng(seed).choice(checked.rows, size=cap, replace=False)] = True
    return checked.subset(keep)
