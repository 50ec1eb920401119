#!/usr/bin/env python3
"""Execute the entry workflows with act on a temporary copy of the repository and check what they did.

    python tests/workflows/run/harness.py [SCENARIO ...] [--no-broken] [--keep]

Each scenario sets up a fake GitHub state (lib/fakegithub.py under tests/standins), runs one entry workflow with
act (jobs on this machine, two at a time), then asserts outcomes: comments, artifacts, summaries, registry tags.
Its broken variant runs the same scenario on a copy with one deliberate defect and must fail, so a harness that
cannot fail is caught too. Third-party actions are the stand-ins under tests/standins (one per pinned action,
mapped with --local-repository); Docker and the registry on 127.0.0.1:5000 are the real ones.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STANDINS = ROOT / "tests" / "standins"
sys.path.insert(0, str(STANDINS / "lib"))

from fakegithub import BOT, Run, Server, State  # noqa: E402 - the stand-ins' library, found through sys.path

REPO = "acme/model"
TOKEN = "ghs_fake-token-for-executed-workflows"
MARKER = "<!-- mlci-report -->"
PIN = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)(?:/[^@\s]*)?@([0-9a-f]{40})")
JOB_END = re.compile(r"^\[([^\]]+)\]\s+🏁\s+Job (succeeded|failed)", re.MULTILINE)
SELF_REPO = re.compile(r"(uses:\s*)\$/")
GIT_ENV = {"GIT_AUTHOR_NAME": "mlci", "GIT_AUTHOR_EMAIL": "mlci@example.invalid"}
GIT_ENV |= {"GIT_COMMITTER_NAME": "mlci", "GIT_COMMITTER_EMAIL": "mlci@example.invalid"}


def say(message: str) -> None:
    print(f"workflows-run: {message}", flush=True)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def pinned_actions() -> dict[str, str]:
    """OWNER/REPO -> SHA of every third-party action the workflows and the setup action use."""
    found: dict[str, str] = {}
    for path in [*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob(".github/actions/*/action.yml")]:
        for repo, sha in PIN.findall(path.read_text(encoding="utf-8")):
            found[repo] = sha
    return found


def local_repositories() -> list[str]:
    """--local-repository flags: each pinned action mapped to its stand-in. actions/checkout needs none: act copies
    the workspace for a checkout of the repository itself (every checkout here)."""
    flags: list[str] = []
    missing: list[str] = []
    for repo, sha in sorted(pinned_actions().items()):
        if repo == "actions/checkout":
            continue
        standin = STANDINS / repo
        if not (standin / "action.yml").is_file():
            missing.append(repo)
        flags += ["--local-repository", f"{repo}@{sha}={standin}"]
    if missing:
        raise SystemExit(f"workflows-run: no stand-in under tests/standins for {', '.join(missing)}")
    return flags


@dataclass
class Copy:
    """A temporary repository: main at `base`, the scenario's branch at `head` (HEAD)."""

    path: Path
    base: str
    head: str


def make_copy(work: Path, defect: Callable[[Path], None] | None = None, branch: str = "feature") -> Copy:
    """The committed tree (HEAD; with MLCI_WFRUN_WORKTREE=1 the working tree's tracked and new files) in a fresh
    repository whose origin is REPO. `$/` is rewritten to `./` (act 0.2.89 rejects `$/`, nektos/act issue 6189;
    every job checks out first, so `./` is the same commit). main = base; `branch` = base plus one commit (HEAD);
    a defect, if any, goes into both."""
    repo = work / "repo"
    repo.mkdir(parents=True)
    if os.environ.get("MLCI_WFRUN_WORKTREE") == "1":
        listed = subprocess.run(
            ["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True
        ).stdout.decode()
        for name in filter(None, listed.split("\0")):
            if (ROOT / name).is_file():
                (repo / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, repo / name)
    else:
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(repo)], input=archive, check=True)
    rewritten = 0
    for path in [*repo.glob(".github/workflows/*.yml"), *repo.glob(".github/actions/*/action.yml")]:
        text, count = SELF_REPO.subn(r"\1./", path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")
        rewritten += count
    # The lint job runs zizmor on this copy, whose self-repository audit asks for `$/` again: the rewrite is the
    # harness's, so that one audit is off here (the real tree is linted with it on by `make lint-workflows`).
    zizmor = repo / ".github" / "zizmor.yml"
    if zizmor.exists():
        raise SystemExit("workflows-run: .github/zizmor.yml exists now: merge the self-repository exception into it")
    zizmor.write_text("rules:\n  self-repository:\n    disable: true\n", encoding="utf-8")
    if defect is not None:
        defect(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", f"https://github.com/{REPO}.git")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "update-ref", "refs/remotes/origin/main", base)
    git(repo, "checkout", "-q", "-b", branch)
    with (repo / "README.md").open("a", encoding="utf-8") as handle:
        handle.write("\n<!-- a change under test -->\n")
    git(repo, "commit", "-q", "-am", "a change under test")
    head = git(repo, "rev-parse", "HEAD")
    say(
        f"copy at {repo}: rewrote {rewritten} `uses: $/...` to `./...` (act 0.2.89 rejects $/; every job checks"
        " out first; zizmor's self-repository audit is off in the copy)"
    )
    return Copy(repo, base, head)


@dataclass
class Outcome:
    name: str
    seconds: float
    failures: list[str] = field(default_factory=list)


class Checks:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def that(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
        return ok


def coverage_config(repo: Path) -> str:
    """The project's coverage settings with the gate at 0, for the test job's subset of the suite (the gate holds
    in .ci/run's `make test`; coverage's report also reads it, so it cannot stay at 90 for a subset)."""
    with (repo / "pyproject.toml").open("rb") as handle:
        settings = tomllib.load(handle).get("tool", {}).get("coverage", {})
    settings.setdefault("report", {})["fail_under"] = 0
    lines: list[str] = []
    for section, values in settings.items():
        lines.append(f"[{section}]")
        for key, raw in values.items():
            value = "\n    " + "\n    ".join(str(v) for v in raw) if isinstance(raw, list) else raw
            lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else value}")
    return "\n".join(lines) + "\n"


def act(
    copy: Copy, state: State, api: str, workflow: str, event: str, payload: dict[str, object], run_id: int, log: Path
) -> tuple[int, dict[str, str]]:
    """Run one entry workflow; the exit status and each job's result ('succeeded' or 'failed')."""
    event_file = log.with_suffix(".event.json")
    event_file.write_text(json.dumps(payload), encoding="utf-8")
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    uv_cache = subprocess.run([uv, "cache", "dir"], check=True, capture_output=True, text=True).stdout.strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "VIRTUAL_ENV"))}
    coveragerc = log.parent / "coveragerc"
    coveragerc.write_text(coverage_config(copy.path), encoding="utf-8")
    env |= {
        "COVERAGE_RCFILE": str(coveragerc),
        "PATH": f"{STANDINS / 'bin'}:{env['PATH']}",
        "MLCI_STANDINS": str(STANDINS),
        "MLCI_FAKE_STATE": str(state.root),
        "MLCI_FAKE_API": api,
        "MLCI_UV": uv,
        "MLCI_UV_CACHE": uv_cache,
        "PYTHONPATH": str(STANDINS / "lib"),
        "PYTEST_ADDOPTS": "-p wfrun_pytest_subset",
    }
    command = [
        os.environ.get("ACT", str(ROOT / ".tools" / "bin" / "act")),
        event,
        "-W",
        f".github/workflows/{workflow}",
        "-e",
        str(event_file),
        "-P",
        "ubuntu-24.04=-self-hosted",
        "--action-cache-path",
        str(log.parent / f"act-{run_id}"),
        "--concurrent-jobs",
        "2",
        "--no-cache-server",
        "-s",
        f"GITHUB_TOKEN={TOKEN}",
        "--env",
        f"GITHUB_API_URL={api}",
        "--env",
        f"GITHUB_RUN_ID={run_id}",
        *local_repositories(),
    ]
    with log.open("w", encoding="utf-8") as handle:
        status = subprocess.run(
            command, check=False, timeout=3600, cwd=copy.path, env=env, stdout=handle, stderr=subprocess.STDOUT
        ).returncode
    text = log.read_text(encoding="utf-8", errors="replace")
    return status, {m.group(1): m.group(2) for m in JOB_END.finditer(text)}


# --- scenarios ----------------------------------------------------------------------------------------------------

BASE_RUN = 900
MLCI_MAIN = "import sys; from mlci.cli import main; sys.exit(main())"
PR = 7


def seed_baseline(copy: Copy, state: State) -> None:
    """main's run at the base commit, with the artifacts train.yml uploads there (mlci-artifacts-main): trained at
    the base commit of the copy, as that run would have."""
    state.runs.append(Run(BASE_RUN, "main.yml", "main", copy.base, "push"))
    out = state.root / "artifacts" / str(BASE_RUN) / "mlci-artifacts-main"
    git(copy.path, "checkout", "-q", copy.base)
    try:
        # The copy's own mlci (its src/ first on the path), with the project's locked environment.
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "python"), "-c", MLCI_MAIN, "run", "--out", str(out)],
            cwd=copy.path,
            env={**os.environ, "PYTHONPATH": str(copy.path / "src")},
            check=True,
            capture_output=True,
        )
    finally:
        git(copy.path, "checkout", "-q", "-")
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    meta = {"id": 9001, "name": "mlci-artifacts-main", "retention_days": 90, "files": files}
    (out.parent / "mlci-artifacts-main.json").write_text(json.dumps(meta), encoding="utf-8")


def pull_request_payload(copy: Copy, head_repo: str) -> dict[str, object]:
    repository = {"full_name": REPO, "visibility": "public", "default_branch": "main"}
    pull = {
        "number": PR,
        "head": {"sha": copy.head, "ref": "feature", "repo": {"full_name": head_repo}},
        "base": {"sha": copy.base, "ref": "main", "repo": {"full_name": REPO}},
    }
    return {"action": "synchronize", "number": PR, "pull_request": pull, "repository": repository}


def scenario_pr_same(work: Path, defect: Callable[[Path], None] | None) -> list[str]:
    """A pull request from a branch of the repository: every job passes; one sticky comment (the bot's earlier one,
    edited; a person's comment quoting the marker untouched) holds the report with its verdict; the job summary
    has the report; the baseline is main's artifact at the base commit."""
    copy = make_copy(work, defect)
    state = State(REPO, TOKEN, work / "state")
    seed_baseline(copy, state)
    state.pulls[PR] = pull_request_payload(copy, REPO)["pull_request"]  # type: ignore[assignment]
    person = {"login": "alice", "type": "User"}
    state.comments += [
        {"id": 11, "issue_number": PR, "user": person, "body": f"quoting {MARKER} in a review", "created_at": "2026-11-01T00:00:00Z"},
        {"id": 12, "issue_number": PR, "user": BOT, "body": f"{MARKER}\nthe previous push's report", "created_at": "2026-11-02T00:00:00Z"},
    ]  # fmt: skip
    run_id = 1001
    with Server(state) as api:
        status, jobs = act(
            copy, state, api, "pull-request.yml", "pull_request", pull_request_payload(copy, REPO), run_id,
            work / "pull-request.log",
        )  # fmt: skip
    check = Checks()
    check.that(status == 0, f"act exited {status}")
    check.that(len(jobs) >= 5 and set(jobs.values()) == {"succeeded"}, f"jobs: {jobs}")
    check.that(not state.unhandled, f"calls the fake does not model: {state.unhandled}")
    report_dir = state.artifacts(run_id).get("mlci-comparison")
    report = (report_dir / "report.md").read_text(encoding="utf-8") if report_dir else ""
    check.that(bool(report), "no mlci-comparison artifact with report.md")
    mine = state.bot_comments(PR, MARKER)
    if check.that(len(mine) == 1, f"{len(mine)} bot comments with the marker on #{PR}, expected exactly 1"):
        check.that(mine[0]["id"] == 12, "the bot's earlier comment was not the one edited")
        check.that(mine[0]["body"] == report, "the sticky comment is not the run's report.md")
        lines = mine[0]["body"].splitlines()
        verdict = lines[1] if len(lines) > 1 else ""
        check.that(verdict.startswith("**mlci: ") and "gate **passed**" in verdict, f"verdict line: {verdict!r}")
    check.that(state.comments[0]["body"] == f"quoting {MARKER} in a review", "a person's comment was edited")
    check.that(bool(report) and report in state.summary(run_id, "report"), "the report job's summary lacks the report")
    source = f"artifacts of main.yml run {BASE_RUN} for main at {copy.base[:12]}"
    check.that(source in report, f"the report does not name the baseline {source!r}")
    check.that(
        any(c.startswith(f"gh run download {BASE_RUN} --name mlci-artifacts-main") for c in state.calls),
        "main's artifact at the base commit was not downloaded",
    )
    bundle = state.artifacts(run_id).get("mlci-report")
    check.that(
        bundle is not None and sorted(p.name for p in bundle.iterdir()) == ["pr-number.txt", "report.md"],
        "mlci-report does not hold exactly pr-number.txt and report.md",
    )
    trained = state.artifacts(run_id).get("mlci-artifacts-pr")
    check.that(
        trained is not None and (trained / "metrics.json").is_file(), "mlci-artifacts-pr lacks metrics.json at its top"
    )
    return check.failures


def rename_artifact_read_by_report(repo: Path) -> None:
    """The report stage reads the candidate under a name train never uploads."""
    path = repo / ".github" / "workflows" / "pull-request.yml"
    text = path.read_text(encoding="utf-8")
    assert "      artifact-name: mlci-artifacts-pr\n      checks-artifact-name" in text
    path.write_text(
        text.replace(
            "      artifact-name: mlci-artifacts-pr\n      checks-artifact-name",
            "      artifact-name: mlci-artifacts\n      checks-artifact-name",
        ),
        encoding="utf-8",
    )


Scenario = Callable[[Path, Callable[[Path], None] | None], list[str]]
SCENARIOS: dict[str, tuple[Scenario, Callable[[Path], None], str]] = {
    "pr-same": (scenario_pr_same, rename_artifact_read_by_report, "report reads an artifact name train never uploads"),
}


def run_one(name: str, scenario: Scenario, defect: Callable[[Path], None] | None, keep: bool) -> Outcome:
    work = Path(tempfile.mkdtemp(prefix=f"mlci-wfrun-{name}-"))
    start = time.monotonic()
    try:
        failures = scenario(work, defect)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    outcome = Outcome(name, time.monotonic() - start, failures)
    if failures and defect is None:
        say(f"{name}: logs in {work}" if keep else f"{name}: rerun with --keep for the logs")
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help=f"any of {', '.join(SCENARIOS)}")
    parser.add_argument("--no-broken", action="store_true", help="skip the broken variants")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies and logs")
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    local_repositories()  # every pinned action has a stand-in, before anything runs
    results: list[tuple[str, bool, Outcome]] = []
    for name in args.scenarios:
        scenario, defect, why = SCENARIOS[name]
        say(f"{name}: running")
        outcome = run_one(name, scenario, None, args.keep)
        results.append((name, not outcome.failures, outcome))
        for failure in outcome.failures:
            say(f"{name}: FAILED: {failure}")
        if not args.no_broken:
            say(f"{name} (broken: {why}): running; it must fail")
            broken = run_one(f"{name}-broken", scenario, defect, args.keep)
            results.append((f"{name} broken", bool(broken.failures), broken))
            if broken.failures:
                say(f"{name} broken: failed as it must: {broken.failures[0]}")
            else:
                say(f"{name} broken: PASSED, but its defect must make it fail: the harness cannot see it")
    say("summary:")
    for label, ok, outcome in results:
        say(f"  {'ok  ' if ok else 'FAIL'} {label:<24} {outcome.seconds:6.0f} s")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
