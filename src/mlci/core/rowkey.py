"""The stable key of each row: what the split hashes and what the PR comparison matches rows on.

With `data.id_column` the key is that column's text exactly as written in the file, so one unusual id
("1.5" among integers) changes nothing about any other row. Without one, the key is derived from the row
itself: a hash of its values in file order, plus its occurrence number among identical rows. Derived keys
never move a row while the row is unchanged; editing a row, or adding or removing a column, gives new keys
(and a new split), which is why a real id column is better when the data has one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Fixed, so a derived key is the same on every machine and run (hash_pandas_object wants 16 characters).
_HASH_KEY = "mlci-row-key-v1!"

DERIVED_PREFIX = "row-"


def id_text(column: pd.Series) -> pd.Series:
    """Ids as text. A column read as text is left exactly as written; numbers read by a user's reader (a
    Parquet integer column, say) get their usual text form. Missing ids stay missing."""
    text = column.astype(str).astype(object)
    text[column.isna().to_numpy()] = None
    return text


def _hashable(column: pd.Series) -> pd.Series:
    """Numbers as float64, so 5 and 5.0 (an integer column that gained an empty value) hash alike; text as text."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.astype("float64")
    text = column.astype(object)
    text[column.isna().to_numpy()] = None
    return text


def derived_keys(frame: pd.DataFrame) -> pd.Series:
    """`row-<16 hex digits>` from the row's values, with `-<n>` appended to the n-th repeat of an identical row."""
    # By position: a table with repeated column names still gets keys (the loader refuses it later, by name).
    values = pd.DataFrame({position: _hashable(frame.iloc[:, position]) for position in range(frame.shape[1])})
    hashed = pd.util.hash_pandas_object(values, index=False, hash_key=_HASH_KEY).to_numpy(dtype=np.uint64)
    occurrence = pd.Series(hashed).groupby(hashed, sort=False).cumcount().to_numpy()
    keys = [
        f"{DERIVED_PREFIX}{value:016x}" if n == 0 else f"{DERIVED_PREFIX}{value:016x}-{n}"
        for value, n in zip(hashed.tolist(), occurrence.tolist(), strict=True)
    ]
    return pd.Series(keys, index=frame.index, dtype=object)


def row_keys(frame: pd.DataFrame, id_column: str | None) -> pd.Series:
    """The key of every row of a raw table: the id column's text, or derived keys when there is none."""
    if id_column is None:
        return derived_keys(frame)
    return id_text(frame[id_column])
