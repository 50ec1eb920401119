"""Readers for the files governance takes as evidence but other stages and tools write. Pure: JSON in, facts out.

Each reader states the fields it relies on and ignores everything else, so the writers can add fields
freely. A shape it cannot read is an ArtifactError naming the file (exit 2), never a silent pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mlci.config.governance import SEVERITIES
from mlci.errors import ArtifactError

CheckStatus = Literal["passed", "warned", "failed", "not-run"]
GateStatus = Literal["passed", "failed", "other"]

_CHECK_STATUSES: dict[str, CheckStatus] = {
    "passed": "passed",
    "pass": "passed",
    "failed": "failed",
    "fail": "failed",
    "warned": "warned",
    "warning": "warned",
    "warn": "warned",
    "not-run": "not-run",
    "not-ran": "not-run",
    "error": "not-run",
}
_GATE_PASSED = frozenset({"passed", "pass", "ok", "success"})
_GATE_FAILED = frozenset({"failed", "fail", "failure"})


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: CheckStatus
    condition: str | None = None
    value: Any = None
    optional: bool = False  # a not-run optional check does not fail its suite


@dataclass(frozen=True)
class CheckSuite:
    checks: tuple[CheckResult, ...]
    passed: bool | None = None  # the writer's own verdict (it knows checks.fail_on_warning), when given


def _norm(text: str) -> str:
    return text.strip().lower().replace("_", "-").replace(" ", "-")


def parse_check_summary(raw: Any, source: str) -> CheckSuite:
    """`artifacts/checks/<suite>.json` from `mlci check`.

    Relies on: an object with a `checks` list (or the bare list), and an optional boolean `passed` (the
    suite's verdict: it alone knows whether `warned` fails, via checks.fail_on_warning). Each check is an
    object with `check` (or `name`, a string), `status` ("passed" | "warned" | "failed" | "not-run";
    `not_run`, `not run`, `error` read as not-run), and optional `optional` (bool), `condition`, `value`
    (copied into the record).
    """
    checks = raw.get("checks") if isinstance(raw, Mapping) else raw
    if not isinstance(checks, list):
        raise ArtifactError(f"{source}: expected a list of checks (or an object with a 'checks' list)")
    results = []
    for index, item in enumerate(checks):
        name = item.get("check", item.get("name")) if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping) or not isinstance(name, str):
            raise ArtifactError(f"{source}: checks[{index}] must be an object with a string 'check' (or 'name')")
        status = item.get("status")
        normalised = _CHECK_STATUSES.get(_norm(status)) if isinstance(status, str) else None
        if normalised is None:
            raise ArtifactError(
                f"{source}: checks[{index}] ({name}): unknown status {status!r}; expected passed, warned, failed or not-run"
            )
        condition = item.get("condition")
        results.append(
            CheckResult(
                name=name,
                status=normalised,
                condition=condition if isinstance(condition, str) else None,
                value=item.get("value"),
                optional=item.get("optional") is True,
            )
        )
    passed = raw.get("passed") if isinstance(raw, Mapping) else None
    return CheckSuite(tuple(results), passed if isinstance(passed, bool) else None)


@dataclass(frozen=True)
class GateResult:
    status: GateStatus
    raw: str  # the status as written, for the record
    failures: tuple[Any, ...] = ()  # `gate.failures` when the writer lists them
    comparison: str | None = None  # top-level `status` next to a `gate` (e.g. "compared", "no-baseline")
    reason: str | None = None  # why nothing was compared, when the baseline answers another question


def parse_compare_gate(raw: Any, source: str) -> GateResult:
    """`artifacts/comparison.json` from `mlci compare`.

    Relies on: an object with `gate`, either a status string or an object with a `status` string or a
    `passed` boolean (an optional `failures` list and a top-level `status` such as "no-baseline" are
    copied into the record); without `gate`, a top-level `status` or `passed`. "passed"/"pass"/"ok" pass,
    "failed"/"fail" fail; any other status (e.g. "no baseline" written as "skipped") is reported as is.
    With `comparable: false` (the baseline answers another question) the top-level `reason` string is
    copied too.
    """
    if not isinstance(raw, Mapping):
        raise ArtifactError(f"{source}: expected a JSON object with a 'gate'")
    gate = raw.get("gate", raw)
    context = raw.get("status") if "gate" in raw and isinstance(raw.get("status"), str) else None
    if isinstance(gate, str):
        gate = {"status": gate}
    if not isinstance(gate, Mapping):
        raise ArtifactError(f"{source}: 'gate' must be a status string or an object with 'status' or 'passed'")
    status, passed = gate.get("status"), gate.get("passed")
    failures = tuple(gate["failures"]) if isinstance(gate.get("failures"), list) else ()
    reason = raw.get("reason") if raw.get("comparable") is False and isinstance(raw.get("reason"), str) else None
    if isinstance(status, str):
        key = _norm(status)
        verdict: GateStatus = "passed" if key in _GATE_PASSED else "failed" if key in _GATE_FAILED else "other"
        return GateResult(verdict, status, failures, context, reason)
    if isinstance(passed, bool):
        return GateResult("passed" if passed else "failed", f"passed: {str(passed).lower()}", failures, context, reason)
    raise ArtifactError(f"{source}: no gate status found (expected gate.status or gate.passed)")


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str  # lower case: negligible, low, medium, high, critical or unknown
    package: str


@dataclass(frozen=True)
class ScanReport:
    tool: Literal["grype", "trivy"]
    findings: tuple[Finding, ...]


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def parse_scan_report(raw: Any, source: str) -> ScanReport:
    """An image vulnerability scan in Grype (`-o json`) or Trivy (`--format json`) form.

    Relies on, Grype: `matches[].vulnerability.{id,severity}` and `matches[].artifact.{name,version}`.
    Trivy: `Results[].Vulnerabilities[]` (may be null) with `VulnerabilityID`, `Severity`, `PkgName`,
    `InstalledVersion`. Severities are compared case-insensitively; anything else is "unknown".
    """
    if isinstance(raw, Mapping) and isinstance(raw.get("matches"), list):
        findings = []
        for item in raw["matches"]:
            vuln = item.get("vulnerability") if isinstance(item, Mapping) else None
            if not isinstance(vuln, Mapping) or not isinstance(vuln.get("id"), str):
                raise ArtifactError(f"{source}: a grype match has no vulnerability.id")
            artifact = item.get("artifact")
            artifact = artifact if isinstance(artifact, Mapping) else {}
            package = f"{_text(artifact.get('name'), '?')} {_text(artifact.get('version'))}".strip()
            findings.append(Finding(vuln["id"], _severity(vuln.get("severity")), package))
        return ScanReport("grype", tuple(findings))
    if isinstance(raw, Mapping) and isinstance(raw.get("Results"), list):
        findings = []
        for result in raw["Results"]:
            vulns = result.get("Vulnerabilities") if isinstance(result, Mapping) else None
            for vuln in vulns or []:
                if not isinstance(vuln, Mapping) or not isinstance(vuln.get("VulnerabilityID"), str):
                    raise ArtifactError(f"{source}: a trivy vulnerability has no VulnerabilityID")
                package = f"{_text(vuln.get('PkgName'), '?')} {_text(vuln.get('InstalledVersion'))}".strip()
                findings.append(Finding(vuln["VulnerabilityID"], _severity(vuln.get("Severity")), package))
        return ScanReport("trivy", tuple(findings))
    raise ArtifactError(f"{source}: not a grype (`matches`) or trivy (`Results`) JSON report")


def _severity(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    return text if text in SEVERITIES else "unknown"


def approvers(reviews: Sequence[Any]) -> tuple[str, ...]:
    """Users whose latest deciding review of a pull request approves it (GitHub REST `pulls/N/reviews`).

    Relies on: each review's `user.login` and `state`, in the API's chronological order. COMMENTED and
    PENDING reviews do not change a reviewer's standing; CHANGES_REQUESTED and DISMISSED withdraw it.
    """
    standing: dict[str, str] = {}
    for review in reviews:
        if not isinstance(review, Mapping):
            continue
        user = review.get("user")
        login = user.get("login") if isinstance(user, Mapping) else None
        state = review.get("state")
        if isinstance(login, str) and state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            standing[login] = state
    return tuple(sorted(login for login, state in standing.items() if state == "APPROVED"))
