"""Readers of the files other stages and scanners write: tolerant of extra fields, strict about meaning."""

from __future__ import annotations

import re

import pytest

from mlci.core.artifacts import CheckSummary, GateResult, parse, parse_compare_gate
from mlci.core.errors import ArtifactError
from mlci.governance.evidence_formats import approvers, parse_scan_report


def parse_check_summary(raw: object, source: str) -> CheckSummary:
    return parse(CheckSummary, raw, source)


def _checks(summary: CheckSummary) -> list[tuple[str, str, str | None, object, bool]]:
    return [(c.check, c.status, c.condition, c.value, c.optional) for c in summary.checks]


def test_check_summary_as_written_by_mlci_check():
    raw = {
        "format_version": 1,
        "suite": "data_integrity",
        "passed": False,
        "checks": [
            {"check": "A", "header": "A", "status": "passed", "condition": "c", "value": "1", "optional": False},
            {"check": "B", "header": "B", "status": "not-run", "condition": None, "value": "why", "optional": True},
        ],
        "skipped": [],
    }
    parsed = parse_check_summary(raw, "f")
    assert _checks(parsed) == [("A", "passed", "c", "1", False), ("B", "not-run", None, "why", True)]
    assert parsed.passed is False


def test_check_summary_as_a_bare_list_with_names():
    parsed = parse_check_summary([{"name": "A", "status": "passed", "extra": 1}], "f")
    assert _checks(parsed) == [("A", "passed", None, None, False)]
    assert parsed.passed is None


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("not-run", "not-run"),
        ("not_run", "not-run"),
        ("Not run", "not-run"),
        ("FAILED", "failed"),
        ("error", "not-run"),
        ("warning", "warned"),
    ],
)
def test_check_status_spellings(raw, status):
    assert parse_check_summary([{"check": "A", "status": raw}], "f").checks[0].status == status


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"suite": "s"}, "f: expected a list of checks"),
        ("text", "f: expected a list of checks"),
        ([{"status": "passed"}], "f: checks[0] must be an object with a string 'check'"),
        (["A"], "f: checks[0] must be an object"),
        ([{"check": "A"}], "f: checks[0] (A): unknown status None"),
    ],
)
def test_check_summary_bad_shapes(raw, message):
    with pytest.raises(ArtifactError, match=r"^" + re.escape(message)):
        parse_check_summary(raw, "f")


def test_non_string_condition_is_dropped():
    assert parse_check_summary([{"check": "A", "status": "passed", "condition": 3}], "f").checks[0].condition is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"status": "compared", "gate": {"status": "passed", "failures": []}},
            GateResult("passed", "passed", (), "compared"),
        ),
        ({"status": "no-baseline", "gate": {"status": "passed"}}, GateResult("passed", "passed", (), "no-baseline")),
        ({"gate": {"status": "failed", "failures": ["x"]}}, GateResult("failed", "failed", ("x",))),
        ({"gate": "FAIL"}, GateResult("failed", "FAIL")),
        ({"gate": {"passed": True}}, GateResult("passed", "passed: true")),
        ({"passed": False}, GateResult("failed", "passed: false")),
        ({"status": "ok"}, GateResult("passed", "ok")),
        ({"gate": {"status": "skipped"}}, GateResult("other", "skipped")),
        (
            {
                "status": "incomparable",
                "comparable": False,
                "reason": "the baseline predicts 'a'",
                "gate": {"status": "passed"},
            },
            GateResult("passed", "passed", (), "incomparable", "the baseline predicts 'a'"),
        ),
        # a reason without comparable: false is not a reason nothing was compared
        (
            {"status": "compared", "reason": "x", "gate": {"status": "passed"}},
            GateResult("passed", "passed", (), "compared"),
        ),
    ],
)
def test_compare_gate_shapes(raw, expected):
    assert parse_compare_gate(raw, "c") == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [([], "c: expected a JSON object"), ({"gate": 3}, "c: 'gate' must be"), ({"gate": {}}, "c: no gate status found")],
)
def test_compare_gate_bad_shapes(raw, message):
    with pytest.raises(ArtifactError, match=f"^{message}"):
        parse_compare_gate(raw, "c")


def test_grype_report():
    raw = {
        "matches": [
            {"vulnerability": {"id": "CVE-1", "severity": "High"}, "artifact": {"name": "openssl", "version": "3.0"}},
            {"vulnerability": {"id": "GHSA-2", "severity": "Weird"}},
        ]
    }
    report = parse_scan_report(raw, "g")
    assert report.tool == "grype"
    assert [(f.id, f.severity, f.package) for f in report.findings] == [
        ("CVE-1", "high", "openssl 3.0"),
        ("GHSA-2", "unknown", "?"),
    ]


def test_trivy_report():
    raw = {
        "SchemaVersion": 2,
        "Results": [
            {
                "Target": "debian",
                "Vulnerabilities": [
                    {"VulnerabilityID": "CVE-9", "Severity": "CRITICAL", "PkgName": "zlib", "InstalledVersion": "1.2"}
                ],
            },
            {"Target": "python-pkg", "Vulnerabilities": None},
        ],
    }
    report = parse_scan_report(raw, "t")
    assert report.tool == "trivy"
    assert [(f.id, f.severity, f.package) for f in report.findings] == [("CVE-9", "critical", "zlib 1.2")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"runs": []}, "s: not a grype"),
        ([], "s: not a grype"),
        ({"matches": [{"vulnerability": {}}]}, "s: a grype match has no vulnerability.id"),
        ({"matches": ["x"]}, "s: a grype match"),
        ({"Results": [{"Vulnerabilities": [{"Severity": "LOW"}]}]}, "s: a trivy vulnerability has no VulnerabilityID"),
    ],
)
def test_scan_report_bad_shapes(raw, message):
    with pytest.raises(ArtifactError, match=f"^{message}"):
        parse_scan_report(raw, "s")


def review(login: str, state: str) -> dict[str, object]:
    return {"user": {"login": login}, "state": state, "body": ""}


def test_approvers_take_each_reviewers_latest_deciding_review():
    reviews = [
        review("ann", "APPROVED"),
        review("bob", "CHANGES_REQUESTED"),
        review("bob", "APPROVED"),
        review("cid", "APPROVED"),
        review("cid", "DISMISSED"),  # stale approval dismissed by a new push
        review("dee", "APPROVED"),
        review("dee", "COMMENTED"),  # a later comment keeps the approval
        review("eve", "COMMENTED"),
        {"user": None, "state": "APPROVED"},
        "junk",
    ]
    assert approvers(reviews) == ("ann", "bob", "dee")
