"""Deterministic train/test split keyed on the row id, so adding rows never moves existing rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from mlci.config.training import SplitParams
from mlci.core.errors import DataError
from mlci.data.dataset import Dataset


@dataclass(frozen=True)
class Split:
    train: Dataset
    test: Dataset


def hash_fraction(ids: pd.Series, seed: int) -> npt.NDArray[np.float64]:
    """A uniform number in [0, 1) per id, fixed by (seed, id) alone: same on every machine and run."""
    key = f"mlci{seed:012d}"[-16:]
    hashed = pd.util.hash_pandas_object(ids.astype(str), index=False, hash_key=key).to_numpy(dtype=np.uint64)
    return (hashed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def holdout_mask(ids: pd.Series, y: pd.Series, params: SplitParams, stratify: bool) -> npt.NDArray[np.bool_]:
    fraction = hash_fraction(ids, params.seed)
    if not stratify:
        return fraction < params.test_size
    mask = np.zeros(len(ids), dtype=bool)
    labels = y.to_numpy()
    for label in pd.unique(labels):
        members = np.flatnonzero(labels == label)
        order = members[np.argsort(fraction[members], kind="stable")]
        mask[order[: round(len(members) * params.test_size)]] = True
    return mask


def split_dataset(data: Dataset, params: SplitParams, classification: bool) -> Split:
    mask = holdout_mask(data.ids, data.y, params, stratify=params.stratify and classification)
    test_rows, train_rows = int(mask.sum()), int((~mask).sum())
    if test_rows == 0 or train_rows == 0:
        side = "test" if test_rows == 0 else "train"
        raise DataError(
            f"split: the {side} set is empty ({data.rows} rows, split.test_size {params.test_size}); add rows or change split.test_size"
        )
    split = Split(train=data.take(np.flatnonzero(~mask)), test=data.take(np.flatnonzero(mask)))
    if classification and split.train.y.nunique() < 2:
        raise DataError("split: the training set has a single class; add rows or change split.seed/test_size")
    return split
