"""compare.py pieces on in-memory runs: fallbacks, undefined metrics, params diff, rendering of odd values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlci.comparison import compare, stats
from mlci.comparison.report import render
from mlci.config import parse_params
from mlci.core.artifacts import MetricsFile, RunFile

PARAMS = """
data: {path: d.csv, id_column: id, target: y, task: classification}
model: {estimator: hist_gradient_boosting}
metrics: {primary: roc_auc, report: [roc_auc, accuracy]}
gates: {max_regression: {roc_auc: 0.01}}
"""


def _record(proba_yes: list[float], y_true: list[str], estimator: str = "hist_gradient_boosting") -> compare.RunRecord:
    rows = len(y_true)
    predictions = pd.DataFrame(
        {
            "id": range(rows),
            "y_true": y_true,
            "y_pred": ["yes" if p >= 0.5 else "no" for p in proba_yes],
            "proba_no": [1 - p for p in proba_yes],
            "proba_yes": proba_yes,
        }
    )
    run = {
        "format_version": 1,
        "commit": "c" * 40,
        "task": "classification",
        "target": "y",
        "classes": ["no", "yes"],
        "id_column": "id",
        "features": {"numeric": ["x"], "categorical": []},
        "model": {"file": "model.skops", "sha256": "a" * 64, "bytes": 10},
        "data": {"path": "d.csv", "sha256": "b" * 64, "rows": {"total": rows, "train": rows, "test": rows}},
        "params_hash": "d" * 64,
        "packages": {},
        "durations_seconds": {},
    }
    metrics = {
        "format_version": 1,
        "task": "classification",
        "primary": "roc_auc",
        "metrics": {},
        "per_class": {},
        "rows": {"total": rows, "train": rows, "test": rows},
        "evaluation_sample": {"sample_rows": rows, "sampled": False, "seed": 0},
    }
    return compare.RunRecord(
        Path("run"),
        RunFile.model_validate(run),
        MetricsFile.model_validate(metrics),
        {"model": {"estimator": estimator}},
        predictions,
    )


class Broken:
    classes_ = np.array(["no", "yes"])

    def predict(self, X: pd.DataFrame) -> Any:
        raise ValueError("X has 1 features, but the model expects 2\nmore")

    def predict_proba(self, X: pd.DataFrame) -> Any:  # classifiers are scored through their probabilities
        return self.predict(X)


def test_a_model_that_cannot_score_the_rows_falls_back() -> None:
    record = _record([0.2, 0.8], ["no", "yes"])
    frame = pd.DataFrame({"id": [0, 1], "x": [1.0, 2.0]})
    reason = compare.baseline_on_candidate_rows(Broken(), record, record, frame, "d.csv")
    assert reason == "the baseline model cannot score this data (X has 1 features, but the model expects 2)"
    assert compare.baseline_on_candidate_rows(Broken(), record, record, frame.iloc[:1], "d.csv") == (
        "holdout row id '1' is not in d.csv"
    )


def test_undefined_metrics_are_not_gated_and_render_as_na() -> None:
    params = parse_params(PARAMS)
    candidate = _record([0.2, 0.3, 0.6, 0.9], ["no", "yes", "no", "yes"])
    baseline = _record([0.1, 0.4, 0.7, 0.8], ["no", "yes", "no", "yes"], estimator="random_forest")
    comparison = compare.compare_runs(
        candidate, baseline, compare.scores_from_predictions(baseline), params, "t"
    ).dump()
    comparison["metrics"] = compare._metric_rows(
        names=["roc_auc"],
        candidate_points={"roc_auc": None},
        baseline_points={"roc_auc": 0.8},
        intervals={},
        tests={},
        tolerances={"roc_auc": 0.01},
    )
    roc = comparison["metrics"][0]
    assert roc["delta"] is None and roc["gate"] == "not-run" and roc["ci_low"] is None
    text = render(comparison, None, max_chars=65_536)
    assert "| roc_auc (↑ better) | 0.8000 | n/a | n/a | n/a | n/a |" in text
    assert "random_forest → hist_gradient_boosting" in text


def test_chart_with_no_values_says_so() -> None:
    params = parse_params(PARAMS)
    record = _record([0.2, 0.7], ["no", "yes"])
    comparison = compare.compare_runs(record, record, compare.scores_from_predictions(record), params, "t").dump()
    for row in comparison["metrics"]:
        row["candidate"] = None
    assert "nothing to chart" in render(comparison, [], max_chars=65_536)


def test_params_diff_and_flatten() -> None:
    assert compare.flatten({"a": {"b": 1, "c": {}}, "d": [1]}) == {"a.b": 1, "a.c": {}, "d": [1]}
    diff = compare.params_diff({"a": {"b": 1, "gone": 2}}, {"a": {"b": 1, "new": None}})
    assert diff == [
        {"key": "a.gone", "change": "removed", "baseline": 2, "candidate": None},
        {"key": "a.new", "change": "added", "baseline": None, "candidate": None},
    ]


def test_metric_list_puts_primary_first_and_adds_gated_metrics() -> None:
    params = parse_params(
        PARAMS.replace("report: [roc_auc, accuracy]", "report: [accuracy, roc_auc]").replace(
            "{roc_auc: 0.01}", "{roc_auc: 0.01, brier: 0.01}"
        )
    )
    assert compare.metric_list(params) == ["roc_auc", "accuracy", "brier"]


def test_scores_round_trip() -> None:
    record = _record([0.2, 0.9], ["no", "yes"])
    scores = compare.scores_from_predictions(record)
    assert isinstance(scores, stats.Scores) and scores.y_true.tolist() == [0, 1]


def _variant(record: compare.RunRecord, run: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> Any:
    return compare.RunRecord(
        record.folder,
        RunFile.model_validate({**record.run.dump(), **(run or {})}),
        record.metrics,
        {**record.params, "data": {"target_threshold": None, **(data or {})}},
        record.predictions,
    )


def test_only_another_question_is_incomparable() -> None:
    record = _variant(_record([0.2, 0.8], ["no", "yes"]))
    assert compare.incomparable_reason(record, record) is None
    assert (
        compare.incomparable_reason(record, _variant(record, {"classes": ["yes", "no"]})) is None
    )  # order is not a question
    assert compare.incomparable_reason(record, _variant(record, {"task": "regression"})) == (
        "the baseline is a regression model, this run is classification"
    )
    assert compare.incomparable_reason(record, _variant(record, {"target": "age"})) == (
        "the baseline predicts 'age', this run predicts 'y'"
    )
    assert compare.incomparable_reason(record, _variant(record, data={"target_threshold": 10})) == (
        "the baseline labels 'y' >= 10, this run labels 'y' as is"
    )
    assert compare.incomparable_reason(record, _variant(record, {"classes": ["no", "yes", "maybe"]})) == (
        "the baseline model predicts classes ['no', 'yes', 'maybe'], this run has ['no', 'yes']"
    )


def test_incomparable_comparison_follows_gates_incomparable() -> None:
    record = _variant(_record([0.2, 0.8], ["no", "yes"]))
    reason = "the baseline predicts 'age', this run predicts 'y'"
    passed = compare.incomparable(record, record, reason, parse_params(PARAMS), "t").dump()
    assert (passed["comparable"], passed["reason"], passed["gate"]) == (
        False,
        reason,
        {"status": "passed", "failures": [], "incomparable": "pass"},
    )
    strict = parse_params(PARAMS.replace("{max_regression: {roc_auc: 0.01}}", "{incomparable: fail}"))
    failed = compare.incomparable(record, record, reason, strict, "t").dump()["gate"]
    assert failed["status"] == "failed"
    assert failed["failures"] == [f"nothing was compared: {reason} (gates.incomparable: fail)"]


def test_runs_trained_on_other_rows_are_incomparable() -> None:
    def sampled(max_rows: int, seed: int = 42, file_rows: int = 1000) -> compare.RunRecord:
        data = {**record.run.data.dump(), "sample": {"max_rows": max_rows, "seed": seed, "file_rows": file_rows}}
        return _variant(record, {"data": data})

    record = _variant(_record([0.2, 0.8], ["no", "yes"]))
    assert compare.incomparable_reason(sampled(500), sampled(500, file_rows=900)) is None  # same rule, grown data
    assert compare.incomparable_reason(sampled(500), record) == (
        "the baseline was trained on every row, this run on a data.sample of 500 rows (seed 42);"
        " a fair baseline is main's code trained on the same sample"
    )
    assert compare.incomparable_reason(record, sampled(500)) is not None
    assert "data.sample of 600 rows" in str(compare.incomparable_reason(sampled(500), sampled(600)))
    assert "(seed 7)" in str(compare.incomparable_reason(sampled(500), sampled(500, seed=7)))
    # A sample at least as large as the file left no row out: both trained on every row.
    assert compare.incomparable_reason(sampled(5000), record) is None
    assert compare.incomparable_reason(sampled(500, file_rows=400), sampled(600, file_rows=450)) is None
