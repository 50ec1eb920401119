"""Gather governance evidence from disk: the I/O edge in front of the pure rules in `mlci.governance.rules`.

Reads from the artifacts folder `run.json`, `metrics.json`, `model.sha256`, `model.skops` (hashed, never
loaded), `model_card.md`, `checks/<suite>.json` and `comparison.json` when present; the data file and
the data card through params.yaml; a scan report when one is named. A missing file is absent evidence
(its rule reports "not evaluated" or "failed"); a file that exists but cannot be read or parsed is bad
input (ArtifactError, exit 2) naming it. Check summaries are read through their model; `run.json`,
`metrics.json` and `comparison.json` are read for the few keys the rules use, so a key that is absent is
that rule's "not evaluated", not a refusal of the whole record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlci.config import Params
from mlci.core import artifacts as files
from mlci.core import provenance
from mlci.core.artifacts import CheckSummary, parse, parse_compare_gate
from mlci.core.errors import ArtifactError
from mlci.data.dataset import file_sha256
from mlci.governance import rules
from mlci.governance.evidence_formats import parse_scan_report
from mlci.governance.rules import Approvals, Evidence, Verdict

NOT_READ = Approvals(None, "not read from GitHub (pass --approvals-from-github in CI)")


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None


def read_json(path: Path) -> Any:
    """Parsed JSON, or None when the file does not exist; malformed JSON names the file and line."""
    text = read_text(path)
    if text is None:
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:
        raise ArtifactError(f"{path}: {exc}") from None


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON; accepting them would put a non-finite number into the record."""
    raise ValueError(f"non-standard JSON constant {name} (not a finite number)")


def _object(path: Path) -> dict[str, Any] | None:
    value = read_json(path)
    if value is not None and not isinstance(value, dict):
        raise ArtifactError(f"{path}: expected a JSON object")
    return value


def _hash(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot read: {exc.strerror or exc}") from None


def gather(
    params: Params,
    artifacts: Path,
    *,
    commit: str,
    scan_report: Path | None = None,
    image_digest: str | None = None,
) -> Evidence:
    if not artifacts.is_dir():
        raise ArtifactError(f"{artifacts}: artifacts folder not found (run `mlci run` first or pass --artifacts DIR)")
    recorded = read_text(artifacts / files.MODEL_SHA256)
    checks: dict[str, CheckSummary] = {}
    policy = params.governance
    for suite in dict.fromkeys([*policy.data_checks.suites, *policy.model_checks.suites]):
        path = files.check_summary_path(artifacts, suite)
        raw = read_json(path)
        if raw is not None:
            checks[suite] = parse(CheckSummary, raw, path)
    comparison_path = artifacts / files.COMPARISON
    comparison = read_json(comparison_path)
    scan = None
    if scan_report is not None:
        raw_scan = read_json(scan_report)
        if raw_scan is None:
            raise ArtifactError(f"{scan_report}: scan report not found")
        scan = parse_scan_report(raw_scan, str(scan_report))
    card_path = params.resolve(policy.data_card.path)
    return Evidence(
        artifacts=str(artifacts),
        commit=commit,
        run=_object(artifacts / files.RUN),
        metrics=_object(artifacts / files.METRICS),
        model_sha256_file=(recorded.split() or [""])[0] if recorded is not None else None,
        model_sha256_actual=_hash(artifacts / files.MODEL),
        data_path=str(params.data.path),
        data_sha256_actual=_hash(params.data_path),
        checks=checks,
        comparison=None if comparison is None else parse_compare_gate(comparison, str(comparison_path)),
        data_card_path=str(policy.data_card.path),
        data_card=read_text(card_path),
        model_card=read_text(artifacts / files.MODEL_CARD),
        approvals=NOT_READ,
        scan=scan,
        scan_source=None if scan_report is None else str(scan_report),
        image_digest=image_digest,
    )


def govern(
    params: Params,
    artifacts: Path,
    *,
    in_ci: bool,
    scan_report: Path | None = None,
    image_digest: str | None = None,
    approvals: Callable[[], Approvals] | None = None,
) -> Verdict:
    """The governance stage: gather the evidence, apply the policy, write governance.json; the verdict.

    `approvals` (reading GitHub) is called only after the local evidence was read, so a bad artifacts folder
    fails before any network call.
    """
    evidence = gather(
        params, artifacts, commit=provenance.git_commit(params.root), scan_report=scan_report, image_digest=image_digest
    )
    if approvals is not None:
        evidence = replace(evidence, approvals=approvals())
    verdict = rules.evaluate(params, evidence, in_ci)
    files.write_model(artifacts / files.GOVERNANCE, rules.record(verdict, evidence))
    return verdict
