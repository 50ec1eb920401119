"""How runs of the entry workflows behave on GitHub: which runs can cancel which (concurrency), which commit is
compared with which (the baseline), and what a release accepts (the signer pinned to main)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from scriptkit import COMMIT, DIGEST, Runner, calls, outputs
from workflow_policy import WORKFLOWS, load, local_target

DOCS = {path.name: load(path) for path in sorted(WORKFLOWS.glob("*.yml"))}
_EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def group(spec: Any, context: Mapping[str, str]) -> str | None:
    """A concurrency group as GitHub evaluates it for `context` (the few expressions the workflows use)."""
    if spec is None:
        return None
    raw = spec["group"] if isinstance(spec, dict) else spec
    return _EXPR.sub(lambda m: context[m.group(1)], str(raw))


def main_run_groups(sha: str) -> set[str]:
    """Every concurrency group one run of main.yml enters: the workflow's, its jobs' and its callees' jobs'."""
    context = {"github.sha": sha, "github.ref": "refs/heads/main", "github.workflow": "main"}
    doc = DOCS["main.yml"]
    found = {group(doc.get("concurrency"), context)}
    for job in doc["jobs"].values():
        found.add(group(job.get("concurrency"), context))
        target = local_target(str(job.get("uses", "")))
        if target is not None:
            callee = load(target)
            found |= {group(callee.get("concurrency"), context)}
            found |= {group(j.get("concurrency"), context) for j in callee["jobs"].values()}
    return {g for g in found if g is not None}


def test_no_commit_of_main_queues_behind_another_commit() -> None:
    """GitHub keeps one pending run per group and cancels the older: a group shared by two commits would leave the
    older one without image, baseline or records."""
    assert not main_run_groups("a" * 40) & main_run_groups("b" * 40)


def test_staging_moves_only_for_the_newest_commit_of_main() -> None:
    assert DOCS["main.yml"]["jobs"]["staging"]["with"]["only-if-head-of"] == "main"
    steps = DOCS["promote.yml"]["jobs"]["promote"]["steps"]
    check = next(i for i, s in enumerate(steps) if str(s.get("run", "")).startswith("scripts/head-check.sh"))
    assert all("actions/checkout@" in str(s.get("uses", "")) for s in steps[:check])
    for step in steps[check + 1 :]:
        assert str(step.get("if", "")).startswith("${{ steps.head.outputs.current != 'false'"), step["name"]


def test_head_check_says_whether_the_commit_is_still_the_newest(run_script: Runner, fakes: Path) -> None:
    env = {"BRANCH": "main", "COMMIT": COMMIT, "GITHUB_REPOSITORY": "acme/model"}
    current = run_script("head-check.sh", FAKE_API=COMMIT, GITHUB_OUTPUT=str(fakes / "current"), **env)
    assert current.returncode == 0, current.stderr
    assert outputs(fakes / "current") == {"current": "true"}
    assert calls(fakes)[0] == "gh api repos/acme/model/git/ref/heads/main --jq .object.sha"
    moved_on = run_script("head-check.sh", FAKE_API="d" * 40, GITHUB_OUTPUT=str(fakes / "old"), **env)
    assert moved_on.returncode == 0 and "::notice" in moved_on.stdout
    assert outputs(fakes / "old") == {"current": "false"}


def test_head_check_fails_when_it_cannot_tell(run_script: Runner, fakes: Path) -> None:
    env = {"BRANCH": "main", "GITHUB_REPOSITORY": "acme/model", "GITHUB_OUTPUT": str(fakes / "out")}
    assert run_script("head-check.sh", COMMIT=COMMIT, FAKE_API_EXIT="1", **env).returncode == 2
    assert run_script("head-check.sh", COMMIT="main", FAKE_API=COMMIT, **env).returncode == 2
    assert not (fakes / "out").exists()


def test_each_report_compares_with_mains_model_at_the_base_commit() -> None:
    """A PR with its base commit, a push to main with the commit before it: never the newest main, never itself."""
    expected = {
        "pull-request.yml": "${{ github.event.pull_request.base.sha }}",
        "main.yml": "${{ github.event.before }}",
    }
    for name, commit in expected.items():
        assert DOCS[name]["jobs"]["report"]["with"]["baseline-commit"] == commit, name
    steps = DOCS["report.yml"]["jobs"]["report"]["steps"]
    fetch = next(s for s in steps if s.get("run") == "scripts/fetch-baseline.sh")
    assert fetch["env"]["BASELINE_COMMIT"] == "${{ inputs.baseline-commit }}"
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0, "the base commit must be in the checkout to retrain it"
    compare = [s for s in steps if str(s.get("run", "")).startswith("mlci compare")]
    assert compare and all('--baseline-source "$BASELINE_SOURCE"' in s["run"] for s in compare), "the report names it"


def test_attestations_never_leave_a_storage_record_warning() -> None:
    """actions/attest v4 makes a storage record after pushing to the registry unless told not to; without
    artifact-metadata: write (and an organization owner) it warns on every run."""
    for name, doc in DOCS.items():
        for job_id, job in doc["jobs"].items():
            for step in job.get("steps", []):
                if not str(step.get("uses", "")).startswith("actions/attest-build-provenance@"):
                    continue
                with_ = step.get("with") or {}
                if str(with_.get("push-to-registry")).lower() == "true":
                    granted = (job.get("permissions") or {}).get("artifact-metadata") == "write"
                    assert with_.get("create-storage-record") is False or granted, f"{name}:{job_id}"


@pytest.mark.parametrize(
    ("signing", "visibility", "mode", "cosign", "attest"),
    [
        ("auto", "public", "public", "true", "true"),
        ("auto", "private", "none", "false", "false"),
        ("auto", "internal", "none", "false", "false"),
        ("github", "private", "github", "false", "true"),
        ("public", "private", "public", "true", "true"),
        ("none", "public", "none", "false", "false"),
    ],
)
def test_signing_follows_visibility_unless_told(
    run_script: Runner, fakes: Path, signing: str, visibility: str, mode: str, cosign: str, attest: str
) -> None:
    """A private repository's names reach the public Sigstore logs only when asked (signing: public)."""
    result = run_script("signing-mode.sh", SIGNING=signing, VISIBILITY=visibility, GITHUB_OUTPUT=str(fakes / "out"))
    assert result.returncode == 0, result.stderr
    assert outputs(fakes / "out") == {"mode": mode, "cosign": cosign, "attest": attest}


@pytest.mark.parametrize(("signing", "visibility"), [("auto", ""), ("keyed", "public")])
def test_signing_mode_refuses_what_it_cannot_decide(run_script: Runner, signing: str, visibility: str) -> None:
    assert run_script("signing-mode.sh", SIGNING=signing, VISIBILITY=visibility).returncode == 2


def _steps(name: str, job: str) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in DOCS[name]["jobs"][job]["steps"]}


def test_the_image_is_signed_and_attested_only_as_the_mode_says() -> None:
    for name, step in _steps("image.yml", "image").items():
        uses, run = str(step.get("uses", "")), str(step.get("run", ""))
        if uses.startswith("actions/attest-build-provenance@"):
            assert step["if"] == "${{ steps.signing.outputs.attest == 'true' }}", name
        if uses.startswith("sigstore/cosign-installer@") or run.startswith("scripts/sign-image.sh"):
            assert step["if"] == "${{ steps.signing.outputs.cosign == 'true' }}", name
    for name in ("main.yml", "release.yml"):
        for job in DOCS[name]["jobs"].values():
            if str(job.get("uses", "")).endswith(("/image.yml", "/promote.yml")):
                assert job["with"]["signing"] == "${{ vars.MLCI_SIGNING || 'auto' }}", name


@pytest.mark.parametrize(
    ("cosign", "attest", "tools"),
    [("true", "true", ["cosign", "gh"]), ("false", "true", ["gh"]), ("false", "false", [])],
)
def test_promotion_verifies_what_the_image_carries(
    run_script: Runner, fakes: Path, cosign: str, attest: str, tools: list[str]
) -> None:
    env = {"IMAGE": "ghcr.io/acme/model", "DIGEST": DIGEST, "GITHUB_REPOSITORY": "acme/model"}
    result = run_script("verify-image.sh", COSIGN=cosign, ATTEST=attest, **env)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in calls(fakes)] == tools
    assert ("::notice title=not verified" in result.stdout) == (not tools)
