"""Shipping needs a passing governance record that covers the image's model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlci.core.errors import ArtifactError, GateFailed
from mlci.release.gate import require_passed

SHA = "a" * 64


def record(tmp_path: Path, payload: object) -> Path:
    path = tmp_path / "governance.json"
    path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
    return path


def test_passing_record_for_this_model(tmp_path: Path) -> None:
    path = record(tmp_path, {"decision": "passed", "rules": [{"name": "model_sha256", "evidence": {"sha256": SHA}}]})
    assert require_passed(path, SHA)["decision"] == "passed"


def test_missing_record_refuses(tmp_path: Path) -> None:
    with pytest.raises(GateFailed, match="no governance record"):
        require_passed(tmp_path / "governance.json", SHA)


def test_failed_decision_names_rules(tmp_path: Path) -> None:
    path = record(
        tmp_path,
        {
            "decision": "failed",
            "rules": [{"name": "model_card", "status": "failed"}, {"name": "x", "status": "passed"}],
        },
    )
    with pytest.raises(GateFailed, match=r"'failed', not 'passed' \(failed: model_card\)"):
        require_passed(path, SHA)


def test_record_for_another_model_refuses(tmp_path: Path) -> None:
    path = record(tmp_path, {"decision": "passed", "rules": [], "model": {"sha256": "b" * 64}})
    with pytest.raises(GateFailed, match="another model"):
        require_passed(path, SHA)


@pytest.mark.parametrize("label", [None, "unknown"])
def test_image_without_model_label_refuses(tmp_path: Path, label: str | None) -> None:
    with pytest.raises(GateFailed, match=r"no io\.mlci\.model\.sha256 label"):
        require_passed(record(tmp_path, {"decision": "passed", "rules": []}), label)


@pytest.mark.parametrize("text", ["{", "[]"])
def test_unreadable_record(tmp_path: Path, text: str) -> None:
    with pytest.raises(ArtifactError):
        require_passed(record(tmp_path, text), SHA)
