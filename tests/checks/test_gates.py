"""gates.min floors and gates.min_class_recall against a run's metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlci.checks.gates import gate_outcomes, read_metrics
from mlci.config.gates import GatesParams
from mlci.core.errors import ArtifactError

METRICS = {
    "metrics": {"roc_auc": 0.87, "accuracy": 0.70, "log_loss": 0.45, "brier": None},
    "per_class": {"0": {"recall": 0.81}, "1": {"recall": 0.60}},
}


def _by_check(gates: GatesParams, metrics: dict[str, object] = METRICS) -> dict[str, tuple[str, str]]:
    return {o.header: (o.status, o.value) for o in gate_outcomes(gates, metrics)}


def test_floors_and_ceilings() -> None:
    result = _by_check(GatesParams(min={"roc_auc": 0.8, "accuracy": 0.72, "log_loss": 0.5, "brier": 0.2}))
    assert result["Gate roc_auc"] == ("passed", "roc_auc = 0.8700")
    assert result["Gate accuracy"] == ("failed", "accuracy = 0.7000")
    assert result["Gate log_loss"] == ("passed", "log_loss = 0.4500")  # lower is better: a ceiling
    assert result["Gate brier"] == ("failed", "brier was not computed on the holdout")


def test_class_recall_floor_names_the_class() -> None:
    result = _by_check(GatesParams(min_class_recall=0.65))
    assert result["Gate recall of class 0"][0] == "passed"
    assert result["Gate recall of class 1"] == ("failed", "recall of class 1 = 0.6000")


def test_class_recall_without_per_class_fails() -> None:
    (outcome,) = gate_outcomes(GatesParams(min_class_recall=0.5), {"metrics": {}})
    assert outcome.status == "failed" and "no per-class" in outcome.value


def test_no_gates_no_outcomes() -> None:
    assert gate_outcomes(GatesParams(), METRICS) == ()


@pytest.mark.parametrize(("content", "message"), [(None, "missing"), ("{", "not valid JSON"), ("[]", "no 'metrics'")])
def test_bad_metrics_file(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "metrics.json").write_text(content)
    with pytest.raises(ArtifactError, match=message):
        read_metrics(tmp_path)


def test_unreadable_metrics_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "metrics.json").mkdir()
    with pytest.raises(ArtifactError, match=r"metrics\.json: cannot read: IsADirectoryError"):
        read_metrics(tmp_path)


def test_reads_metrics(tmp_path: Path) -> None:
    (tmp_path / "metrics.json").write_text(json.dumps(METRICS))
    assert read_metrics(tmp_path)["metrics"]["roc_auc"] == 0.87
