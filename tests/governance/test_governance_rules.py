"""Each governance rule on its own, with plain values: the pure half of `mlci govern`."""

from __future__ import annotations

import hashlib

import pytest

from mlci.config import parse_params
from mlci.core.artifacts import CheckEntry, CheckStatus, CheckSummary, GateResult, MetricsFile
from mlci.governance import rules as g
from mlci.governance.evidence_formats import Finding, ScanReport

A, B = "a" * 64, "b" * 64


def CheckResult(  # noqa: N802 -- reads like the entry it builds
    name: str, status: CheckStatus, condition: str | None = None, value: object = None, optional: bool = False
) -> CheckEntry:
    return CheckEntry(check=name, name=name, status=status, condition=condition, value=value, optional=optional)


def ok(name: str) -> CheckEntry:
    return CheckResult(name, "passed")


def suite(*checks: CheckEntry, passed: bool | None = None) -> CheckSummary:
    return CheckSummary(checks=list(checks), passed=passed)


def test_checks_pass_when_every_suite_passes():
    outcome = g.check_suites(["s1", "s2"], {"s1": suite(ok("a"), ok("b"), passed=True), "s2": suite(ok("c"))})
    assert outcome.status == "passed"
    assert outcome.reason == "3 checks in 2 suite(s) passed"
    assert outcome.evidence["s1"] == {
        "checks": 2,
        "passed": 2,
        "suite_passed": True,
        "failing": [],
        "warned": [],
        "not_run": [],
    }


def test_checks_fail_on_a_failed_check_even_with_a_suite_missing():
    bad = CheckResult("Drift", "failed", "drift < 0.2", 0.4)
    outcome = g.check_suites(["s1", "s2"], {"s1": suite(ok("a"), bad)})
    assert outcome.status == "failed"
    assert "s1/Drift" in outcome.reason
    assert outcome.evidence["s2"] == "missing"
    assert outcome.evidence["s1"]["failing"] == [
        {"name": "Drift", "status": "failed", "condition": "drift < 0.2", "value": 0.4}
    ]


def test_checks_failed_check_wins_over_a_passing_suite_verdict():
    assert g.check_suites(["s"], {"s": suite(CheckResult("a", "failed"), passed=True)}).status == "failed"


def test_checks_missing_suite_is_not_evaluated():
    outcome = g.check_suites(["s1"], {})
    assert outcome.status == "not evaluated"
    assert "checks/s1.json" in outcome.reason


def test_checks_empty_suite_is_not_evaluated():
    assert g.check_suites(["s1"], {"s1": suite()}).status == "not evaluated"


@pytest.mark.parametrize(("allow", "status"), [(False, "failed"), (True, "passed")])
def test_checks_not_run(allow, status):
    outcome = g.check_suites(["s1"], {"s1": suite(ok("a"), CheckResult("Crashed", "not-run"))}, allow_not_run=allow)
    assert outcome.status == status
    assert outcome.evidence["s1"]["not_run"] == ["Crashed"]


def test_checks_optional_not_run_does_not_fail():
    optional = CheckResult("Slow", "not-run", optional=True)
    assert g.check_suites(["s"], {"s": suite(ok("a"), optional)}).status == "passed"


@pytest.mark.parametrize(("verdict", "status"), [(True, "passed"), (None, "passed"), (False, "failed")])
def test_checks_warned_fails_only_when_the_suite_verdict_fails(verdict, status):
    outcome = g.check_suites(["s"], {"s": suite(ok("a"), CheckResult("W", "warned"), passed=verdict)})
    assert outcome.status == status
    assert outcome.evidence["s"]["warned"] == ["W"]


def test_checks_reason_is_capped_at_five_names():
    many = tuple(CheckResult(f"c{i}", "failed") for i in range(7))
    assert g.check_suites(["s"], {"s": suite(*many)}).reason.endswith("s/c4 ...")


# --- compare gate ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gate", "status"),
    [
        (None, "not evaluated"),
        (GateResult("passed", "passed", (), "no-baseline"), "passed"),
        (GateResult("failed", "failed", ("roc_auc",)), "failed"),
        (GateResult("other", "skipped"), "not evaluated"),
    ],
)
def test_compare_gate(gate, status):
    assert g.compare_gate(gate).status == status


def test_compare_gate_says_why_it_passed():
    assert (
        g.compare_gate(GateResult("passed", "passed", (), "no-baseline")).reason == "compare gate passed (no-baseline)"
    )


def test_compare_gate_records_why_nothing_was_compared():
    reason = "the baseline predicts 'rings', this run predicts 'species'"
    passed = g.compare_gate(GateResult("passed", "passed", (), "incomparable", reason))
    assert passed.status == "passed"
    assert passed.reason == f"compare gate passed with nothing compared: {reason}"
    assert passed.evidence["not_compared_because"] == reason
    failures = (f"nothing was compared: {reason} (gates.incomparable: fail)",)
    failed = g.compare_gate(GateResult("failed", "failed", failures, "incomparable", reason))
    assert failed.status == "failed" and failed.reason == f"compare gate failed: nothing compared: {reason}"
    assert failed.evidence["failures"] == list(failures)


# --- primary metric -------------------------------------------------------------------------------------


def metrics_file(values: dict[str, float | None]) -> MetricsFile:
    """A metrics.json holding these values (a value of the wrong type is refused when the file is read:
    tests/governance/test_govern_command.py)."""
    return MetricsFile.model_validate(
        {
            "format_version": 1,
            "task": "classification",
            "primary": "roc_auc",
            "metrics": values,
            "per_class": {},
            "rows": {"total": 10, "train": 8, "test": 2},
            "evaluation_sample": {"sample_rows": 2, "sampled": False, "seed": 0},
        }
    )


@pytest.mark.parametrize(
    ("metric", "value", "floor", "status"),
    [
        ("roc_auc", 0.85, 0.8, "passed"),
        ("roc_auc", 0.8, 0.8, "passed"),  # reaching the floor is enough
        ("roc_auc", 0.79, 0.8, "failed"),
        ("log_loss", 0.3, 0.4, "passed"),  # lower is better: the floor is a ceiling
        ("log_loss", 0.5, 0.4, "failed"),
        ("roc_auc", None, 0.8, "failed"),  # undefined on the holdout
    ],
)
def test_metric_floor(metric, value, floor, status):
    outcome = g.metric_floor(metrics_file({metric: value}), metric, floor, "gates.min")
    assert outcome.status == status
    assert outcome.evidence["floor"] == floor


def test_metric_floor_reason_shows_the_comparison():
    assert g.metric_floor(metrics_file({"rmse": 5.0}), "rmse", 4.0, "x").reason == "rmse 5.0000 > 4.0 (x)"


@pytest.mark.parametrize(
    ("metrics", "floor", "reason"),
    [
        ({"roc_auc": 0.9}, None, "no floor for roc_auc"),
        (None, 0.8, "metrics.json missing"),
        ({"accuracy": 0.9}, 0.8, "metrics.json has no roc_auc"),
    ],
)
def test_metric_floor_without_evidence(metrics, floor, reason):
    outcome = g.metric_floor(None if metrics is None else metrics_file(metrics), "roc_auc", floor)
    assert outcome.status == "not evaluated"
    assert reason in outcome.reason


BASE = """
data: {path: d.csv, id_column: id, target: y, task: classification}
model: {estimator: hist_gradient_boosting}
metrics: {primary: roc_auc, report: [roc_auc]}
"""


def test_resolve_floor_prefers_governance_then_gates():
    assert g.resolve_floor(parse_params(BASE)) == (None, "")
    assert g.resolve_floor(parse_params(BASE + "gates: {min: {roc_auc: 0.7}}")) == (0.7, "gates.min.roc_auc")
    both = BASE + "gates: {min: {roc_auc: 0.7}}\ngovernance: {primary_metric: {floor: 0.9}}"
    assert g.resolve_floor(parse_params(both)) == (0.9, "governance.primary_metric.floor")


# --- data card ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "licence"),
    [
        ("| Licence | Creative Commons Attribution 4.0 (CC BY 4.0) |", "Creative Commons Attribution 4.0 (CC BY 4.0)"),
        ("License: MIT", "MIT"),
        ("**License**: `ODbL-1.0`", "ODbL-1.0"),
        ("# Card\n\n## Licence\n\nCC0 1.0\n", "CC0 1.0"),
        ("Licence: TODO\n\n| License | Apache-2.0 |", "Apache-2.0"),  # a placeholder, then the real one
        ("Licensed under CC BY-SA 4.0", "under CC BY-SA 4.0"),
    ],
)
def test_find_licence(text, licence):
    assert g.find_licence(text) == licence


@pytest.mark.parametrize(
    "text",
    [
        "# Data card\nno word for it here",
        "Licence: TODO",
        "| License | tbd |",
        "Licence: <your licence here>",
        "License: n/a",
        "## Licence\n\n## Columns",  # a heading with nothing under it
        "## License\n",
    ],
)
def test_find_licence_rejects_missing_or_placeholder(text):
    assert g.find_licence(text) is None


def test_data_card_rule():
    assert g.data_card("data/README.md", None).status == "failed"
    assert g.data_card("data/README.md", "nothing").status == "failed"
    passed = g.data_card("data/README.md", "Licence: MIT")
    assert passed.status == "passed"
    assert passed.evidence == {
        "path": "data/README.md",
        "licence": "MIT",
        "sha256": hashlib.sha256(b"Licence: MIT").hexdigest(),
    }


# --- model card -----------------------------------------------------------------------------------------


def test_model_card_rule():
    assert g.model_card(None, A).status == "failed"
    assert g.model_card("  \n", A).status == "failed"
    assert g.model_card(f"sha256 `{A}`", A).status == "passed"
    stale = g.model_card(f"sha256 `{B}`", A)
    assert (stale.status, stale.evidence["names_model_sha256"]) == ("failed", False)
    assert g.model_card("# Model card", None).status == "passed"


# --- hashes ---------------------------------------------------------------------------------------------


def test_data_hash_rule():
    assert g.data_hash(A, A, "d.csv").status == "passed"
    changed = g.data_hash(A, B, "d.csv")
    assert changed.status == "failed"
    assert changed.evidence == {"path": "d.csv", "recorded": A, "actual": B}
    assert g.data_hash(A, None, "d.csv").status == "failed"
    assert g.data_hash(None, A, "d.csv").status == "not evaluated"


def test_model_hash_rule():
    assert g.model_hash(A, A, A).status == "passed"
    assert g.model_hash(None, A, A).reason.endswith("matches run.json")
    assert g.model_hash(A, None, A).reason.endswith("matches model.sha256")
    assert g.model_hash(B, A, A).status == "failed"  # tampered hash file
    assert g.model_hash(A, A, B).status == "failed"  # tampered model
    assert g.model_hash("", A, A).reason.endswith("model.sha256 records nothing")
    assert g.model_hash(A, A, None).reason == "model.skops not found"
    assert g.model_hash(None, None, A).status == "not evaluated"


# --- approvals ------------------------------------------------------------------------------------------


def test_approvals_rule():
    not_read = g.approvals(g.Approvals(None, "GITHUB_TOKEN is not set"), 1)
    assert (not_read.status, not_read.reason) == ("not evaluated", "GITHUB_TOKEN is not set")
    assert g.approvals(g.Approvals(("ann", "bob"), pull_request=7, repository="o/r"), 2).status == "passed"
    short = g.approvals(g.Approvals(("ann",), pull_request=7), 2)
    assert (short.status, short.reason) == ("failed", "pull request #7: 1 approval(s), 2 required")
    assert g.approvals(g.Approvals(()), 1).reason == "no pull request: 0 approval(s), 1 required"
    assert g.approvals(g.Approvals(()), 0).status == "passed"


# --- image scan -----------------------------------------------------------------------------------------


def scan(*findings: tuple[str, str]) -> ScanReport:
    return ScanReport("grype", tuple(Finding(i, s, "pkg 1.0") for i, s in findings))


def test_image_scan_rule():
    assert g.image_scan(None, "high").status == "not evaluated"
    assert g.image_scan(scan(("CVE-1", "medium"), ("CVE-2", "unknown")), "high").status == "passed"
    failed = g.image_scan(scan(("CVE-1", "high"), ("CVE-2", "critical"), ("CVE-3", "low")), "high", source="r.json")
    assert failed.status == "failed"
    assert failed.evidence["blocking_count"] == 2
    assert failed.evidence["findings_by_severity"] == {"critical": 1, "high": 1, "low": 1}
    assert failed.evidence["report"] == "r.json"
    assert g.image_scan(scan(("CVE-3", "low")), "low").status == "failed"


def test_image_scan_ignores_accepted_ids():
    outcome = g.image_scan(scan(("CVE-1", "critical")), "high", ignore=["CVE-1", "CVE-9"])
    assert outcome.status == "passed"
    assert outcome.evidence["ignored"] == ["CVE-1"]


# --- decision -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "in_ci", "required"),
    [(True, False, True), (True, True, True), ("ci", False, False), ("ci", True, True), (False, True, False)],
)
def test_is_required(setting, in_ci, required):
    assert g.is_required(setting, in_ci) is required


def _verdict(*rules: tuple[str, bool, str]) -> g.Verdict:
    return g.Verdict(
        tuple(g.RuleResult(n, True, req, req, g.RuleOutcome(status, "")) for n, req, status in rules),  # type: ignore[arg-type]
        in_ci=False,
    )


def test_decision_fails_on_required_failed_or_not_evaluated():
    assert _verdict(("a", True, "passed"), ("b", False, "failed")).decision == "passed"
    failed = _verdict(("a", True, "failed"), ("b", True, "not evaluated"), ("c", True, "passed"))
    assert failed.decision == "failed"
    assert [r.name for r in failed.failed_required] == ["a", "b"]


def test_rule_and_severity_order_is_pinned():
    """RULES and SEVERITIES are derived from the config models; the record's order and fail_on depend on them."""
    from mlci.config.governance import SEVERITIES

    assert g.RULES == (
        "data_checks",
        "model_checks",
        "compare_gate",
        "primary_metric",
        "data_card",
        "model_card",
        "data_hash",
        "model_hash",
        "approvals",
        "image_scan",
    )
    assert SEVERITIES == ("negligible", "low", "medium", "high", "critical")
