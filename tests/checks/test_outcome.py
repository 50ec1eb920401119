"""Outcomes, the per-suite summary JSON and its one-line rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlci.checks.outcome import SuiteSummary, write_summary
from mlci.core.artifacts import CheckEntry, CheckStatus


def Outcome(  # noqa: N802 -- reads like the entry it builds
    check: str, name: str, condition: str | None, status: CheckStatus, value: str, **extra: object
) -> CheckEntry:
    return CheckEntry.model_validate(
        {"check": check, "name": name, "condition": condition, "status": status, "value": value, **extra}
    )


def _summary(*outcomes: CheckEntry, fail_on_warning: bool = False, rows: int = 100, sampled: int = 100) -> SuiteSummary:
    return SuiteSummary(
        suite="data_integrity",
        command="mlci check data",
        outcomes=outcomes,
        rows={"train": rows, "test": None},
        rows_sampled={"train": sampled, "test": None},
        sample_rows=50,
        fail_on_warning=fail_on_warning,
        html="data_integrity.html",
        skipped=("B",),
        no_condition=("A",),
    )


PASS = Outcome("MixedNulls", "Mixed Nulls", "at most 1 null type", "passed", "ok")
FAIL = Outcome("DataDuplicates", "Data Duplicates", "ratio <= 5%", "failed", "Found 33% duplicate data")
WARN = Outcome("WeakSegmentsPerformance", "Weak Segments", "> 80%", "warned", "0.57 vs 0.79")
NOT_RUN = Outcome("IdentifierLabelCorrelation", "Identifier", None, "not-run", "DatasetValidationError: no index")


@pytest.mark.parametrize(
    ("outcome", "fail_on_warning", "fails"),
    [
        (PASS, False, False),
        (FAIL, False, True),
        (WARN, False, False),
        (WARN, True, True),
        (NOT_RUN, False, True),
        (Outcome("X", "X", None, "not-run", "crashed", optional=True), False, False),
    ],
)
def test_what_fails(outcome: CheckEntry, fail_on_warning: bool, fails: bool) -> None:
    assert outcome.gates(fail_on_warning) is fails
    assert _summary(outcome, fail_on_warning=fail_on_warning).passed is not fails


def test_lines_name_check_condition_and_value() -> None:
    assert FAIL.line() == "Data Duplicates: ratio <= 5%: Found 33% duplicate data"
    assert NOT_RUN.line() == "Identifier: did not run: DatasetValidationError: no index"


def test_headline_counts_and_states_the_sample_cap() -> None:
    summary = _summary(PASS, FAIL, NOT_RUN, rows=100, sampled=50)
    assert (
        summary.headline()
        == "data_integrity: FAILED: 1 passed, 1 failed, 1 not-run on 50 train rows (sampled: checks.sample_rows 50)"
    )
    assert _summary().headline() == "data_integrity: ok: no conditions on 100 train rows"


def test_json_shape(tmp_path: Path) -> None:
    path = write_summary(tmp_path, _summary(PASS, FAIL))
    assert path == tmp_path / "data_integrity.json"
    payload = json.loads(path.read_text())
    assert payload["passed"] is False
    assert payload["suite"] == "data_integrity" and payload["html"] == "data_integrity.html"
    assert payload["rows"] == {"train": 100, "test": None} and payload["sample_rows"] == 50
    assert payload["checks"][1] == {
        "check": "DataDuplicates",
        "name": "Data Duplicates",
        "condition": "ratio <= 5%",
        "status": "failed",
        "value": "Found 33% duplicate data",
        "optional": False,
    }
    assert payload["skipped"] == ["B"] and payload["no_condition"] == ["A"]


def test_a_hint_ends_the_line_and_appears_in_the_json_only_when_set(tmp_path: Path) -> None:
    hinted = Outcome("PercentOfNulls", "Nulls", "<= 5%", "failed", "x: 20%", hint="raise the threshold")
    assert hinted.line() == "Nulls: <= 5%: x: 20%; hint: raise the threshold"
    payload = json.loads(write_summary(tmp_path, _summary(PASS, hinted)).read_text())
    assert "hint" not in payload["checks"][0] and payload["checks"][1]["hint"] == "raise the threshold"
