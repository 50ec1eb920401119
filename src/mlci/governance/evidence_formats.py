"""Readers for the evidence governance takes from other tools: image scan reports and GitHub reviews. Pure.

Each reader states the fields it relies on and ignores everything else, so the tools can add fields freely.
A shape it cannot read is an ArtifactError naming the file (exit 2), never a silent pass. The files `mlci`
itself writes are read through their models in `mlci.core.artifacts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mlci.config.governance import SEVERITIES
from mlci.core.errors import ArtifactError


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
