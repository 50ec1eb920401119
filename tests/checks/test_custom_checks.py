"""The user's model checks become model_evaluation outcomes: titled, graded, and a broken one never hides the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from mlci.checks.custom import custom_outcomes
from mlci.checks.frames import CheckFrame
from mlci.model import CheckData, CheckResult


def _frame(rows: int, seed: int) -> CheckFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    frame = pd.DataFrame({"x": x, "target": np.where(x > 0, "yes", "no")})
    return CheckFrame(
        frame=frame, id_column=None, label="target", features=("x",), categorical=(), keys=pd.Series(range(rows))
    )


def test_results_become_outcomes_and_a_raising_check_fails_alone() -> None:
    train, test = _frame(200, 0), _frame(80, 1)
    model = LogisticRegression().fit(train.frame[["x"]], train.frame["target"])
    seen: list[CheckData] = []

    def accuracy(data: CheckData) -> CheckResult:
        """Holdout accuracy"""
        seen.append(data)
        value = float(np.mean(data.y_pred == data.test_target.to_numpy()))
        return CheckResult(condition="accuracy >= 0.9", passed=value >= 0.9, value=f"{value:.2f}")

    def per_class(data: CheckData) -> list[CheckResult]:
        return [CheckResult(condition=f"{label} predicted", passed=label == "yes", value="-") for label in data.classes]

    def broken(data: CheckData) -> CheckResult:
        raise KeyError("no_such_column")

    checks = {"Accuracy": accuracy, "Broken": broken, "PerClass": per_class}
    outcomes = custom_outcomes(checks, model, train, test, "classification")
    assert [(o.check, o.name, o.condition, o.status) for o in outcomes] == [
        ("Accuracy", "Holdout accuracy", "accuracy >= 0.9", "passed"),
        ("Broken", "Broken", None, "failed"),
        ("PerClass", "PerClass", "no predicted", "failed"),
        ("PerClass", "PerClass", "yes predicted", "passed"),
    ]
    assert outcomes[1].value == "raised KeyError: 'no_such_column'"
    assert outcomes[1].gates(fail_on_warning=True)
    (data,) = seen
    assert data.classes == ("no", "yes")
    assert data.proba is not None and data.proba.shape == (80, 2)
    assert len(data.train_features) == 200 and list(data.test_features.columns) == ["x"]


def test_no_registered_checks_add_nothing() -> None:
    assert custom_outcomes({}, object(), _frame(10, 0), _frame(10, 1), "classification") == []
