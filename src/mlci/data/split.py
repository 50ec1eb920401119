"""Deterministic train/test split keyed on the row id, so adding rows never moves existing rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from mlci.config.training import SplitParams
from mlci.core.errors import DataError
from mlci.data.dataset import Dataset

# The split's hash key prefix; other seeded picks by row key pass their own, so the same seed never makes two
# picks line up (the lowest-hashing rows of the split's hash are exactly its holdout).
SPLIT_SALT = "mlci"


@dataclass(frozen=True)
class Split:
    train: Dataset
    test: Dataset


def hash_fraction(ids: pd.Series, seed: int, salt: str = SPLIT_SALT) -> npt.NDArray[np.float64]:
    """A uniform number in [0, 1) per id, fixed by (salt, seed, id) alone: same on every machine and run."""
    key = f"{salt}{seed:012d}"[-16:]
    hashed = pd.util.hash_pandas_object(ids.astype(str), index=False, hash_key=key).to_numpy(dtype=np.uint64)
    return (hashed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def sample_positions(ids: pd.Series, rows: int, seed: int, salt: str = SPLIT_SALT) -> npt.NDArray[np.intp] | None:
    """Positions (ascending) of the `rows` rows whose key hashes lowest under `seed`; None when all fit.

    Chosen by key, not by position: as rows are added, an old row can leave the sample (a new one hashed
    lower) but no old row outside it ever enters, and reordering the file changes nothing.
    """
    if len(ids) <= rows:
        return None
    fraction = hash_fraction(ids, seed, salt)
    chosen = np.argpartition(fraction, rows - 1)[:rows]
    return np.sort(chosen).astype(np.intp)


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


def split_dataset(
    data: Dataset, params: SplitParams, classification: bool, keep: npt.NDArray[np.intp] | None = None
) -> Split:
    """Train and holdout rows; with `keep`, only those positions. The sides are decided on every row first, so
    a kept row is on the side it has in a run on all the data (a sampled holdout is part of the full one)."""
    mask = holdout_mask(data.ids, data.y, params, stratify=params.stratify and classification)
    if keep is not None:
        data, mask = data.take(keep), mask[keep]
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
