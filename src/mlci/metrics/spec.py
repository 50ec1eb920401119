"""What a metric is to mlci: the holdout in numeric form, and the forms each stage needs of a metric."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mlci.metrics.kernels import FloatArray, nan_ratio

if TYPE_CHECKING:
    from mlci.config.training import Task

# How the comparison's interval of a metric's delta is computed, as named in comparison.json and the report.
BOOTSTRAP = "bootstrap"
DELONG = "DeLong"
NORMAL = "paired normal"
DELTA_METHOD = "delta method"
SUBSAMPLE_BOOTSTRAP = "subsample bootstrap"
_FROM_INFLUENCE = frozenset({DELONG, NORMAL, DELTA_METHOD})


@dataclass(frozen=True)
class Scores:
    """One model's holdout predictions in numeric form.

    Classification: `y_true`/`y_pred` are class indices into `classes`, `proba` has one column per class.
    Regression: `y_true`/`y_pred` are floats and `proba` is None.
    """

    task: str
    y_true: npt.NDArray[Any]
    y_pred: npt.NDArray[Any]
    proba: FloatArray | None = None
    classes: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.y_true)


@dataclass(frozen=True)
class PairedTest:
    """A significance test on the two models' predictions of the same rows (the report's `test` column)."""

    name: str
    p_value: Callable[[Scores, Scores], float]  # (candidate, baseline)


Influence = Callable[[Scores], "tuple[float, FloatArray] | None"]


@dataclass(frozen=True)
class Metric:
    """Everything mlci needs to know about one metric; `mlci.metrics.catalog` lists them.

    - `point`: the value on all holdout rows, as metrics.json, gates and governance read it; None (or NaN)
      where the holdout leaves it undefined.
    - `weighted`: the value for each row of a (resamples x rows) matrix of row weights: the bootstrap
      scores all resamples at once with it. With all weights 1 it equals `point`.
    - `large_holdout`: the interval method above `report.bootstrap_max_rows` rows: DeLong, the paired
      normal interval or the delta method (these need `influence`), or a bootstrap of a subsample.
    - `influence`: (value, each row's first-order influence on it) for the asymptotic intervals.
    - `paired_test`: the test whose p-value the report shows when the baseline scored the same rows;
      without one the p-value is the bootstrap's.
    """

    name: str
    task: Task
    lower_is_better: bool
    point: Callable[[Scores], float | None]
    weighted: Callable[[Scores, FloatArray], FloatArray]
    large_holdout: str = SUBSAMPLE_BOOTSTRAP
    influence: Influence | None = None
    paired_test: PairedTest | None = None

    def __post_init__(self) -> None:
        if self.large_holdout not in _FROM_INFLUENCE | {SUBSAMPLE_BOOTSTRAP}:
            raise ValueError(f"metric {self.name}: unknown interval method {self.large_holdout!r}")
        if (self.large_holdout in _FROM_INFLUENCE) != (self.influence is not None):
            raise ValueError(f"metric {self.name}: {self.large_holdout} intervals need an influence function")


def mean_of_rows(
    name: str,
    task: Task,
    *,
    lower_is_better: bool,
    rows: Callable[[Scores], FloatArray],
    point: Callable[[Scores], float | None] | None = None,
    paired_test: PairedTest | None = None,
) -> Metric:
    """A metric that is the mean of a per-row loss or score: its bootstrap, influence and point follow from `rows`.

    Its interval above `report.bootstrap_max_rows` is the paired normal interval of the mean. `point`
    defaults to the plain mean of `rows`.
    """

    def weighted(s: Scores, w: FloatArray) -> FloatArray:
        return np.asarray(nan_ratio(w @ rows(s), w.sum(axis=1)), dtype=float)

    def influence(s: Scores) -> tuple[float, FloatArray]:
        values = rows(s)
        return float(values.mean()), values - values.mean()

    def mean(s: Scores) -> float | None:
        return float(rows(s).mean()) if s.rows else None

    return Metric(name, task, lower_is_better, point or mean, weighted, NORMAL, influence, paired_test)
