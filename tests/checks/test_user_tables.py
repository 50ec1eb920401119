"""Tables as users bring them: class labels as strings or integers, missing values, categories, no id column,
rows sorted by class. Every deepchecks check must run on them and pass or fail on its merits (slow).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.cli import main
from synthetic import ProjectFactory, synthetic_frame

pytestmark = pytest.mark.slow

# What mlci init is meant to write for a generic table (docs/checks.md): thresholds from the data, and the
# model conditions deepchecks sets for large tables relaxed for a holdout of a few hundred rows.
GENERIC_CHECKS: dict[str, Any] = {
    "data_integrity": {
        "PercentOfNulls": {"conditions": {"percent_of_nulls_not_greater_than": {"threshold": 0.2}}},
        "OutlierSampleDetection": False,
    },
    "model_evaluation": {
        "TrainTestPerformance": {"conditions": {"train_test_relative_degradation_less_than": {"threshold": 0.3}}},
        "WeakSegmentsPerformance": {
            "params": {"segment_minimum_size_ratio": 0.2},
            "conditions": {"segments_relative_performance_greater_than": {"max_ratio_change": 0.4}},
        },
        "ModelInferenceTime": {"conditions": {"inference_time_less_than": {"value": 0.01}}},
    },
}


def cli(params: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        where = "--out" if args[0] == "run" else "--artifacts"
        code = main([*args, "--params", str(params), where, str(params.parent / "artifacts")])
    return code, out.getvalue()


def summary(params: Path, suite: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((params.parent / "artifacts" / "checks" / f"{suite}.json").read_text())
    return payload


def statuses(params: Path, suite: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for check in summary(params, suite)["checks"]:
        found.setdefault(check["check"], set()).add(check["status"])
    return found


def sorted_three_class_table(rows: int = 400) -> pd.DataFrame:
    """3 string classes, empty cells in two numeric columns and the categorical one, no id, sorted by class."""
    frame = synthetic_frame("multiclass", rows=rows).drop(columns="row_id")
    rng = np.random.default_rng(3)
    for column, share in (("x1", 0.05), ("noise", 0.12), ("colour", 0.08)):
        frame.loc[rng.random(rows) < share, column] = np.nan
    return frame.sort_values("target", kind="stable").reset_index(drop=True)


def _no_id(params: dict[str, Any]) -> None:
    del params["data"]["id_column"]
    params["metrics"] = {"primary": "accuracy", "report": ["accuracy", "log_loss"]}
    # the classes are linear in the features: a linear model generalises, so the model conditions judge the
    # machinery rather than a boosting model's overfit on 272 training rows
    params["model"] = {"estimator": "logistic_regression", "params": {"max_iter": 500}}
    params["gates"] = {"min": {"accuracy": 0.6}}
    params["checks"] = GENERIC_CHECKS


def test_generic_table_passes_every_suite_end_to_end(make_project: ProjectFactory) -> None:
    params = make_project("multiclass", frame=sorted_three_class_table(), edit=_no_id)
    assert cli(params, "run")[0] == 0
    assert cli(params, "check", "data", "--infer")[0] == 0
    data_code, data_out = cli(params, "check", "data")
    model_code, model_out = cli(params, "check", "model")
    assert (data_code, model_code) == (0, 0), data_out + model_out
    for suite in ("schema", "data_integrity", "train_test_validation", "model_evaluation", "gates"):
        found = statuses(params, suite)
        assert found, f"{suite}: no check ran"
        assert all(s <= {"passed"} for s in found.values()), (suite, found)
    # the derived row key is not data: nothing judged it as an identifier
    assert "IdentifierLabelCorrelation" in summary(params, "data_integrity")["skipped"]
    assert "IndexTrainTestLeakage" in summary(params, "train_test_validation")["skipped"]
    assert {"TrainTestPerformance", "SimpleModelComparison", "WeakSegmentsPerformance"} <= set(
        statuses(params, "model_evaluation")
    )


def test_row_number_id_on_a_sorted_table_fails_with_a_hint(make_project: ProjectFactory) -> None:
    frame = synthetic_frame("multiclass").sort_values("target", kind="stable").reset_index(drop=True)
    frame["row_id"] = np.arange(1, len(frame) + 1)
    params = make_project("multiclass", frame=frame)
    assert cli(params, "check", "data", "--infer")[0] == 0
    code, out = cli(params, "check", "data")
    assert code == 1
    (line,) = [
        line for line in out.splitlines() if line.startswith("FAILED data_integrity: IdentifierLabelCorrelation")
    ]
    assert "'row_id'" in line
    assert "hint: the id predicts the label (rows sorted by label?); remove data.id_column" in line
    assert "checks.data_integrity.IdentifierLabelCorrelation" in line


def _labels(kind: str) -> tuple[str, pd.DataFrame]:
    task = {"binary-int": "binary", "multiclass-int": "multiclass"}.get(kind, kind)
    frame = synthetic_frame(task, rows=300)
    if kind == "binary-int":
        frame["target"] = (frame["target"] == "yes").astype(int)
    elif kind == "multiclass-int":  # no class 1: scikit-learn's default pos_label=1 is not one of them
        frame["target"] = frame["target"].map({"low": 2, "mid": 3, "high": 4})
    return task, frame


@pytest.mark.parametrize("kind", ["binary", "binary-int", "multiclass", "multiclass-int", "regression"])
def test_model_evaluation_runs_every_check_whatever_the_labels(make_project: ProjectFactory, kind: str) -> None:
    task, frame = _labels(kind)

    def edit(params: dict[str, Any]) -> None:
        if task == "multiclass":
            params["metrics"] = {"primary": "accuracy", "report": ["accuracy"]}

    params = make_project(task, frame=frame, edit=edit)
    assert cli(params, "run")[0] == 0
    code, out = cli(params, "check", "model")
    assert code in (0, 1), out
    found = statuses(params, "model_evaluation")
    assert [name for name, s in found.items() if "not-run" in s] == []
    expected = {"TrainTestPerformance", "WeakSegmentsPerformance"} | (
        {"SimpleModelComparison", "RocReport"} if task != "regression" else set()
    )
    assert expected <= set(found)
    # checks that cannot run on this model or stack are listed as skipped, not failed
    skipped = set(summary(params, "model_evaluation")["skipped"])
    assert "BoostingOverfit" in skipped
    if task == "multiclass":  # per-class results name the user's classes
        values = " ".join(c["value"] for c in summary(params, "model_evaluation")["checks"])
        classes = {"2", "3", "4"} if kind.endswith("int") else {"low", "mid", "high"}
        assert any(f"class {label}" in values for label in classes), values
