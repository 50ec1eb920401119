"""`drift`: the weekly schedule (drift.yml) with a drifted reference, twice: one issue, updated, never duplicated."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from core import REPO, TOKEN, Broken, Checks, Trigger, act, defect_of, edit_workflow, git, make_copy
from fakegithub import BOT, Server, State

DRIFT_REFERENCE = "data/drift-reference.csv"
DRIFT_MARKER = "<!-- mlci-drift -->"
DRIFTED = ("length", "diameter", "whole_weight", "shell_weight")
FIRST_RUN, SECOND_RUN = 4001, 4002


def drifted_reference(repo: Path) -> None:
    """The bundled data with its size columns scaled by 1.6: a reference the current data has drifted from."""
    with (repo / "data" / "abalone.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with (repo / DRIFT_REFERENCE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(row | {column: f"{float(row[column]) * 1.6:.4f}" for column in DRIFTED})


def run(work: Path, broken: Broken | None) -> Checks:
    """The weekly schedule with DRIFT_REFERENCE set to a drifted reference: the run is red (drift found), one issue
    labelled mlci-drift opened by the bot with the marker and the drift report attached as mlci-drift; a second
    run updates that issue (its body and a comment saying it happened again), never a duplicate, and leaves a
    person's issue with the same label alone."""
    copy = make_copy(work, defect_of(broken))
    drifted_reference(copy.path)
    git(copy.path, "add", DRIFT_REFERENCE)
    git(copy.path, "commit", "-q", "-m", "a reference dataset")
    state = State(REPO, TOKEN, work / "state")
    person: dict[str, Any] = {"number": 3, "title": "drift in my notebook?", "body": "a question", "state": "open",
                              "user": {"login": "alice", "type": "User"}, "labels": [{"name": "mlci-drift"}]}  # fmt: skip
    state.issues.append(person)
    payload: dict[str, object] = {"schedule": "17 6 * * 1", "repository": {"full_name": REPO, "visibility": "public"}}
    check = Checks()
    with Server(state) as api:
        for run_id in (FIRST_RUN, SECOND_RUN):
            trigger = Trigger("drift.yml", "schedule", payload, run_id, variables={"DRIFT_REFERENCE": DRIFT_REFERENCE})
            done = act(copy, state, api, trigger, work / f"drift-{run_id}.log")
            check.jobs |= {f"{job} (run {run_id})": result for job, result in done.jobs.items()}
            mine = [i for i in state.issues if i["user"]["login"] == BOT["login"]]
            if not check.that(
                len(mine) == 1, f"run {run_id}: no drift issue, or more than one: {len(mine)} by the bot"
            ):
                break
            issue = mine[0]
            check.that(issue["body"].startswith(DRIFT_MARKER) and DRIFT_REFERENCE in issue["body"], "issue body")
            check.that({"name": "mlci-drift"} in issue["labels"], f"issue labels: {issue['labels']}")
            red = done.status != 0 and list(done.jobs.values()) == ["failed"]
            check.that(red, f"run {run_id}: drift must be red: {done.jobs}")
            report = check.files(check.artifact(state, run_id, "mlci-drift"), "artifact mlci-drift")
            check.that(bool(report), f"run {run_id}: the mlci-drift report artifact is empty")
            again = [c for c in state.comments if c["issue_number"] == issue["number"]]
            check.that(len(again) == (run_id - FIRST_RUN), f"run {run_id}: {len(again)} 'found again' comments")
    check.that(person["body"] == "a question" and person["state"] == "open", "a person's drift issue was changed")
    check.that("mlci-drift" in state.labels, "the mlci-drift label was not created")
    check.fake_handled_everything(state)
    return check


def drift_ignores_the_variable(repo: Path) -> None:
    """drift.yml reads the reference from the manual input only: a scheduled run, which has no inputs, skips."""
    old = "REFERENCE: ${{ inputs.reference || vars.DRIFT_REFERENCE }}"
    edit_workflow(repo, "drift.yml", old, "REFERENCE: ${{ inputs.reference }}")


BROKEN = Broken(drift_ignores_the_variable, "drift.yml ignores DRIFT_REFERENCE on schedule", missing="no drift issue")
