"""The governance policy as pure rules: evidence in, one outcome per rule and a decision out.

Nothing here reads a file or the network (`mlci.governance.evidence` gathers the evidence), so each rule is tested
on its own with plain values. A rule whose evidence is absent is "not evaluated", never "passed"; the
decision fails when any rule that is required in this context did not pass, not evaluated included.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mlci.config import Params
from mlci.config.governance import SEVERITIES, GovernanceParams, RuleParams
from mlci.core.artifacts import (
    FORMAT_VERSION,
    CheckSummary,
    GateResult,
    GovernanceRecord,
    MetricsFile,
    RuleRecord,
    RuleStatus,
    RunFile,
    RunReference,
)
from mlci.governance.evidence_formats import ScanReport
from mlci.metrics import lower_is_better

PASSED: RuleStatus = "passed"
FAILED: RuleStatus = "failed"
NOT_EVALUATED: RuleStatus = "not evaluated"

RULES: tuple[str, ...] = tuple(GovernanceParams.model_fields)  # one rule per governance section, in order
MAX_LISTED = 50  # findings or checks listed by name in the record; the counts stay complete


@dataclass(frozen=True)
class RuleOutcome:
    status: RuleStatus
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Approvals:
    """Approvers read from GitHub, or (approvers None) why they were not read."""

    approvers: tuple[str, ...] | None
    reason: str = ""
    pull_request: int | None = None
    repository: str = ""


@dataclass(frozen=True)
class Evidence:
    """Everything the rules look at; None means the file or fact is absent."""

    artifacts: str
    commit: str
    run: RunFile | None
    metrics: MetricsFile | None
    model_sha256_file: str | None  # first token of model.sha256
    model_sha256_actual: str | None  # sha256 of model.skops; None when the file is missing
    data_path: str
    data_sha256_actual: str | None  # None when the data file is missing
    checks: Mapping[str, CheckSummary]  # suites found under checks/, by name
    comparison: GateResult | None
    data_card_path: str
    data_card: str | None
    model_card: str | None
    approvals: Approvals
    scan: ScanReport | None
    scan_source: str | None = None
    image_digest: str | None = None  # the image this decision is about, when governance runs after the build


def _text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _short(sha: str | None) -> str:
    return "nothing" if not sha else f"{sha[:12]}..."


# --- rules -------------------------------------------------------------------------------------------------


def check_suites(suites: Sequence[str], found: Mapping[str, CheckSummary], allow_not_run: bool = False) -> RuleOutcome:
    """Every named suite's summary exists and none of its checks failed (or, unless allowed, could not run).

    A `warned` check fails only when the suite's own verdict (`passed: false`) says so: the checks stage
    alone knows `checks.fail_on_warning`. A not-run check marked optional never fails.
    """
    evidence: dict[str, Any] = {}
    failing: list[str] = []
    missing: list[str] = []
    empty: list[str] = []
    for suite in suites:
        if suite not in found:
            missing.append(suite)
            evidence[suite] = "missing"
            continue
        summary = found[suite]
        checks = summary.checks
        bad = [c for c in checks if c.status == "failed"]
        if not allow_not_run:
            bad += [c for c in checks if c.status == "not-run" and not c.optional]
        if not bad and summary.passed is False:
            bad = [c for c in checks if c.status == "warned"]
        failing += [f"{suite}/{c.check}" for c in bad]
        if not checks:
            empty.append(suite)
        evidence[suite] = {
            "checks": len(checks),
            "passed": sum(c.status == "passed" for c in checks),
            "suite_passed": summary.passed,
            "failing": [
                {"name": c.check, "status": c.status, "condition": c.condition, "value": c.value}
                for c in bad[:MAX_LISTED]
            ],
            "warned": [c.check for c in checks if c.status == "warned"][:MAX_LISTED],
            "not_run": [c.check for c in checks if c.status == "not-run"][:MAX_LISTED],
        }
    if failing:
        more = " ..." if len(failing) > 5 else ""
        return RuleOutcome(FAILED, f"failing checks: {', '.join(failing[:5])}{more}", evidence)
    if missing:
        files = ", ".join(f"checks/{s}.json" for s in missing)
        return RuleOutcome(NOT_EVALUATED, f"no summary for {files} (run `mlci check`)", evidence)
    if empty:
        return RuleOutcome(NOT_EVALUATED, f"no checks recorded in {', '.join(empty)}", evidence)
    total = sum(len(found[s].checks) for s in suites)
    return RuleOutcome(PASSED, f"{total} checks in {len(suites)} suite(s) passed", evidence)


def compare_gate(comparison: GateResult | None) -> RuleOutcome:
    """The PR comparison against the baseline model passed its gate.

    When the baseline answered another question nothing was compared; the gate (and this rule) then
    follows `gates.incomparable`, and the record keeps the reason.
    """
    if comparison is None:
        return RuleOutcome(NOT_EVALUATED, "comparison.json missing (run `mlci compare --baseline DIR`)")
    evidence: dict[str, Any] = {
        "gate": comparison.raw,
        "failures": list(comparison.failures),
        "comparison": comparison.comparison,
    }
    if comparison.reason is not None:
        evidence["not_compared_because"] = comparison.reason
    if comparison.status == "passed":
        if comparison.reason is not None:
            return RuleOutcome(
                PASSED, f"compare gate {comparison.raw} with nothing compared: {comparison.reason}", evidence
            )
        note = f" ({comparison.comparison})" if comparison.comparison else ""
        return RuleOutcome(PASSED, f"compare gate {comparison.raw}{note}", evidence)
    if comparison.status == "failed":
        why = f": nothing compared: {comparison.reason}" if comparison.reason is not None else ""
        return RuleOutcome(FAILED, f"compare gate {comparison.raw}{why}", evidence)
    return RuleOutcome(NOT_EVALUATED, f"compare gate status {comparison.raw!r} is neither passed nor failed", evidence)


def resolve_floor(params: Params) -> tuple[float | None, str]:
    """The primary metric's floor and where it came from: the governance rule first, then gates.min."""
    primary = params.metrics.primary
    if params.governance.primary_metric.floor is not None:
        return params.governance.primary_metric.floor, "governance.primary_metric.floor"
    if primary in params.gates.min:
        return params.gates.min[primary], f"gates.min.{primary}"
    return None, ""


def metric_floor(metrics: MetricsFile | None, primary: str, floor: float | None, floor_source: str = "") -> RuleOutcome:
    """The primary metric on the holdout reaches its floor (stays under its ceiling if lower is better)."""
    lower = lower_is_better(primary)
    evidence: dict[str, Any] = {"metric": primary, "floor": floor, "floor_from": floor_source or None}
    evidence["direction"] = "at most" if lower else "at least"
    if floor is None:
        return RuleOutcome(
            NOT_EVALUATED,
            f"no floor for {primary}: set gates.min.{primary} or governance.primary_metric.floor",
            evidence,
        )
    if metrics is None:
        return RuleOutcome(NOT_EVALUATED, "metrics.json missing", evidence)
    if primary not in metrics.metrics:
        return RuleOutcome(NOT_EVALUATED, f"metrics.json has no {primary}", evidence)
    value = metrics.metrics[primary]
    evidence["value"] = value
    if value is None:
        return RuleOutcome(FAILED, f"{primary} is null (undefined on this holdout)", evidence)
    ok = value <= floor if lower else value >= floor
    relation = ("<=" if ok else ">") if lower else (">=" if ok else "<")
    return RuleOutcome(PASSED if ok else FAILED, f"{primary} {value:.4f} {relation} {floor} ({floor_source})", evidence)


_LICENCE = re.compile(r"\blicen[cs]e[sd]?\b", re.IGNORECASE)
_PLACEHOLDERS = frozenset({"", "todo", "tbd", "tba", "unknown", "none", "n/a", "na", "?", "-", "...", "xxx"})
_FRAME = " \t|:*_=#>`"


def _is_placeholder(value: str) -> bool:
    text = value.strip().strip(".").strip().lower()
    return text in _PLACEHOLDERS or text.startswith(("todo", "tbd", "<"))


def find_licence(text: str) -> str | None:
    """The licence a data card states: the text after a 'Licence'/'License' label (table row, `Licence:`
    line, or the line under a `## Licence` heading), ignoring placeholders like TODO or <licence>."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _LICENCE.search(line)
        if match is None:
            continue
        value = line[match.end() :].strip(_FRAME)
        if not value and line.lstrip().startswith("#"):
            following = [ln.strip() for ln in lines[index + 1 :] if ln.strip()]
            value = following[0].strip(_FRAME) if following and not following[0].startswith("#") else ""
        if not _is_placeholder(value):
            return value
    return None


def data_card(path: str, text: str | None) -> RuleOutcome:
    """The data card exists and states a licence (data without one cannot be shipped in a model)."""
    evidence: dict[str, Any] = {"path": path}
    if text is None:
        return RuleOutcome(FAILED, f"data card {path} not found", evidence)
    licence = find_licence(text)
    evidence.update(licence=licence, sha256=_text_sha256(text))
    if licence is None:
        return RuleOutcome(FAILED, f"data card {path} states no licence (add a 'Licence: ...' line)", evidence)
    return RuleOutcome(PASSED, f"data card {path}: licence {licence}", evidence)


def model_card(text: str | None, model_sha256: str | None) -> RuleOutcome:
    """model_card.md exists, is not empty, and names this model's sha256 (not a card left from another run)."""
    if text is None:
        return RuleOutcome(FAILED, "model_card.md not found in the artifacts")
    evidence: dict[str, Any] = {"sha256": _text_sha256(text), "names_model_sha256": None}
    if not text.strip():
        return RuleOutcome(FAILED, "model_card.md is empty", evidence)
    if model_sha256 is None:
        return RuleOutcome(PASSED, "model_card.md present (no model hash known to match it against)", evidence)
    evidence["names_model_sha256"] = model_sha256 in text
    if model_sha256 not in text:
        return RuleOutcome(
            FAILED, f"model_card.md does not name the model sha256 {_short(model_sha256)} (stale card?)", evidence
        )
    return RuleOutcome(PASSED, "model_card.md present and names the model sha256", evidence)


def data_hash(recorded: str | None, actual: str | None, path: str) -> RuleOutcome:
    """The data file today hashes to what run.json recorded at training."""
    evidence = {"path": path, "recorded": recorded, "actual": actual}
    if recorded is None:
        return RuleOutcome(NOT_EVALUATED, "run.json missing", evidence)
    if actual is None:
        return RuleOutcome(FAILED, f"data file {path} not found", evidence)
    if recorded != actual:
        return RuleOutcome(FAILED, f"{path} hashes to {_short(actual)}, run.json records {_short(recorded)}", evidence)
    return RuleOutcome(PASSED, f"{path} sha256 {_short(actual)} matches run.json", evidence)


def model_hash(file_recorded: str | None, run_recorded: str | None, actual: str | None) -> RuleOutcome:
    """model.skops hashes to the sha256 in model.sha256 and in run.json (whichever exist; at least one)."""
    recorded = {k: v for k, v in (("model.sha256", file_recorded), ("run.json", run_recorded)) if v is not None}
    evidence = {"actual": actual, "model.sha256": file_recorded, "run.json": run_recorded}
    if not recorded:
        return RuleOutcome(NOT_EVALUATED, "no recorded model sha256 (model.sha256 and run.json missing)", evidence)
    if actual is None:
        return RuleOutcome(FAILED, "model.skops not found", evidence)
    wrong = [f"{source} records {_short(sha)}" for source, sha in recorded.items() if sha != actual]
    if wrong:
        return RuleOutcome(FAILED, f"model.skops hashes to {_short(actual)} but {'; '.join(wrong)}", evidence)
    return RuleOutcome(PASSED, f"model.skops sha256 {_short(actual)} matches {' and '.join(recorded)}", evidence)


def approvals(found: Approvals, minimum: int) -> RuleOutcome:
    """Enough reviewers approved the pull request. Never passed without reading GitHub."""
    evidence: dict[str, Any] = {"required": minimum, "pull_request": found.pull_request}
    if found.repository:
        evidence["repository"] = found.repository
    if found.approvers is None:
        return RuleOutcome(NOT_EVALUATED, found.reason or "approvals not read from GitHub", evidence)
    evidence["approvers"] = list(found.approvers)
    where = f"pull request #{found.pull_request}" if found.pull_request is not None else "no pull request"
    count = len(found.approvers)
    if count < minimum:
        return RuleOutcome(FAILED, f"{where}: {count} approval(s), {minimum} required", evidence)
    return RuleOutcome(
        PASSED, f"{where}: {count} approval(s) ({', '.join(found.approvers) or 'none needed'})", evidence
    )


def image_scan(
    scan: ScanReport | None, fail_on: str, ignore: Sequence[str] = (), source: str | None = None
) -> RuleOutcome:
    """The image scan has no finding at or above `fail_on`, apart from accepted (ignored) ids."""
    if scan is None:
        return RuleOutcome(NOT_EVALUATED, "no scan report (pass --scan-report PATH or set MLCI_SCAN_REPORT)")
    at_or_above = set(SEVERITIES[SEVERITIES.index(fail_on) :])
    accepted = set(ignore)
    blocking = [f for f in scan.findings if f.severity in at_or_above and f.id not in accepted]
    evidence: dict[str, Any] = {
        "report": source,
        "tool": scan.tool,
        "fail_on": fail_on,
        "findings_by_severity": dict(sorted(Counter(f.severity for f in scan.findings).items())),
        "ignored": sorted(accepted & {f.id for f in scan.findings}),
        "blocking": [{"id": f.id, "severity": f.severity, "package": f.package} for f in blocking[:MAX_LISTED]],
        "blocking_count": len(blocking),
    }
    if blocking:
        ids = ", ".join(sorted({f.id for f in blocking})[:5])
        return RuleOutcome(FAILED, f"{len(blocking)} finding(s) at or above {fail_on}: {ids}", evidence)
    return RuleOutcome(PASSED, f"{len(scan.findings)} finding(s), none at or above {fail_on}", evidence)


# --- decision ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleResult:
    name: str
    enabled: bool
    required_setting: bool | str
    required: bool
    outcome: RuleOutcome

    @property
    def blocks(self) -> bool:
        return self.required and self.outcome.status != PASSED


@dataclass(frozen=True)
class Verdict:
    rules: tuple[RuleResult, ...]
    in_ci: bool

    @property
    def failed_required(self) -> tuple[RuleResult, ...]:
        return tuple(rule for rule in self.rules if rule.blocks)

    @property
    def decision(self) -> Literal["passed", "failed"]:
        return "failed" if self.failed_required else "passed"


def is_required(setting: bool | str, in_ci: bool) -> bool:
    """`required: true` always, `required: ci` only in CI, `required: false` never."""
    return setting is True or (setting == "ci" and in_ci)


def _outcomes(params: Params, ev: Evidence) -> dict[str, Callable[[], RuleOutcome]]:
    """Each rule wired to its slice of the evidence and policy (called only for enabled rules)."""
    policy = params.governance
    recorded_model_sha = ev.run.model.sha256 if ev.run is not None else None
    recorded_data_sha = ev.run.data.sha256 if ev.run is not None else None
    model_sha = recorded_model_sha or ev.model_sha256_file or ev.model_sha256_actual
    floor, floor_source = resolve_floor(params)
    data, model = policy.data_checks, policy.model_checks
    scan = policy.image_scan
    return {
        "data_checks": lambda: check_suites(data.suites, ev.checks, data.allow_not_run),
        "model_checks": lambda: check_suites(model.suites, ev.checks, model.allow_not_run),
        "compare_gate": lambda: compare_gate(ev.comparison),
        "primary_metric": lambda: metric_floor(ev.metrics, params.metrics.primary, floor, floor_source),
        "data_card": lambda: data_card(ev.data_card_path, ev.data_card),
        "model_card": lambda: model_card(ev.model_card, model_sha),
        "data_hash": lambda: data_hash(recorded_data_sha, ev.data_sha256_actual, ev.data_path),
        "model_hash": lambda: model_hash(ev.model_sha256_file, recorded_model_sha, ev.model_sha256_actual),
        "approvals": lambda: approvals(ev.approvals, policy.approvals.min),
        "image_scan": lambda: image_scan(ev.scan, scan.fail_on, scan.ignore, ev.scan_source),
    }


def evaluate(params: Params, evidence: Evidence, in_ci: bool) -> Verdict:
    """Apply every rule of `params.governance` to the evidence; disabled rules are listed, not evaluated."""
    results = []
    outcomes = _outcomes(params, evidence)
    for name in RULES:
        rule: RuleParams = getattr(params.governance, name)
        if not rule.enabled:
            outcome = RuleOutcome(NOT_EVALUATED, f"disabled (governance.{name}.enabled: false)")
            results.append(RuleResult(name, False, rule.required, False, outcome))
            continue
        required = is_required(rule.required, in_ci)
        results.append(RuleResult(name, True, rule.required, required, outcomes[name]()))
    return Verdict(tuple(results), in_ci)


def record(verdict: Verdict, evidence: Evidence) -> GovernanceRecord:
    """The governance.json record: what was decided, on which model and data, and why."""
    return GovernanceRecord(
        format_version=FORMAT_VERSION,
        commit=evidence.commit,
        context="ci" if verdict.in_ci else "local",
        decision=verdict.decision,
        failed_required=[rule.name for rule in verdict.failed_required],
        artifacts=evidence.artifacts,
        model_sha256=evidence.model_sha256_actual,
        image_digest=evidence.image_digest,
        data_sha256=evidence.data_sha256_actual,
        run=RunReference(
            commit=evidence.run.commit if evidence.run is not None else None,
            params_hash=evidence.run.params_hash if evidence.run is not None else None,
        ),
        rules=[
            RuleRecord(
                name=rule.name,
                enabled=rule.enabled,
                required=rule.required,
                required_setting=rule.required_setting,
                status=rule.outcome.status,
                reason=rule.outcome.reason,
                evidence=dict(rule.outcome.evidence),
            )
            for rule in verdict.rules
        ],
    )
