"""Gather governance evidence from disk: the I/O edge in front of the pure rules in `mlci.governance.rules`.

Reads from the artifacts folder `run.json`, `metrics.json`, `model.sha256`, `model.skops` (hashed, never
loaded), `model_card.md`, `checks/<suite>.json` and `comparison.json` when present; the data file and
the data card through params.yaml; a scan report when one is named. A missing file is absent evidence
(its rule reports "not evaluated" or "failed"); a file that exists but cannot be read or does not match its
model in `mlci.core.artifacts` is bad input (ArtifactError naming the file and key, exit 2). Of
`comparison.json` only the gate is read, through `parse_compare_gate`, which also takes gates other
comparison tools write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from mlci.config import Params
from mlci.core import artifacts as files
from mlci.core import provenance
from mlci.core.artifacts import CheckSummary, load_json, parse_compare_gate
from mlci.core.errors import ArtifactError
from mlci.data.dataset import file_sha256
from mlci.governance import rules
from mlci.governance.evidence_formats import parse_scan_report
from mlci.governance.rules import Approvals, Evidence, Verdict

NOT_READ = Approvals(None, "not read from GitHub (pass --approvals-from-github in CI)")

Found = TypeVar("Found")


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None


def _if_present(path: Path, read: Callable[[], Found]) -> Found | None:
    """What `read` reads from `path`, or None when nothing is there: absent evidence, not bad input."""
    return read() if path.exists() else None


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
        if path.exists():
            checks[suite] = files.read_check_summary(path)
    compared = artifacts / files.COMPARISON
    comparison = _if_present(compared, lambda: parse_compare_gate(load_json(compared, ""), str(compared)))
    scan = None
    if scan_report is not None:
        if not scan_report.exists():
            raise ArtifactError(f"{scan_report}: scan report not found")
        scan = parse_scan_report(load_json(scan_report, ""), str(scan_report))
    card_path = params.resolve(policy.data_card.path)
    return Evidence(
        artifacts=str(artifacts),
        commit=commit,
        run=_if_present(artifacts / files.RUN, lambda: files.read_run(artifacts)),
        metrics=_if_present(artifacts / files.METRICS, lambda: files.read_metrics(artifacts)),
        model_sha256_file=(recorded.split() or [""])[0] if recorded is not None else None,
        model_sha256_actual=_hash(artifacts / files.MODEL),
        data_path=str(params.data.path),
        data_sha256_actual=_hash(params.data_path),
        checks=checks,
        comparison=comparison,
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
