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
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
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


def make_copy(
    work: Path, defect: Callable[[Path], None] | None = None, branch: str = "feature", merged: bool = False
) -> Copy:
    """The committed tree (HEAD; with MLCI_WFRUN_WORKTREE=1 the working tree's tracked and new files) in a fresh
    repository whose origin is REPO. `$/` is rewritten to `./` (act 0.2.89 rejects `$/`, nektos/act issue 6189;
    every job checks out first, so `./` is the same commit). main = base; `branch` = base plus one commit (HEAD);
    `merged`: that commit pushed to main too (main and origin/main at head, checked out). A defect, if any, goes
    into both commits."""
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
    if merged:
        git(repo, "checkout", "-q", "-B", "main")
        git(repo, "update-ref", "refs/remotes/origin/main", head)
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
    jobs: dict[str, str] = field(default_factory=dict)


class Checks:
    """What a scenario found wrong, and each executed job's result (act's name for it -> succeeded/failed)."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.jobs: dict[str, str] = {}

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
    copy: Copy,
    state: State,
    api: str,
    workflow: str,
    event: str,
    payload: dict[str, object],
    run_id: int,
    log: Path,
    variables: dict[str, str] | None = None,
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
        *[flag for name, value in (variables or {}).items() for flag in ("--var", f"{name}={value}")],
        *local_repositories(),
    ]
    with log.open("w", encoding="utf-8") as handle:
        status = subprocess.run(
            command, check=False, timeout=3600, cwd=copy.path, env=env, stdout=handle, stderr=subprocess.STDOUT
        ).returncode
    text = log.read_text(encoding="utf-8", errors="replace")
    return status, {m.group(1): m.group(2) for m in JOB_END.finditer(text)}


def edit_workflow(repo: Path, name: str, old: str, new: str) -> None:
    """A broken variant's defect: `old` (which must be there, once) replaced in .github/workflows/<name>."""
    path = repo / ".github" / "workflows" / name
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise SystemExit(f"workflows-run: {name} no longer holds {old!r} once: update the defect")
    path.write_text(text.replace(old, new), encoding="utf-8")


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


def scenario_pr_same(work: Path, defect: Callable[[Path], None] | None) -> Checks:
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
    check.jobs = jobs
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
    return check


REGISTRY = "127.0.0.1:5000"
IMAGE = f"{REGISTRY}/{REPO}"
MAIN_RUN = 2001
MERGED_PR = 8
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def registry_digest(repository: str, reference: str) -> str | None:
    """The digest a tag of the local registry points at, or None when it has none."""
    host, name = repository.split("/", 1)
    request = urllib.request.Request(f"http://{host}/v2/{name}/manifests/{reference}", method="HEAD")
    request.add_header("Accept", MANIFEST_TYPES)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.headers.get("Docker-Content-Digest")
    except urllib.error.HTTPError:
        return None


def push_payload(copy: Copy) -> dict[str, object]:
    repository = {"full_name": REPO, "visibility": "public", "default_branch": "main"}
    commit = {"id": copy.head, "message": "a change under test"}
    return {"ref": "refs/heads/main", "before": copy.base, "after": copy.head, "repository": repository,
            "head_commit": commit, "pusher": {"name": "alice"}}  # fmt: skip


def scenario_push_main(work: Path, defect: Callable[[Path], None] | None) -> Checks:
    """A push to main (a pull request, approved, merged): every job passes; the image is built, smoke-tested and
    governed (governance.json passed, with the approval read from the API), pushed to the registry tagged by
    commit, signed and attested; the records are attached to that digest where release.yml reads them (`mlci
    records pull` by the commit's tag); `staging` points at the same digest."""
    copy = make_copy(work, defect, merged=True)
    state = State(REPO, TOKEN, work / "state")
    seed_baseline(copy, state)
    state.heads["main"] = copy.head
    state.pulls[MERGED_PR] = {
        "number": MERGED_PR, "merge_commit_sha": copy.head, "merged_at": "2026-11-03T00:00:00Z",
        "reviews": [{"user": {"login": "bob"}, "state": "APPROVED"}],
    }  # fmt: skip
    with Server(state) as api:
        status, jobs = act(
            copy, state, api, "main.yml", "push", push_payload(copy), MAIN_RUN, work / "main.log",
            variables={"MLCI_REGISTRY": REGISTRY},
        )  # fmt: skip
    check = Checks()
    check.jobs = jobs
    check.that(status == 0, f"act exited {status}")
    expected = {"lint", "test", "data checks", "train", "report", "image", "staging"}
    entry = {job.split("/", 1)[0] for job in jobs}
    check.that(entry == expected and set(jobs.values()) == {"succeeded"}, f"jobs: {jobs}")
    check.that(not state.unhandled, f"calls the fake does not model: {state.unhandled}")
    artifacts = state.artifacts(MAIN_RUN)
    governance = artifacts.get("mlci-governance-main")
    record = json.loads((governance / "governance.json").read_text(encoding="utf-8")) if governance else {}
    check.that(record.get("decision") == "passed", f"governance.json decision: {record.get('decision')!r}")
    approvals = json.dumps(record)
    check.that("bob" in approvals, "the governance record does not name the approval read from the API")
    image_dir = artifacts.get("mlci-image-main")
    image = json.loads((image_dir / "image.json").read_text(encoding="utf-8")) if image_dir else {}
    check.that(image.get("image") == IMAGE and image.get("commit") == copy.head, f"image record: {image}")
    digest = str(image.get("digest", ""))
    tag = copy.head[:12]
    check.that(bool(digest) and registry_digest(IMAGE, tag) == digest, f"{IMAGE}:{tag} is not the recorded {digest}")
    check.that(registry_digest(IMAGE, "staging") == digest, f"staging is not {digest}")
    pulled = work / "pulled"
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mlci"), "records", "pull", "--repository", IMAGE, "--tag", tag,
         "--out", str(pulled)],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    names = sorted(p.name for p in pulled.iterdir()) if pulled.is_dir() else []
    want = ["governance.json", "image.json", "model_card.md", "sbom.spdx.json"]
    check.that(done.returncode == 0 and names == want, f"records pull of {tag}: {names} {done.stderr.strip()}")
    check.that(f"cosign sign --yes {IMAGE}@{digest}" in state.calls, "the pushed digest was not signed")
    check.that(any(r[:2] == ["attest", f"{IMAGE}@{digest}"] for r in state.records), "no provenance attestation")
    if defect is None and not check.failures:
        PUSHED.append(tag)
    return check


# The tag of the image push-main pushed in this process, so release reuses it instead of building another.
PUSHED: list[str] = []


def mlci(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "mlci"), *args], check=False, capture_output=True, text=True)


def mlci_records_ok(tag: str) -> bool:
    with tempfile.TemporaryDirectory() as out:
        return mlci("records", "pull", "--repository", IMAGE, "--tag", tag, "--out", out).returncode == 0


def skopeo_copy(source: str, target: str, other_format: bool) -> str:
    """Copy a registry image to another tag; `other_format`: converted between OCI and Docker v2 manifests, so the
    same image gets another digest (an older commit's build). The digest the target tag points at."""
    flags = ["--src-tls-verify=false", "--dest-tls-verify=false"]
    if other_format:
        raw = subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{source}"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        oci = "application/vnd.oci.image" in json.loads(raw).get("mediaType", "application/vnd.oci.image")
        flags += ["--format", "v2s2" if oci else "oci"]
    else:
        flags.append("--preserve-digests")
    subprocess.run(["skopeo", "copy", "--quiet", *flags, f"docker://{source}", f"docker://{target}"], check=True)
    found = registry_digest(*target.rsplit(":", 1))
    if found is None:
        raise SystemExit(f"workflows-run: {target} was not copied")
    return found


def seed_main_build(work: Path, state: State, pushed_tag: str, commit: str, other_format: bool) -> str:
    """What a successful main run for `commit` leaves behind, from the image push-main pushed: the image tagged by
    the commit, signed and attested, with its records attached (image.json naming this commit), and the run. The
    image's digest."""
    digest = skopeo_copy(f"{IMAGE}:{pushed_tag}", f"{IMAGE}:{commit[:12]}", other_format)
    records = work / f"records-{commit[:12]}"
    done = mlci("records", "pull", "--repository", IMAGE, "--tag", pushed_tag, "--out", str(records))
    if done.returncode != 0:
        raise SystemExit(f"workflows-run: the records of {IMAGE}:{pushed_tag}: {done.stderr.strip()}")
    image_json = {"image": IMAGE, "digest": digest, "commit": commit}
    (records / "image.json").write_text(json.dumps(image_json) + "\n", encoding="utf-8")
    files = [str(records / name) for name in ("image.json", "sbom.spdx.json", "governance.json", "model_card.md")]
    done = mlci("records", "push", "--repository", IMAGE, "--digest", digest, *files)
    if done.returncode != 0:
        raise SystemExit(f"workflows-run: attaching records to {IMAGE}@{digest}: {done.stderr.strip()}")
    state.labels.add(f"signed:{IMAGE}@{digest}")
    state.records.append(["attest", f"{IMAGE}@{digest}", f"{REPO}/.github/workflows/main.yml@refs/heads/main",
                          "refs/heads/main", "push"])  # fmt: skip
    state.runs.append(Run(state.new_id(), "main.yml", "main", commit, "push"))
    return digest


def dispatch_payload(commit: str, rollback: bool) -> dict[str, object]:
    repository = {"full_name": REPO, "visibility": "public", "default_branch": "main"}
    # GitHub sends workflow_dispatch inputs as strings, booleans too (act reads a boolean input only as "true").
    inputs = {"commit": commit, "rollback": "true" if rollback else "false"}
    return {"ref": "refs/heads/main", "inputs": inputs, "repository": repository, "workflow": "release.yml"}


def scenario_release(work: Path, defect: Callable[[Path], None] | None) -> Checks:
    """workflow_dispatch of release.yml: for the commit main built, `production` points at that image's digest
    (moved, never rebuilt) and a release carries its records; a rollback to an older commit moves production back
    to the older digest in a release not marked latest; a commit not on main is refused and moves nothing. The
    image push-main pushed is reused (copied to each commit's tag, its records attached as that commit's)."""
    check = Checks()
    if not PUSHED and registry_digest(IMAGE, "staging") is not None and mlci_records_ok("staging"):
        say(f"release: reusing {IMAGE}:staging, which an earlier push-main pushed")
        PUSHED.append("staging")
    if not PUSHED:
        say("release: no image pushed by push-main yet; running push-main first")
        first = scenario_push_main(work / "push-main", None)
        if first.failures:
            check.that(False, f"push-main, which release builds on, failed: {first.failures[0]}")
            return check
    copy = make_copy(work, defect, merged=True)
    git(copy.path, "checkout", "-q", "-b", "stray", copy.base)
    (copy.path / "STRAY.md").write_text("never merged\n", encoding="utf-8")
    git(copy.path, "add", "STRAY.md")
    git(copy.path, "commit", "-q", "-m", "never merged")
    stray = git(copy.path, "rev-parse", "HEAD")
    git(copy.path, "checkout", "-q", "main")
    state = State(REPO, TOKEN, work / "state")
    state.heads["main"] = copy.head
    new = seed_main_build(work, state, PUSHED[-1], copy.head, other_format=False)
    old = seed_main_build(work, state, PUSHED[-1], copy.base, other_format=True)
    check.that(new != old, "the older commit's image has the same digest: the rollback would prove nothing")
    attempts = [(copy.head, False, 3001), (copy.base, True, 3002), (stray, False, 3003)]
    with Server(state) as api:
        for commit, rollback, run_id in attempts:
            status, jobs = act(
                copy, state, api, "release.yml", "workflow_dispatch", dispatch_payload(commit, rollback), run_id,
                work / f"release-{run_id}.log", variables={"MLCI_REGISTRY": REGISTRY},
            )  # fmt: skip
            if run_id != 3003:  # the refused one must fail
                check.jobs |= {f"{job} (run {run_id})": result for job, result in jobs.items()}
            if run_id == 3001:
                check.that(status == 0 and set(jobs.values()) == {"succeeded"}, f"release of main's head: {jobs}")
                check.that(registry_digest(IMAGE, "production") == new, "production is not the head's digest")
                check.that(registry_digest(IMAGE, copy.head[:12]) == new, "the head's image tag moved: rebuilt?")
                release = next((r for r in state.releases if r["tagName"] == f"model-{copy.head[:12]}"), {})
                assets = release.get("assets", {})
                check.that(
                    sorted(assets) == ["governance.json", "image.json", "model_card.md"],
                    f"release assets: {sorted(assets)}",
                )
                recorded = json.loads(assets.get("image.json", "{}"))
                check.that(recorded.get("digest") == new and recorded.get("commit") == copy.head, f"{recorded}")
                check.that(release.get("latest") is True, "the release is not marked latest")
                if status != 0:
                    return check  # the broken variant stops here: nothing after it can hold
            elif run_id == 3002:
                check.that(status == 0 and set(jobs.values()) == {"succeeded"}, f"rollback: {jobs}")
                check.that(registry_digest(IMAGE, "production") == old, "the rollback did not move production back")
                release = next((r for r in state.releases if r["tagName"] == f"model-{copy.base[:12]}"), {})
                check.that(
                    bool(release) and release.get("latest") is False and "**Rollback**" in release.get("notes", ""),
                    f"no rollback release for {copy.base[:12]}, not marked latest, saying so",
                )
            else:
                check.that(status != 0, "a commit not on main was released")
                resolve = [result for job, result in jobs.items() if "resolve the governed image" in job]
                check.that(resolve == ["failed"], f"a commit not on main: resolve {resolve}, jobs {jobs}")
                check.that(registry_digest(IMAGE, "production") == old, "a refused release moved production")
                check.that(len(state.releases) == 2, f"a refused release created one: {len(state.releases)}")
    check.that(not state.unhandled, f"calls the fake does not model: {state.unhandled}")
    return check


def drop_resolved_digest(repo: Path) -> None:
    """release.yml's resolve job no longer hands the digest it read from the records to production."""
    edit_workflow(repo, "release.yml", "      digest: ${{ steps.record.outputs.digest }}\n", "")


FORK = "mallory/model"
OTHER_PR = 9
# The fork PR run's report bundle (mlci-report: file name -> bytes), for the broken variant, whose defect is in
# fork-report.yml only: the pull_request run it would repeat is the same.
FORK_BUNDLE: dict[str, bytes] = {}


def workflow_run_payload(run_id: int, copy: Copy) -> dict[str, object]:
    run = {"id": run_id, "name": "pull request", "event": "pull_request", "status": "completed",
           "conclusion": "success", "head_sha": copy.head, "head_branch": "feature",
           "head_repository": {"full_name": FORK}, "repository": {"full_name": REPO}}  # fmt: skip
    repository = {"full_name": REPO, "visibility": "public", "default_branch": "main"}
    return {"action": "completed", "workflow_run": run, "workflow": {"name": "pull request"}, "repository": repository}


def scenario_fork(work: Path, defect: Callable[[Path], None] | None) -> Checks:
    """A pull request from a fork: every job passes and nothing is commented (a fork's token is read-only); the
    mlci-report bundle holds the PR number and the report. Then fork-report.yml (workflow_run) posts that report on
    the PR, once; given a bundle naming another PR, whose head is not the commit the run built, it posts nothing."""
    copy = make_copy(work, defect)
    state = State(REPO, TOKEN, work / "state")
    state.pulls[PR] = pull_request_payload(copy, FORK)["pull_request"]  # type: ignore[assignment]
    state.pulls[OTHER_PR] = {"number": OTHER_PR, "head": {"sha": copy.base, "repo": {"full_name": REPO}}}
    check = Checks()
    pr_run, bundle = 5001, state.root / "artifacts" / "5001" / "mlci-report"
    with Server(state) as api:
        if defect is None or not FORK_BUNDLE:
            seed_baseline(copy, state)
            status, jobs = act(
                copy, state, api, "pull-request.yml", "pull_request", pull_request_payload(copy, FORK), pr_run,
                work / "pull-request.log",
            )  # fmt: skip
            check.jobs = jobs
            check.that(status == 0 and len(jobs) >= 5 and set(jobs.values()) == {"succeeded"}, f"fork PR: {jobs}")
            check.that(not state.comments, f"a fork PR's run commented: {state.comments}")
            files = sorted(p.name for p in bundle.iterdir()) if bundle.is_dir() else []
            if not check.that(files == ["pr-number.txt", "report.md"], f"the mlci-report bundle holds {files}"):
                return check
            check.that((bundle / "pr-number.txt").read_text(encoding="utf-8").strip() == str(PR), "bundle PR number")
            compared = state.artifacts(pr_run).get("mlci-comparison")
            report = (compared / "report.md").read_bytes() if compared else b""
            check.that((bundle / "report.md").read_bytes() == report, "the bundle's report is not the comparison's")
            if defect is None and not check.failures:
                FORK_BUNDLE.update({p.name: p.read_bytes() for p in bundle.iterdir()})
                FORK_BUNDLE["meta"] = (bundle.parent / "mlci-report.json").read_bytes()
        else:
            say("fork: reusing the fork PR run's bundle (the defect is in fork-report.yml only)")
            bundle.mkdir(parents=True)
            for name, data in FORK_BUNDLE.items():
                (bundle.parent / "mlci-report.json" if name == "meta" else bundle / name).write_bytes(data)
        state.runs.append(Run(pr_run, "pull-request.yml", "feature", copy.head, "pull_request"))
        git(copy.path, "checkout", "-q", "main")  # workflow_run runs the default branch
        report = (bundle / "report.md").read_text(encoding="utf-8")
        status, jobs = act(
            copy, state, api, "fork-report.yml", "workflow_run", workflow_run_payload(pr_run, copy), 5002,
            work / "fork-report.log",
        )  # fmt: skip
        check.jobs |= jobs
        posted = state.bot_comments(PR, MARKER)
        check.that(status == 0 and set(jobs.values()) == {"succeeded"}, f"fork-report: {jobs}")
        check.that(len(posted) == 1 and posted[0]["body"] == report, f"{len(posted)} report comments on #{PR}")
        (bundle / "pr-number.txt").write_text(f"{OTHER_PR}\n", encoding="utf-8")
        status, jobs = act(
            copy, state, api, "fork-report.yml", "workflow_run", workflow_run_payload(pr_run, copy), 5003,
            work / "fork-report-other.log",
        )  # fmt: skip
        check.that(
            not state.bot_comments(OTHER_PR, MARKER), f"posted on another PR #{OTHER_PR}, whose head is not the run's"
        )
        check.that(len(state.bot_comments(PR, MARKER)) == 1, f"the report on #{PR} was posted again")
    check.that(not state.unhandled, f"calls the fake does not model: {state.unhandled}")
    return check


def fork_report_trusts_the_bundle(repo: Path) -> None:
    """fork-report.yml no longer checks the bundle's PR against the run's head commit."""
    edit_workflow(repo, "fork-report.yml", ' --expect-head-sha "$HEAD_SHA"', "")


DRIFT_REFERENCE = "data/drift-reference.csv"
DRIFT_MARKER = "<!-- mlci-drift -->"
DRIFTED = ("length", "diameter", "whole_weight", "shell_weight")


def drifted_reference(repo: Path) -> None:
    """The bundled data with its size columns scaled by 1.6: a reference the current data has drifted from."""
    with (repo / "data" / "abalone.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with (repo / DRIFT_REFERENCE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(row | {column: f"{float(row[column]) * 1.6:.4f}" for column in DRIFTED})


def scenario_drift(work: Path, defect: Callable[[Path], None] | None) -> Checks:
    """The weekly schedule with DRIFT_REFERENCE set to a drifted reference: the run is red (drift found), one issue
    labelled mlci-drift opened by the bot with the marker and the drift report attached as mlci-drift; a second
    run updates that issue (its body and a comment saying it happened again), never a duplicate, and leaves a
    person's issue with the same label alone."""
    copy = make_copy(work, defect)
    drifted_reference(copy.path)
    git(copy.path, "add", DRIFT_REFERENCE)
    git(copy.path, "commit", "-q", "-m", "a reference dataset")
    state = State(REPO, TOKEN, work / "state")
    person = {"number": 3, "title": "drift in my notebook?", "body": "a question", "state": "open",
              "user": {"login": "alice", "type": "User"}, "labels": [{"name": "mlci-drift"}]}  # fmt: skip
    state.issues.append(person)
    payload = {"schedule": "17 6 * * 1", "repository": {"full_name": REPO, "visibility": "public"}}
    check = Checks()
    with Server(state) as api:
        for run_id in (4001, 4002):
            status, jobs = act(
                copy, state, api, "drift.yml", "schedule", payload, run_id, work / f"drift-{run_id}.log",
                variables={"DRIFT_REFERENCE": DRIFT_REFERENCE},
            )  # fmt: skip
            check.jobs |= {f"{job} (run {run_id})": result for job, result in jobs.items()}
            mine = [i for i in state.issues if i["user"]["login"] == BOT["login"]]
            if not check.that(
                len(mine) == 1, f"run {run_id}: no drift issue, or more than one: {len(mine)} by the bot"
            ):
                break
            issue = mine[0]
            check.that(issue["body"].startswith(DRIFT_MARKER) and DRIFT_REFERENCE in issue["body"], "issue body")
            check.that({"name": "mlci-drift"} in issue["labels"], f"issue labels: {issue['labels']}")
            check.that(status != 0 and list(jobs.values()) == ["failed"], f"run {run_id}: drift must be red: {jobs}")
            report = state.artifacts(run_id).get("mlci-drift")
            check.that(report is not None and any(report.iterdir()), f"run {run_id}: no mlci-drift report artifact")
            again = [c for c in state.comments if c["issue_number"] == issue["number"]]
            check.that(len(again) == (run_id - 4001), f"run {run_id}: {len(again)} 'found again' comments")
    check.that(person["body"] == "a question" and person["state"] == "open", "a person's drift issue was changed")
    check.that("mlci-drift" in state.labels, "the mlci-drift label was not created")
    check.that(not state.unhandled, f"calls the fake does not model: {state.unhandled}")
    return check


def drift_ignores_the_variable(repo: Path) -> None:
    """drift.yml reads the reference from the manual input only: a scheduled run, which has no inputs, skips."""
    old = "REFERENCE: ${{ inputs.reference || vars.DRIFT_REFERENCE }}"
    edit_workflow(repo, "drift.yml", old, "REFERENCE: ${{ inputs.reference }}")


def misread_digest_output(repo: Path) -> None:
    """image.yml's digest output reads a step output the push step never writes (a rename a linter cannot see:
    a run step's outputs are not declared): staging gets an empty digest."""
    old = "      digest: ${{ steps.push.outputs.digest }}\n"
    edit_workflow(repo, "image.yml", old, old.replace("outputs.digest", "outputs.image-digest"))


def rename_artifact_read_by_report(repo: Path) -> None:
    """The report stage reads the candidate under a name train never uploads."""
    old = "      artifact-name: mlci-artifacts-pr\n      checks-artifact-name"
    edit_workflow(repo, "pull-request.yml", old, old.replace("mlci-artifacts-pr", "mlci-artifacts"))


Scenario = Callable[[Path, Callable[[Path], None] | None], Checks]


@dataclass(frozen=True)
class Broken:
    """A scenario's deliberately broken variant: the defect, why it is one, and where it must bite: `bites`, the
    entry job it must make fail (the start of act's job name; only that job may fail: a variant that fails elsewhere,
    a test job reading the YAML or a setup step, proves nothing about the executed workflow), or, for a workflow
    whose job fails by design (drift), `missing`, the outcome the scenario must then report missing."""

    defect: Callable[[Path], None]
    why: str
    bites: str = ""
    missing: str = ""


SCENARIOS: dict[str, tuple[Scenario, Broken]] = {
    "pr-same": (
        scenario_pr_same,
        Broken(rename_artifact_read_by_report, "report reads an artifact name train never uploads", "report/"),
    ),
    "push-main": (
        scenario_push_main,
        Broken(misread_digest_output, "image.yml's digest output reads a step output never written", "staging/"),
    ),
    "fork": (
        scenario_fork,
        Broken(
            fork_report_trusts_the_bundle, "fork-report.yml posts without checking the PR head", missing="another PR"
        ),
    ),
    "drift": (
        scenario_drift,
        Broken(drift_ignores_the_variable, "drift.yml ignores DRIFT_REFERENCE on schedule", missing="no drift issue"),
    ),
    "release": (
        scenario_release,
        Broken(drop_resolved_digest, "release.yml's resolve job drops its digest output", "production/"),
    ),
}


def broken_as_it_must(outcome: Outcome, broken: Broken) -> str | None:
    """None when the broken variant failed where its defect bites, else why it did not."""
    if broken.missing:
        if any(broken.missing in failure for failure in outcome.failures):
            return None
        return f"no failure saying {broken.missing!r}: {outcome.failures or 'none'}"
    failed = sorted(job for job, result in outcome.jobs.items() if result == "failed")
    if not failed:
        return "no executed job failed" + (f" ({outcome.failures[0]})" if outcome.failures else "")
    elsewhere = [job for job in failed if not job.startswith(broken.bites)]
    if elsewhere:
        return f"failed elsewhere than {broken.bites!r}: {', '.join(elsewhere)}"
    return None


def run_one(name: str, scenario: Scenario, defect: Callable[[Path], None] | None, keep: bool) -> Outcome:
    work = Path(tempfile.mkdtemp(prefix=f"mlci-wfrun-{name}-"))
    start = time.monotonic()
    try:
        check = scenario(work, defect)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    outcome = Outcome(name, time.monotonic() - start, check.failures, check.jobs)
    if (check.failures and defect is None) or keep:
        say(f"{name}: logs in {work}" if keep else f"{name}: rerun with --keep for the logs")
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help=f"any of {', '.join(SCENARIOS)}")
    parser.add_argument("--no-broken", action="store_true", help="skip the broken variants")
    parser.add_argument("--only-broken", action="store_true", help="run only the broken variants")
    parser.add_argument(
        "--no-broken-for", action="append", default=[], metavar="SCENARIO", help="skip this scenario's broken variant"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies and logs")
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    local_repositories()  # every pinned action has a stand-in, before anything runs
    results: list[tuple[str, bool, Outcome]] = []
    for name in args.scenarios:
        scenario, broken = SCENARIOS[name]
        if not args.only_broken:
            say(f"{name}: running")
            outcome = run_one(name, scenario, None, args.keep)
            results.append((name, not outcome.failures, outcome))
            for failure in outcome.failures:
                say(f"{name}: FAILED: {failure}")
        if not args.no_broken and name not in args.no_broken_for:
            bite = f"job {broken.bites!r} must fail" if broken.bites else f"it must find {broken.missing!r}"
            say(f"{name} (broken: {broken.why}): running; {bite}")
            variant = run_one(f"{name}-broken", scenario, broken.defect, args.keep)
            wrong = broken_as_it_must(variant, broken)
            results.append((f"{name} broken", wrong is None, variant))
            if wrong is None:
                say(f"{name} broken: failed as it must ({broken.bites or broken.missing})")
            else:
                say(f"{name} broken: did not fail as it must: {wrong}; jobs: {variant.jobs}")
    say("summary:")
    for label, ok, outcome in results:
        say(f"  {'ok  ' if ok else 'FAIL'} {label:<24} {outcome.seconds:6.0f} s")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
