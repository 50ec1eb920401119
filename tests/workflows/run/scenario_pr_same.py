"""`pr-same`: a pull request from a branch of the repository (pull-request.yml on `pull_request`)."""

from __future__ import annotations

from pathlib import Path

from core import (
    BASE_RUN,
    MARKER,
    PR,
    REPO,
    TOKEN,
    Broken,
    Checks,
    Trigger,
    act,
    defect_of,
    edit_workflow,
    make_copy,
    only_job,
    pull_request_payload,
    seed_baseline,
)
from fakegithub import BOT, Server, State

RUN_ID = 1001


def run(work: Path, broken: Broken | None) -> Checks:
    """Every job passes; one sticky comment (the bot's earlier one, edited; a person's comment quoting the marker
    untouched) holds the report with its verdict; the job summary has the report; the baseline is main's artifact
    at the base commit."""
    copy = make_copy(work, defect_of(broken))
    state = State(REPO, TOKEN, work / "state")
    seed_baseline(copy, state)
    payload = pull_request_payload(copy, REPO)
    state.pulls[PR] = payload["pull_request"]
    person = {"login": "alice", "type": "User"}
    state.comments += [
        {"id": 11, "issue_number": PR, "user": person, "body": f"quoting {MARKER} in a review", "created_at": "2026-11-01T00:00:00Z"},
        {"id": 12, "issue_number": PR, "user": BOT, "body": f"{MARKER}\nthe previous push's report", "created_at": "2026-11-02T00:00:00Z"},
    ]  # fmt: skip
    trigger = Trigger("pull-request.yml", "pull_request", payload, RUN_ID, job=only_job(broken))
    with Server(state) as api:
        done = act(copy, state, api, trigger, work / "pull-request.log")
    check = Checks()
    check.jobs = done.jobs
    check.that(done.status == 0, f"act exited {done.status}")
    check.that(len(done.jobs) >= 5 and done.green, f"jobs: {done.jobs}")
    check.fake_handled_everything(state)
    compared = check.artifact(state, RUN_ID, "mlci-comparison")
    report = check.text(compared / "report.md" if compared else None, "artifact mlci-comparison")
    check.that(bool(report), "no mlci-comparison artifact with report.md")
    mine = state.bot_comments(PR, MARKER)
    if check.that(len(mine) == 1, f"{len(mine)} bot comments with the marker on #{PR}, expected exactly 1"):
        check.that(mine[0]["id"] == 12, "the bot's earlier comment was not the one edited")
        check.that(mine[0]["body"] == report, "the sticky comment is not the run's report.md")
        lines = mine[0]["body"].splitlines()
        verdict = lines[1] if len(lines) > 1 else ""
        check.that(verdict.startswith("**mlci: ") and "gate **passed**" in verdict, f"verdict line: {verdict!r}")
    check.that(state.comments[0]["body"] == f"quoting {MARKER} in a review", "a person's comment was edited")
    check.that(bool(report) and report in state.summary(RUN_ID, "report"), "the report job's summary lacks the report")
    source = f"artifacts of main.yml run {BASE_RUN} for main at {copy.base[:12]}"
    check.that(source in report, f"the report does not name the baseline {source!r}")
    check.that(
        any(c.startswith(f"gh run download {BASE_RUN} --name mlci-artifacts-main") for c in state.calls),
        "main's artifact at the base commit was not downloaded",
    )
    bundle = check.files(check.artifact(state, RUN_ID, "mlci-report"), "artifact mlci-report")
    check.that(bundle == ["pr-number.txt", "report.md"], f"mlci-report holds {bundle}, not pr-number.txt and report.md")
    trained = check.files(check.artifact(state, RUN_ID, "mlci-artifacts-pr"), "artifact mlci-artifacts-pr")
    check.that("metrics.json" in trained, "mlci-artifacts-pr lacks metrics.json at its top")
    return check


def rename_artifact_read_by_report(repo: Path) -> None:
    """The report stage reads the candidate under a name train never uploads."""
    old = "      artifact-name: mlci-artifacts-pr\n      checks-artifact-name"
    edit_workflow(repo, "pull-request.yml", old, old.replace("mlci-artifacts-pr", "mlci-artifacts"))


# The report job and the jobs it needs (data checks, train): lint and test cannot reach the defect.
BROKEN = Broken(
    rename_artifact_read_by_report, "report reads an artifact name train never uploads", "report/", only="report"
)
