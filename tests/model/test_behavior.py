"""Behavioral tests of the trained model: examples to edit for your own model and data.

They load the model of an artifacts folder: `MLCI_ARTIFACTS=artifacts pytest tests/model` in CI after
`mlci run`; otherwise the model trained once per test session from params.yaml (tests/model/conftest.py).
`mlci init` replaces this file with tests that hold for any data set.

- invariance: a change that must not move the prediction (column order, batch vs single row, a 0.1 % nudge);
- directional: a change with a known direction (a heavier shell means an older abalone);
- minimum functionality: hand-written cases whose answer any usable model gets right.
The cases are abalone's: label 1 = "rings >= 10" (older). Rewrite them with your domain's cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

COLUMNS = ["sex", "length", "diameter", "height", "whole_weight", "shucked_weight", "viscera_weight", "shell_weight"]

# sex (M, F, I = infant), then lengths in mm / 200 and weights in grams / 200, as in data/abalone.csv.
INFANT = ["I", 0.25, 0.19, 0.06, 0.08, 0.035, 0.018, 0.025]
LARGE_MALE = ["M", 0.62, 0.49, 0.17, 1.25, 0.50, 0.27, 0.38]
LARGE_FEMALE = ["F", 0.68, 0.54, 0.19, 1.65, 0.62, 0.35, 0.50]
MEDIUM_MALE = ["M", 0.50, 0.39, 0.13, 0.60, 0.26, 0.13, 0.18]
MEDIUM_FEMALE = ["F", 0.55, 0.43, 0.15, 0.85, 0.36, 0.19, 0.25]
CASES = pd.DataFrame([INFANT, LARGE_MALE, LARGE_FEMALE, MEDIUM_MALE, MEDIUM_FEMALE], columns=COLUMNS)


def p_old(model: Any, frame: pd.DataFrame) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(model.predict_proba(frame))[:, 1]


# --- minimum functionality ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "expected"), [(INFANT, 0), (LARGE_MALE, 1), (LARGE_FEMALE, 1)])
def test_obvious_cases(model: Any, case: list[Any], expected: int) -> None:
    assert model.predict(pd.DataFrame([case], columns=COLUMNS))[0] == expected


def test_an_infant_is_confidently_young(model: Any) -> None:
    assert p_old(model, pd.DataFrame([INFANT], columns=COLUMNS))[0] < 0.1


# --- invariance ----------------------------------------------------------------------------------------------------


def test_column_order_does_not_matter(model: Any) -> None:
    shuffled = CASES[COLUMNS[::-1]]
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(CASES))


def test_a_row_scores_the_same_alone_and_in_a_batch(model: Any) -> None:
    batch = p_old(model, CASES)
    alone = [p_old(model, CASES.iloc[[i]])[0] for i in range(len(CASES))]
    np.testing.assert_allclose(alone, batch, rtol=0, atol=1e-12)


@pytest.mark.parametrize("column", ["length", "diameter", "height", "whole_weight", "shell_weight"])
def test_a_measurement_nudge_barely_moves_the_prediction(model: Any, column: str) -> None:
    nudged = CASES.assign(**{column: CASES[column] * 1.001})
    # A tree ensemble moves in steps: a nudge across one split threshold may shift a case by a few points.
    assert np.max(np.abs(p_old(model, nudged) - p_old(model, CASES))) < 0.1


# --- directional expectations ---------------------------------------------------------------------------------------


def test_a_heavier_shell_never_makes_an_abalone_younger(model: Any) -> None:
    heavier = CASES.assign(shell_weight=CASES["shell_weight"] * 1.5)
    assert np.all(p_old(model, heavier) >= p_old(model, CASES) - 0.02)


def test_growing_every_measurement_raises_the_age_on_average(model: Any) -> None:
    sizes = [c for c in COLUMNS if c != "sex"]
    grown = CASES.assign(**{c: CASES[c] * 1.3 for c in sizes})
    assert float(np.mean(p_old(model, grown) - p_old(model, CASES))) > 0.05
