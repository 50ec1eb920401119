"""Shipping needs a passing governance record that covers the image's model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlci.core.errors import ArtifactError, GateFailed
from mlci.release.gate import require_passed
from synthetic import governance_record, governance_rule

SHA = "a" * 64


def record(tmp_path: Path, payload: object) -> Path:
    path = tmp_path / "governance.json"
    path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
    return path


def test_passing_record_for_this_model(tmp_path: Path) -> None:
    path = record(tmp_path, governance_record("passed", SHA, [governance_rule("model_hash", "passed")]))
    assert require_passed(path, SHA).decision == "passed"


def test_missing_record_refuses(tmp_path: Path) -> None:
    with pytest.raises(GateFailed, match="no governance record"):
        require_passed(tmp_path / "governance.json", SHA)


def test_failed_decision_names_rules(tmp_path: Path) -> None:
    path = record(
        tmp_path,
        governance_record("failed", SHA, [governance_rule("model_card", "failed"), governance_rule("x", "passed")]),
    )
    with pytest.raises(GateFailed, match=r"'failed', not 'passed' \(failed: model_card\)"):
        require_passed(path, SHA)


def test_record_for_another_model_refuses(tmp_path: Path) -> None:
    path = record(tmp_path, governance_record("passed", "b" * 64))
    with pytest.raises(GateFailed, match="another model"):
        require_passed(path, SHA)


@pytest.mark.parametrize("label", [None, "unknown"])
def test_image_without_model_label_refuses(tmp_path: Path, label: str | None) -> None:
    with pytest.raises(GateFailed, match=r"no io\.mlci\.model\.sha256 label"):
        require_passed(record(tmp_path, governance_record("passed", SHA)), label)


@pytest.mark.parametrize("text", ["{", "[]"])
def test_unreadable_record(tmp_path: Path, text: str) -> None:
    with pytest.raises(ArtifactError):
        require_passed(record(tmp_path, text), SHA)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"decision": "maybe"}, "governance.json: key 'decision': input should be 'passed' or 'failed'"),
        ({"format_version": 2}, "governance.json: format_version 2 is newer than this mlci"),
        ({"rules": [{"name": "model_hash"}]}, "governance.json: key 'rules[0].enabled' is missing"),
    ],
)
def test_a_malformed_record_is_one_line_naming_file_and_key(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    """Refused as bad input (exit 2), never read as a decision."""
    path = record(tmp_path, {**governance_record("passed", SHA), **change})
    with pytest.raises(ArtifactError) as refused:
        require_passed(path, SHA)
    assert str(refused.value).startswith(str(path.parent)) and message in str(refused.value)
    assert "\n" not in str(refused.value)
