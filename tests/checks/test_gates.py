"""gates.min floors and gates.min_class_recall against a run's metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlci.checks.gates import gate_outcomes
from mlci.config.gates import GatesParams
from mlci.core.artifacts import MetricsFile, read_metrics
from mlci.core.errors import ArtifactError

METRICS = {
    "format_version": 1,
    "task": "classification",
    "primary": "roc_auc",
    "metrics": {"roc_auc": 0.87, "accuracy": 0.70, "log_loss": 0.45, "brier": None},
    "per_class": {"0": {"recall": 0.81}, "1": {"recall": 0.60}},
    "rows": {"total": 10, "train": 8, "test": 2},
    "evaluation_sample": {"sample_rows": 2, "sampled": False, "seed": 0},
}


def _metrics(**changes: object) -> MetricsFile:
    return MetricsFile.model_validate({**METRICS, **changes})


def _by_check(gates: GatesParams, metrics: MetricsFile | None = None) -> dict[str, tuple[str, str]]:
    return {o.name: (o.status, o.value) for o in gate_outcomes(gates, metrics or _metrics())}


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
    (outcome,) = gate_outcomes(GatesParams(min_class_recall=0.5), _metrics(metrics={}, per_class={}))
    assert outcome.status == "failed" and "no per-class" in outcome.value


def test_no_gates_no_outcomes() -> None:
    assert gate_outcomes(GatesParams(), _metrics()) == ()


WITHOUT_METRICS = json.dumps({key: value for key, value in METRICS.items() if key != "metrics"})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "missing"),
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        (WITHOUT_METRICS, "key 'metrics' is missing"),
        (json.dumps({**METRICS, "metrics": {"roc_auc": "high"}}), r"key 'metrics\.roc_auc'"),
    ],
)
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
    assert read_metrics(tmp_path).metrics["roc_auc"] == 0.87


def test_check_model_refuses_a_malformed_metrics_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gates' reader is the first thing `mlci check model` does: exit 2 naming file and key, nothing written."""
    from mlci.cli import main
    from synthetic import EXAMPLE

    (tmp_path / "metrics.json").write_text(json.dumps({**METRICS, "per_class": {"0": {"recall": "most"}}}))
    code = main(["check", "model", "--params", str(EXAMPLE / "params.yaml"), "--artifacts", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "metrics.json: key 'per_class.0.recall'" in err
    assert not (tmp_path / "checks").exists()
