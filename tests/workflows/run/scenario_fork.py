"""`fork`: a pull request from a fork (pull-request.yml on `pull_request`, no comment), then fork-report.yml on
`workflow_run` posting the run's report bundle on that pull request, and refusing one that names another."""

from __future__ import annotations

from pathlib import Path

from core import (
    MARKER,
    PR,
    REPO,
    TOKEN,
    Broken,
    Checks,
    Copy,
    Trigger,
    act,
    defect_of,
    edit_workflow,
    git,
    make_copy,
    pull_request_payload,
    repository_payload,
    say,
    seed_baseline,
)
from fakegithub import Run, Server, State

FORK = "mallory/model"
OTHER_PR = 9
PR_RUN, POST_RUN, OTHER_RUN = 5001, 5002, 5003
BUNDLE = "mlci-report"
# The fork's pull_request run runs the report job and the jobs it needs (data checks, train): where the head comes
# from changes nothing in lint and test, which pr-same runs on the same tree.
PR_JOB = "report"
PR_JOBS = {"data checks", "train", "report"}
# The fork PR run's report bundle (file name -> bytes, "meta" its artifact record), for the broken variant, whose
# defect is in fork-report.yml only: the pull_request run it would repeat is the same.
FORK_BUNDLE: dict[str, bytes] = {}


def workflow_run_payload(copy: Copy) -> dict[str, object]:
    run = {"id": PR_RUN, "name": "pull request", "event": "pull_request", "status": "completed",
           "conclusion": "success", "head_sha": copy.head, "head_branch": "feature",
           "head_repository": {"full_name": FORK}, "repository": {"full_name": REPO}}  # fmt: skip
    return {"action": "completed", "workflow_run": run, "workflow": {"name": "pull request"},
            "repository": repository_payload()}  # fmt: skip


def fork_pull_request(work: Path, copy: Copy, state: State, api: str, check: Checks) -> bool:
    """The fork's pull_request run: its jobs pass, nothing is commented, and the bundle holds the PR number and
    the comparison's report. False when the bundle is not there to post."""
    seed_baseline(copy, state)
    trigger = Trigger("pull-request.yml", "pull_request", pull_request_payload(copy, FORK), PR_RUN, job=PR_JOB)
    done = act(copy, state, api, trigger, work / "pull-request.log")
    check.jobs = dict(done.jobs)
    entry = {job.split("/", 1)[0] for job in done.jobs}
    check.that(entry == PR_JOBS and done.green, f"fork PR: {done.jobs}")
    check.that(not state.comments, f"a fork PR's run commented: {state.comments}")
    bundle = check.artifact(state, PR_RUN, BUNDLE)
    files = check.files(bundle, f"artifact {BUNDLE}")
    if bundle is None or not check.that(files == ["pr-number.txt", "report.md"], f"the {BUNDLE} bundle holds {files}"):
        return False
    number = check.text(bundle / "pr-number.txt", f"artifact {BUNDLE}").strip()
    check.that(number == str(PR), f"the bundle's PR number is {number!r}, not {PR}")
    compared = check.artifact(state, PR_RUN, "mlci-comparison")
    report = check.text(compared / "report.md" if compared else None, "artifact mlci-comparison")
    check.that(
        check.text(bundle / "report.md", f"artifact {BUNDLE}") == report, "the bundle's report is not the comparison's"
    )
    return True


def run(work: Path, broken: Broken | None) -> Checks:
    """A pull request from a fork: the report job and the jobs it needs pass and nothing is commented (a fork's token is read-only); the
    mlci-report bundle holds the PR number and the report. Then fork-report.yml (workflow_run) posts that report on
    the PR, once; given a bundle naming another PR, whose head is not the commit the run built, it posts nothing."""
    copy = make_copy(work, defect_of(broken))
    state = State(REPO, TOKEN, work / "state")
    state.pulls[PR] = pull_request_payload(copy, FORK)["pull_request"]
    state.pulls[OTHER_PR] = {"number": OTHER_PR, "head": {"sha": copy.base, "repo": {"full_name": REPO}}}
    check = Checks()
    bundle = state.root / "artifacts" / str(PR_RUN) / BUNDLE
    with Server(state) as api:
        if broken is None or not FORK_BUNDLE:
            if not fork_pull_request(work, copy, state, api, check):
                return check
            if broken is None and not check.failures:
                FORK_BUNDLE.update({p.name: p.read_bytes() for p in bundle.iterdir()})
                FORK_BUNDLE["meta"] = (bundle.parent / f"{BUNDLE}.json").read_bytes()
        else:
            say("fork: reusing the fork PR run's bundle (the defect is in fork-report.yml only)")
            bundle.mkdir(parents=True)
            for name, data in FORK_BUNDLE.items():
                (bundle.parent / f"{BUNDLE}.json" if name == "meta" else bundle / name).write_bytes(data)
        state.runs.append(Run(PR_RUN, "pull-request.yml", "feature", copy.head, "pull_request"))
        git(copy.path, "checkout", "-q", "main")  # workflow_run runs the default branch
        report = check.text(bundle / "report.md", f"artifact {BUNDLE}")
        trigger = Trigger("fork-report.yml", "workflow_run", workflow_run_payload(copy), POST_RUN)
        done = act(copy, state, api, trigger, work / "fork-report.log")
        check.jobs |= done.jobs
        posted = state.bot_comments(PR, MARKER)
        check.that(done.green, f"fork-report: {done.jobs}")
        check.that(len(posted) == 1 and posted[0]["body"] == report, f"{len(posted)} report comments on #{PR}")
        (bundle / "pr-number.txt").write_text(f"{OTHER_PR}\n", encoding="utf-8")
        trigger = Trigger("fork-report.yml", "workflow_run", workflow_run_payload(copy), OTHER_RUN)
        done = act(copy, state, api, trigger, work / "fork-report-other.log")
        check.that(
            not state.bot_comments(OTHER_PR, MARKER), f"posted on another PR #{OTHER_PR}, whose head is not the run's"
        )
        check.that(len(state.bot_comments(PR, MARKER)) == 1, f"the report on #{PR} was posted again")
    check.fake_handled_everything(state)
    return check


def fork_report_trusts_the_bundle(repo: Path) -> None:
    """fork-report.yml no longer checks the bundle's PR against the run's head commit."""
    edit_workflow(repo, "fork-report.yml", ' --expect-head-sha "$HEAD_SHA"', "")


BROKEN = Broken(
    fork_report_trusts_the_bundle, "fork-report.yml posts without checking the PR head", missing="another PR"
)
