"""`push-main`: a push to main (main.yml on `push`), the image built, governed, pushed and moved to staging."""

from __future__ import annotations

from pathlib import Path

import registry
from core import (
    REPO,
    TOKEN,
    Broken,
    Checks,
    Copy,
    Trigger,
    act,
    defect_of,
    edit_workflow,
    make_copy,
    repository_payload,
    seed_baseline,
)
from fakegithub import Server, State

RUN_ID = 2001
MERGED_PR = 8
# The tag of the image this scenario pushed in this process, so release reuses it instead of building another.
PUSHED: list[str] = []


def push_payload(copy: Copy) -> dict[str, object]:
    commit = {"id": copy.head, "message": "a change under test"}
    return {"ref": "refs/heads/main", "before": copy.base, "after": copy.head, "repository": repository_payload(),
            "head_commit": commit, "pusher": {"name": "alice"}}  # fmt: skip


def run(work: Path, broken: Broken | None) -> Checks:
    """A push to main (a pull request, approved, merged): every job passes; the image is built, smoke-tested and
    governed (governance.json passed, with the approval read from the API), pushed to the registry tagged by
    commit, signed and attested; the records are attached to that digest where release.yml reads them (`mlci
    records pull` by the commit's tag); `staging` points at the same digest."""
    copy = make_copy(work, defect_of(broken), merged=True)
    state = State(REPO, TOKEN, work / "state")
    seed_baseline(copy, state)
    state.heads["main"] = copy.head
    state.pulls[MERGED_PR] = {
        "number": MERGED_PR, "merge_commit_sha": copy.head, "merged_at": "2026-11-03T00:00:00Z",
        "reviews": [{"user": {"login": "bob"}, "state": "APPROVED"}],
    }  # fmt: skip
    variables = {"MLCI_REGISTRY": registry.REGISTRY}
    trigger = Trigger("main.yml", "push", push_payload(copy), RUN_ID, variables=variables)
    with Server(state) as api:
        done = act(copy, state, api, trigger, work / "main.log")
    check = Checks()
    check.jobs = done.jobs
    check.that(done.status == 0, f"act exited {done.status}")
    expected = {"lint", "test", "data checks", "train", "report", "image", "staging"}
    entry = {job.split("/", 1)[0] for job in done.jobs}
    check.that(entry == expected and done.green, f"jobs: {done.jobs}")
    check.fake_handled_everything(state)
    governance = check.artifact(state, RUN_ID, "mlci-governance-main")
    record = check.json_object(governance / "governance.json" if governance else None, "artifact mlci-governance-main")
    check.that(record.get("decision") == "passed", f"governance.json decision: {record.get('decision')!r}")
    check.that("bob" in str(record), "the governance record does not name the approval read from the API")
    image_dir = check.artifact(state, RUN_ID, "mlci-image-main")
    image = check.json_object(image_dir / "image.json" if image_dir else None, "artifact mlci-image-main")
    check.that(image.get("image") == registry.IMAGE and image.get("commit") == copy.head, f"image record: {image}")
    digest = str(image.get("digest", ""))
    tag = copy.head[:12]
    pushed = registry.digest(registry.IMAGE, tag)
    check.that(bool(digest) and pushed == digest, f"{registry.IMAGE}:{tag} is {pushed}, not the recorded {digest!r}")
    check.that(registry.digest(registry.IMAGE, "staging") == digest, f"staging is not {digest!r}")
    names, error = registry.pull_records(tag, work / "pulled")
    check.that(not error and names == registry.RECORDS, f"records pull of {tag}: {names} {error}")
    check.that(f"cosign sign --yes {registry.IMAGE}@{digest}" in state.calls, "the pushed digest was not signed")
    attested = any(r[:2] == ["attest", f"{registry.IMAGE}@{digest}"] for r in state.records)
    check.that(attested, "no provenance attestation")
    if broken is None and not check.failures:
        PUSHED.append(tag)
    return check


def misread_digest_output(repo: Path) -> None:
    """image.yml's digest output reads a step output the push step never writes (a rename a linter cannot see:
    a run step's outputs are not declared): staging gets an empty digest."""
    old = "      digest: ${{ steps.push.outputs.digest }}\n"
    edit_workflow(repo, "image.yml", old, old.replace("outputs.digest", "outputs.image-digest"))


BROKEN = Broken(misread_digest_output, "image.yml's digest output reads a step output never written", "staging/")
