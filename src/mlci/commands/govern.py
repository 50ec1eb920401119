"""`mlci govern`: evaluate the governance policy on a run and write artifacts/governance.json."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from mlci import artifacts as files
from mlci.artifacts import DIGEST
from mlci.config import load_params
from mlci.errors import EXIT_FAILED, EXIT_OK, MlciError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "govern",
        help="evaluate the governance policy on a run; write governance.json (exit 1 if a required rule fails)",
    )
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file (default: params.yaml)")
    parser.add_argument(
        "--artifacts", type=Path, default=Path("artifacts"), help="artifacts folder (default: artifacts)"
    )
    parser.add_argument(
        "--scan-report",
        type=Path,
        default=None,
        help="grype or trivy JSON report of the image (default: $MLCI_SCAN_REPORT; none: image_scan not evaluated)",
    )
    parser.add_argument(
        "--approvals-from-github",
        action="store_true",
        help="read PR approvals through the GitHub API (needs GITHUB_TOKEN and GITHUB_REPOSITORY)",
    )
    parser.add_argument(
        "--image-digest",
        type=_digest,
        default=None,
        help="sha256:<64 hex> of the image this decision is about (recorded for promotion to match)",
    )
    parser.add_argument("--pr", type=int, default=None, help="pull request number (default: from the CI environment)")
    parser.add_argument(
        "--ci",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="treat `required: ci` rules as required (default: when $CI or $GITHUB_ACTIONS is true)",
    )
    parser.set_defaults(func=_govern)


def _digest(value: str) -> str:
    if not DIGEST.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a digest like sha256:<64 lowercase hex>")
    return value


def running_in_ci(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS", "").lower() == "true" or env.get("CI", "").lower() in ("true", "1")


def _discard(record: Path) -> None:
    """A stale governance.json must not outlive a failed evaluation: promotion would trust it."""
    with contextlib.suppress(OSError):
        record.unlink(missing_ok=True)


def _govern(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from mlci import governance, provenance
    from mlci.evidence import gather
    from mlci.github_reviews import read_approvals

    out = args.artifacts / files.GOVERNANCE
    env = os.environ
    try:
        params = load_params(args.params)
        in_ci = running_in_ci(env) if args.ci is None else bool(args.ci)
        scan = args.scan_report or (Path(env["MLCI_SCAN_REPORT"]) if env.get("MLCI_SCAN_REPORT") else None)
        evidence = gather(
            params,
            args.artifacts,
            commit=provenance.git_commit(params.root),
            scan_report=scan,
            image_digest=args.image_digest,
        )
        if args.approvals_from_github:
            # After the local checks: a bad artifacts folder fails before any GitHub call.
            evidence = replace(evidence, approvals=read_approvals(env, args.pr))
        verdict = governance.evaluate(params, evidence, in_ci)
        files.write_model(out, governance.record(verdict, evidence))
    except MlciError:
        _discard(out)
        raise
    width = max(len(name) for name in governance.RULES)
    for rule in verdict.rules:
        need = "required" if rule.required else "optional"
        print(f"{rule.outcome.status:<13} {rule.name:<{width}}  {need}  {rule.outcome.reason}")
    failed = verdict.failed_required
    print(f"decision: {verdict.decision} ({'ci' if in_ci else 'local'}) -> {out}")
    sys.stdout.flush()
    for rule in failed:
        print(
            f"mlci: governance: required rule {rule.name} {rule.outcome.status}: {rule.outcome.reason}", file=sys.stderr
        )
    return EXIT_FAILED if failed else EXIT_OK
