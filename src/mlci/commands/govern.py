"""`mlci govern`: evaluate the governance policy on a run and write artifacts/governance.json."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from mlci.commands import Subparsers, common_flags
from mlci.config import load_params
from mlci.core import artifacts as files
from mlci.core.artifacts import DIGEST
from mlci.core.errors import EXIT_FAILED, EXIT_OK, MlciError


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "govern",
        parents=common_flags(),
        help="evaluate the governance policy on a run; write governance.json (exit 1 if a required rule fails)",
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


def _govern(args: argparse.Namespace) -> int:
    from mlci.governance import rules
    from mlci.governance.evidence import govern
    from mlci.governance.github_reviews import read_approvals

    env = os.environ
    in_ci = running_in_ci(env) if args.ci is None else bool(args.ci)
    scan = args.scan_report or (Path(env["MLCI_SCAN_REPORT"]) if env.get("MLCI_SCAN_REPORT") else None)
    approvals = (lambda: read_approvals(env, args.pr)) if args.approvals_from_github else None
    out = args.artifacts / files.GOVERNANCE
    try:
        verdict = govern(
            load_params(args.params),
            args.artifacts,
            in_ci=in_ci,
            scan_report=scan,
            image_digest=args.image_digest,
            approvals=approvals,
        )
    except MlciError:
        files.discard(args.artifacts, files.GOVERNANCE)  # promotion would trust a record this run did not write
        raise
    width = max(len(name) for name in rules.RULES)
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
