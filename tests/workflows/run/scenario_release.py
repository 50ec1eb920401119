"""`release`: workflow_dispatch of release.yml for main's head, a rollback, and a commit not on main."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import registry
import scenario_push_main
from core import (
    REPO,
    TOKEN,
    Broken,
    Checks,
    ScenarioError,
    Trigger,
    act,
    defect_of,
    edit_workflow,
    git,
    make_copy,
    repository_payload,
    say,
)
from fakegithub import Run, Server, State

RELEASE, ROLLBACK, STRAY = 3001, 3002, 3003


def seed_main_build(work: Path, state: State, pushed_tag: str, commit: str, other_format: bool) -> str:
    """What a successful main run for `commit` leaves behind, from the image push-main pushed: the image tagged by
    the commit, signed and attested, with its records attached (image.json naming this commit), and the run. The
    image's digest."""
    image = registry.IMAGE
    digest = registry.copy_image(f"{image}:{pushed_tag}", f"{image}:{commit[:12]}", other_format)
    records = work / f"records-{commit[:12]}"
    names, error = registry.pull_records(pushed_tag, records)
    if error or names != registry.RECORDS:
        raise ScenarioError(f"the records of {image}:{pushed_tag}: {names} {error}")
    image_json = {"image": image, "digest": digest, "commit": commit}
    (records / "image.json").write_text(json.dumps(image_json) + "\n", encoding="utf-8")
    files = [str(records / name) for name in ("image.json", "sbom.spdx.json", "governance.json", "model_card.md")]
    done = registry.mlci("records", "push", "--repository", image, "--digest", digest, *files)
    if done.returncode != 0:
        raise ScenarioError(f"attaching records to {image}@{digest}: {done.stderr.strip()}")
    state.labels.add(f"signed:{image}@{digest}")
    state.records.append(["attest", f"{image}@{digest}", f"{REPO}/.github/workflows/main.yml@refs/heads/main",
                          "refs/heads/main", "push"])  # fmt: skip
    state.runs.append(Run(state.new_id(), "main.yml", "main", commit, "push"))
    return digest


def dispatch_payload(commit: str, rollback: bool) -> dict[str, object]:
    # GitHub sends workflow_dispatch inputs as strings, booleans too (act reads a boolean input only as "true").
    inputs = {"commit": commit, "rollback": "true" if rollback else "false"}
    return {"ref": "refs/heads/main", "inputs": inputs, "repository": repository_payload(), "workflow": "release.yml"}


def pushed_image(work: Path, check: Checks) -> str | None:
    """The tag of an image push-main pushed: this process's, else an earlier run's `staging` (with its records),
    else push-main runs first. None (a failure) when push-main fails."""
    if not scenario_push_main.PUSHED and registry.digest(registry.IMAGE, "staging") and registry.has_records("staging"):
        say(f"release: reusing {registry.IMAGE}:staging, which an earlier push-main pushed")
        scenario_push_main.PUSHED.append("staging")
    if not scenario_push_main.PUSHED:
        say("release: no image pushed by push-main yet; running push-main first")
        first = scenario_push_main.run(work / "push-main", None)
        if first.failures:
            check.that(False, f"push-main, which release builds on, failed: {first.failures[0]}")
            return None
    return scenario_push_main.PUSHED[-1]


def run(work: Path, broken: Broken | None) -> Checks:
    """For the commit main built, `production` points at that image's digest (moved, never rebuilt) and a release
    carries its records; a rollback to an older commit moves production back to the older digest in a release not
    marked latest; a commit not on main is refused and moves nothing. The image push-main pushed is reused (copied
    to each commit's tag, its records attached as that commit's)."""
    check = Checks()
    pushed = pushed_image(work, check)
    if pushed is None:
        return check
    copy = make_copy(work, defect_of(broken), merged=True)
    git(copy.path, "checkout", "-q", "-b", "stray", copy.base)
    (copy.path / "STRAY.md").write_text("never merged\n", encoding="utf-8")
    git(copy.path, "add", "STRAY.md")
    git(copy.path, "commit", "-q", "-m", "never merged")
    stray = git(copy.path, "rev-parse", "HEAD")
    git(copy.path, "checkout", "-q", "main")
    state = State(REPO, TOKEN, work / "state")
    state.heads["main"] = copy.head
    new = seed_main_build(work, state, pushed, copy.head, other_format=False)
    old = seed_main_build(work, state, pushed, copy.base, other_format=True)
    check.that(new != old, "the older commit's image has the same digest: the rollback would prove nothing")
    image = registry.IMAGE

    def release_of(commit: str) -> dict[str, Any]:
        return next((r for r in state.releases if r["tagName"] == f"model-{commit[:12]}"), {})

    variables = {"MLCI_REGISTRY": registry.REGISTRY}
    attempts = [(copy.head, False, RELEASE), (copy.base, True, ROLLBACK), (stray, False, STRAY)]
    with Server(state) as api:
        for commit, rollback, run_id in attempts:
            trigger = Trigger("release.yml", "workflow_dispatch", dispatch_payload(commit, rollback), run_id,
                              variables=variables)  # fmt: skip
            done = act(copy, state, api, trigger, work / f"release-{run_id}.log")
            if run_id != STRAY:  # the refused one must fail
                check.jobs |= {f"{job} (run {run_id})": result for job, result in done.jobs.items()}
            if run_id == RELEASE:
                check.that(done.green, f"release of main's head: {done.jobs}")
                check.that(registry.digest(image, "production") == new, "production is not the head's digest")
                check.that(registry.digest(image, copy.head[:12]) == new, "the head's image tag moved: rebuilt?")
                release = release_of(copy.head)
                assets = release.get("assets", {})
                check.that(
                    sorted(assets) == ["governance.json", "image.json", "model_card.md"],
                    f"release assets: {sorted(assets)}",
                )
                try:
                    recorded = json.loads(assets.get("image.json", "{}"))
                except json.JSONDecodeError:
                    recorded = {}
                    check.that(False, "the release's image.json is not JSON")
                check.that(recorded.get("digest") == new and recorded.get("commit") == copy.head, f"{recorded}")
                check.that(release.get("latest") is True, "the release is not marked latest")
                if done.status != 0:
                    return check  # the broken variant stops here: nothing after it can hold
            elif run_id == ROLLBACK:
                check.that(done.green, f"rollback: {done.jobs}")
                check.that(registry.digest(image, "production") == old, "the rollback did not move production back")
                release = release_of(copy.base)
                check.that(
                    bool(release) and release.get("latest") is False and "**Rollback**" in release.get("notes", ""),
                    f"no rollback release for {copy.base[:12]}, not marked latest, saying so",
                )
            else:
                check.that(done.status != 0, "a commit not on main was released")
                resolve = [result for job, result in done.jobs.items() if "resolve the governed image" in job]
                check.that(resolve == ["failed"], f"a commit not on main: resolve {resolve}, jobs {done.jobs}")
                check.that(registry.digest(image, "production") == old, "a refused release moved production")
                check.that(len(state.releases) == 2, f"a refused release created one: {len(state.releases)}")
    check.fake_handled_everything(state)
    return check


def drop_resolved_digest(repo: Path) -> None:
    """release.yml's resolve job no longer hands the digest it read from the records to production."""
    edit_workflow(repo, "release.yml", "      digest: ${{ steps.record.outputs.digest }}\n", "")


BROKEN = Broken(drop_resolved_digest, "release.yml's resolve job drops its digest output", "production/")
