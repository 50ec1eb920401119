"""`mlci govern` end to end on fixture artifacts: the record, the decision and the exit codes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from governed_project import CI_VARIABLES, Governed, build_governed, write_passing_evidence

from mlci.cli import main
from synthetic import EXAMPLE

GRYPE_CLEAN = {"matches": [], "descriptor": {"name": "grype"}}


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start outside CI whatever runs them; each sets the variables it needs."""
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def governed(tmp_path: Path) -> Governed:
    return build_governed(tmp_path)


def test_passing_run_writes_a_passed_record(governed, capsys):
    assert main(governed.args()) == 0
    record = governed.record
    assert record["decision"] == "passed"
    assert record["failed_required"] == []
    assert record["context"] == "local"
    assert record["format_version"] == 1
    assert record["model_sha256"] == hashlib.sha256(governed.model_bytes).hexdigest()
    assert record["data_sha256"] == hashlib.sha256(governed.data_bytes).hexdigest()
    assert record["run"] == {"commit": "a" * 40, "params_hash": "b" * 64}
    statuses = {rule["name"]: (rule["status"], rule["required"]) for rule in record["rules"]}
    assert statuses["approvals"] == ("not evaluated", False)  # locally: never passed, not deciding
    assert statuses["image_scan"] == ("not evaluated", False)
    assert all(status == "passed" for name, (status, _) in statuses.items() if name not in ("approvals", "image_scan"))
    out = capsys.readouterr()
    assert "decision: passed (local)" in out.out
    assert out.err == ""


def test_record_is_byte_identical_on_rerun(governed):
    main(governed.args())
    first = (governed.artifacts / "governance.json").read_bytes()
    main(governed.args())
    assert (governed.artifacts / "governance.json").read_bytes() == first


def _fails(governed, capsys, rule: str, *extra: str) -> str:
    assert main(governed.args(*extra)) == 1
    err = capsys.readouterr().err
    assert f"required rule {rule} " in err
    assert governed.record["decision"] == "failed"
    assert rule in governed.record["failed_required"]
    return err


def test_tampered_model_sha256_fails_model_hash(governed, capsys):
    (governed.artifacts / "model.sha256").write_text("0" * 64 + "  model.skops\n", encoding="utf-8")
    err = _fails(governed, capsys, "model_hash")
    assert "model.sha256 records 000000000000" in err
    assert err.count("\n") == 1  # one line per failed rule, and only that rule failed


def test_tampered_model_bytes_fails_model_hash(governed, capsys):
    (governed.artifacts / "model.skops").write_bytes(b"swapped model")
    err = _fails(governed, capsys, "model_hash")
    assert "run.json records" in err


def test_changed_data_fails_data_hash(governed, capsys):
    (governed.root / "data.csv").write_bytes(b"row_id,x1\n9,9\n")
    _fails(governed, capsys, "data_hash")
    assert governed.rule("data_hash")["evidence"]["actual"] != governed.rule("data_hash")["evidence"]["recorded"]


def test_data_card_without_licence_fails(governed, capsys):
    (governed.root / "data" / "README.md").write_text("# Data card\n\nLicence: TODO\n", encoding="utf-8")
    err = _fails(governed, capsys, "data_card")
    assert "states no licence" in err


def test_data_card_path_is_configurable(governed, capsys):
    (governed.root / "CARD.md").write_text("License: MIT\n", encoding="utf-8")
    (governed.root / "data" / "README.md").unlink()
    governed.edit_params(lambda p: p.update(governance={"data_card": {"path": "CARD.md"}}))
    assert main(governed.args()) == 0
    evidence = governed.rule("data_card")["evidence"]
    assert (evidence["path"], evidence["licence"]) == ("CARD.md", "MIT")


def test_metric_under_its_floor_fails(governed, capsys):
    governed.set_metrics({"roc_auc": 0.75})
    err = _fails(governed, capsys, "primary_metric")
    assert "roc_auc 0.7500 < 0.8 (gates.min.roc_auc)" in err


def test_governance_floor_overrides_gates_min(governed, capsys):
    governed.edit_params(lambda p: p.update(governance={"primary_metric": {"floor": 0.95}}))
    err = _fails(governed, capsys, "primary_metric")
    assert "(governance.primary_metric.floor)" in err


def test_failed_check_fails_model_checks(governed, capsys):
    governed.write_json(
        "checks/model_evaluation.json",
        {
            "passed": False,
            "checks": [{"check": "RocReport", "condition": "AUC > 0.7", "status": "failed", "value": "0.6"}],
        },
    )
    err = _fails(governed, capsys, "model_checks")
    assert "model_evaluation/RocReport" in err
    evidence = governed.rule("model_checks")["evidence"]["model_evaluation"]
    assert evidence["failing"] == [{"name": "RocReport", "status": "failed", "condition": "AUC > 0.7", "value": "0.6"}]
    assert evidence["suite_passed"] is False


def test_warning_fails_only_when_the_suite_says_so(governed, capsys):
    warned = {"check": "StringMismatch", "condition": "no variants", "status": "warned", "value": "2 variants"}
    governed.write_json("checks/data_integrity.json", {"passed": True, "checks": [warned]})
    assert main(governed.args()) == 0
    governed.write_json("checks/data_integrity.json", {"passed": False, "checks": [warned]})  # fail_on_warning
    assert "data_integrity/StringMismatch" in _fails(governed, capsys, "data_checks")


def test_missing_checks_are_not_evaluated_and_fail_when_required(governed, capsys):
    shutil.rmtree(governed.artifacts / "checks")
    err = _fails(governed, capsys, "data_checks")
    assert "required rule model_checks not evaluated" in err
    assert governed.rule("data_checks")["status"] == "not evaluated"


def test_failed_compare_gate(governed, capsys):
    governed.write_json("comparison.json", {"gate": {"status": "failed", "failures": ["roc_auc dropped 0.03"]}})
    _fails(governed, capsys, "compare_gate")
    assert governed.rule("compare_gate")["evidence"]["failures"] == ["roc_auc dropped 0.03"]


@pytest.mark.parametrize(("setting", "code"), [("pass", 0), ("fail", 1)])
def test_incomparable_baseline_follows_gates_incomparable_and_is_recorded(governed, capsys, setting, code):
    reason = "the baseline predicts 'rings', this run predicts 'species'"
    failures = [] if setting == "pass" else [f"nothing was compared: {reason} (gates.incomparable: fail)"]
    governed.write_json(
        "comparison.json",
        {
            "status": "incomparable",
            "comparable": False,
            "reason": reason,
            "gate": {
                "status": "passed" if setting == "pass" else "failed",
                "failures": failures,
                "incomparable": setting,
            },
        },
    )
    assert main(governed.args()) == code
    rule = governed.rule("compare_gate")
    assert rule["status"] == ("passed" if setting == "pass" else "failed")
    assert reason in rule["reason"] and rule["evidence"]["not_compared_because"] == reason
    if setting == "fail":
        assert (
            f"required rule compare_gate failed: compare gate failed: nothing compared: {reason}"
            in capsys.readouterr().err
        )


def test_stale_model_card_fails(governed, capsys):
    (governed.artifacts / "model_card.md").write_text("# Model card\n\n- Model sha256: `deadbeef`\n", encoding="utf-8")
    _fails(governed, capsys, "model_card")


def test_optional_rule_failing_does_not_fail_the_decision(governed, capsys):
    governed.set_metrics({"roc_auc": 0.5})
    governed.edit_params(lambda p: p.update(governance={"primary_metric": {"required": False}}))
    assert main(governed.args()) == 0
    rule = governed.rule("primary_metric")
    assert (rule["status"], rule["required"], rule["required_setting"]) == ("failed", False, False)
    assert "optional" in capsys.readouterr().out


def test_disabled_rule_is_listed_not_evaluated(governed):
    shutil.rmtree(governed.artifacts / "checks")
    governed.edit_params(
        lambda p: p.update(governance={"data_checks": {"enabled": False}, "model_checks": {"enabled": False}})
    )
    assert main(governed.args()) == 0
    rule = governed.rule("data_checks")
    assert (rule["enabled"], rule["status"], rule["required"]) == (False, "not evaluated", False)
    assert "disabled" in rule["reason"]


def test_in_ci_approvals_and_scan_become_required(governed, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    err = _fails(governed, capsys, "approvals")
    assert "required rule image_scan not evaluated" in err
    assert governed.record["context"] == "ci"
    assert governed.rule("approvals")["status"] == "not evaluated"  # no token: never passed


def test_no_ci_flag_overrides_the_environment(governed, monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert main(governed.args("--no-ci")) == 0
    assert governed.record["context"] == "local"


def test_scan_report_with_findings_fails_in_ci(governed, capsys, tmp_path):
    report = tmp_path / "trivy.json"
    report.write_text(
        json.dumps(
            {
                "Results": [
                    {"Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Severity": "CRITICAL", "PkgName": "openssl"}]}
                ]
            }
        ),
        encoding="utf-8",
    )
    err = _fails(governed, capsys, "image_scan", "--ci", "--scan-report", str(report))
    assert "CVE-1" in err
    assert governed.rule("image_scan")["evidence"]["blocking"] == [
        {"id": "CVE-1", "severity": "critical", "package": "openssl"}
    ]


def test_scan_report_from_the_environment(governed, monkeypatch, tmp_path):
    report = tmp_path / "grype.json"
    report.write_text(json.dumps(GRYPE_CLEAN), encoding="utf-8")
    monkeypatch.setenv("MLCI_SCAN_REPORT", str(report))
    assert main(governed.args()) == 0
    assert governed.rule("image_scan")["status"] == "passed"
    assert governed.rule("image_scan")["evidence"]["report"] == str(report)


def test_without_approvals_flag_github_is_not_asked(governed, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "secret-token-value")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # would fail if contacted
    assert main(governed.args()) == 0
    assert "pass --approvals-from-github" in governed.rule("approvals")["reason"]
    assert "secret-token-value" not in (governed.artifacts / "governance.json").read_text(encoding="utf-8")


def test_approvals_flag_without_token_is_not_evaluated(governed):
    assert main(governed.args("--approvals-from-github")) == 0
    assert "GITHUB_TOKEN is not set" in governed.rule("approvals")["reason"]


# --- bad input: exit 2, one line naming the file, no stale record left behind ----------------------------


def _bad(governed, capsys, *extra: str) -> str:
    (governed.artifacts / "governance.json").write_text('{"decision": "passed"}', encoding="utf-8")
    assert main(governed.args(*extra)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (governed.artifacts / "governance.json").exists()
    return err


def test_missing_artifacts_folder(governed, capsys, tmp_path):
    assert main(["govern", "--params", str(governed.params), "--artifacts", str(tmp_path / "nope")]) == 2
    assert "artifacts folder not found" in capsys.readouterr().err


def test_malformed_run_json_names_the_file(governed, capsys):
    (governed.artifacts / "run.json").write_text("{not json", encoding="utf-8")
    err = _bad(governed, capsys)
    assert "run.json: not valid JSON (line 1" in err


def test_run_json_not_an_object(governed, capsys):
    (governed.artifacts / "run.json").write_text("[1, 2]", encoding="utf-8")
    assert "run.json: expected a JSON object" in _bad(governed, capsys)


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("run.json", {"data": {"path": "data.csv"}}, "run.json: key 'data.sha256' is missing"),
        ("run.json", {"format_version": 2}, "run.json: format_version 2 is newer than this mlci"),
        ("metrics.json", {"metrics": {"roc_auc": "high"}}, "metrics.json: key 'metrics.roc_auc'"),
        ("metrics.json", {"metrics": None}, "metrics.json: key 'metrics' is missing or not an object"),
    ],
)
def test_run_files_that_do_not_match_their_model_name_file_and_key(governed, capsys, name, change, message):
    """What a rule reads from run.json or metrics.json is refused at reading, never judged as evidence."""
    governed.write_json(name, {**governed.read_json(name), **change})
    assert message in _bad(governed, capsys)


def test_malformed_check_summary_names_the_file(governed, capsys):
    governed.write_json("checks/data_integrity.json", [{"check": "MixedNulls", "status": "maybe"}])
    err = _bad(governed, capsys)
    assert "data_integrity.json: checks[0] (MixedNulls): unknown status 'maybe'" in err


def test_malformed_comparison_names_the_file(governed, capsys):
    (governed.artifacts / "comparison.json").write_text('{"gate": ', encoding="utf-8")
    assert "comparison.json: not valid JSON" in _bad(governed, capsys)


def test_named_scan_report_must_exist(governed, capsys, tmp_path):
    assert "scan report not found" in _bad(governed, capsys, "--scan-report", str(tmp_path / "missing.json"))


def test_unknown_scan_format(governed, capsys, tmp_path):
    report = tmp_path / "sarif.json"
    report.write_text('{"runs": []}', encoding="utf-8")
    assert "not a grype" in _bad(governed, capsys, "--scan-report", str(report))


def test_bad_governance_params(governed, capsys):
    governed.edit_params(lambda p: p.update(governance={"approvals": {"required": "sometimes"}}))
    err = _bad(governed, capsys)
    assert "governance.approvals.required" in err


def test_unreadable_data_card(governed, capsys):
    (governed.root / "data" / "README.md").write_bytes(b"\xff\xfe licence")
    assert "README.md: cannot read" in _bad(governed, capsys)


# --- a real run -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_real_run_passes_then_fails_when_tampered(trained_run, tmp_path, capsys):
    """The bundled project after `mlci run` (plus check and compare summaries) passes; a tampered hash fails."""
    artifacts = tmp_path / "artifacts"
    shutil.copytree(trained_run, artifacts)
    write_passing_evidence(artifacts)
    args = ["govern", "--params", str(EXAMPLE / "params.yaml"), "--artifacts", str(artifacts)]
    assert main(args) == 0, capsys.readouterr()
    record = json.loads((artifacts / "governance.json").read_text(encoding="utf-8"))
    assert record["decision"] == "passed"
    assert record["model_sha256"] == (artifacts / "model.sha256").read_text(encoding="utf-8").split()[0]
    (artifacts / "model.sha256").write_text("f" * 64 + "  model.skops\n", encoding="utf-8")
    assert main(args) == 1
    assert "required rule model_hash failed" in capsys.readouterr().err


def test_missing_data_and_model_files_fail_their_rules(governed, capsys):
    (governed.root / "data.csv").unlink()
    (governed.artifacts / "model.skops").unlink()
    err = _fails(governed, capsys, "data_hash")
    assert "required rule model_hash failed: model.skops not found" in err
    assert governed.record["model_sha256"] is None


def test_unreadable_data_path(governed, capsys):
    (governed.root / "data.csv").unlink()
    (governed.root / "data.csv").mkdir()
    assert "data.csv: cannot read" in _bad(governed, capsys)


def test_image_digest_is_recorded(governed):
    digest = "sha256:" + "e" * 64
    assert main(governed.args("--image-digest", digest)) == 0
    assert governed.record["image_digest"] == digest


def test_bad_image_digest_is_a_usage_error(governed, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(governed.args("--image-digest", "latest"))
    assert exit_info.value.code == 2
    assert "'latest' is not a digest" in capsys.readouterr().err


def test_non_finite_json_is_bad_input(governed, capsys):
    (governed.artifacts / "metrics.json").write_text('{"metrics": {"roc_auc": NaN}}', encoding="utf-8")
    assert "metrics.json: non-standard JSON constant NaN" in _bad(governed, capsys)
