"""Significance tests on two models' predictions of the same rows. SciPy is imported when a test runs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mlci.metrics.kernels import FloatArray


@dataclass(frozen=True)
class McNemar:
    baseline_only: int  # rows the baseline got right and the candidate wrong
    candidate_only: int  # rows the candidate got right and the baseline wrong
    p_value: float


def mcnemar_exact(candidate_correct: npt.NDArray[np.bool_], baseline_correct: npt.NDArray[np.bool_]) -> McNemar:
    """Exact (binomial) McNemar test on the discordant pairs of two paired classifiers."""
    from scipy import stats as sps

    b = int(np.sum(baseline_correct & ~candidate_correct))
    c = int(np.sum(~baseline_correct & candidate_correct))
    p = 1.0 if b + c == 0 else float(sps.binomtest(min(b, c), b + c, 0.5).pvalue)
    return McNemar(b, c, min(1.0, p))


def wilcoxon_abs_errors(candidate_error: FloatArray, baseline_error: FloatArray) -> float:
    """Wilcoxon signed-rank p-value on |candidate error| - |baseline error| per row (1.0 if all equal)."""
    from scipy import stats as sps

    diff = np.abs(candidate_error) - np.abs(baseline_error)
    if np.count_nonzero(diff) == 0:
        return 1.0
    return float(sps.wilcoxon(diff, zero_method="zsplit").pvalue)


def paired_t_squared_errors(candidate_error: FloatArray, baseline_error: FloatArray) -> float:
    """Paired t-test p-value on squared errors (drives rmse and r2); degenerate cases resolved exactly."""
    from scipy import stats as sps

    diff = candidate_error**2 - baseline_error**2
    if diff.size < 2 or float(np.ptp(diff)) == 0.0:
        return 1.0 if diff.size == 0 or float(diff[0]) == 0.0 else 0.0
    p = float(sps.ttest_1samp(diff, 0.0).pvalue)
    return 1.0 if math.isnan(p) else p
