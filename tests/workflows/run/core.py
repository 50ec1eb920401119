"""The harness's core: a temporary copy of the repository, one act run of an entry workflow against the fake GitHub,
and the checks a scenario makes on what the run left behind (each missing or malformed file a failure line).

A scenario is a function (work folder, its broken variant or None) -> Checks; each lives in a scenario_*.py module
beside this one, which says what it asserts and holds its broken variant.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
STANDINS = ROOT / "tests" / "standins"
sys.path.insert(0, str(STANDINS / "lib"))

from fakegithub import Run, State  # noqa: E402 - the stand-ins' library, found through sys.path

REPO = "acme/model"
TOKEN = "ghs_fake-token-for-executed-workflows"
MARKER = "<!-- mlci-report -->"
PIN = re.compile(r"uses:\s*([\w.-]+/[\w.-]+)(?:/[^@\s]*)?@([0-9a-f]{40})")
JOB_END = re.compile(r"^\[([^\]]+)\]\s+🏁\s+Job (succeeded|failed)", re.MULTILINE)
STEP_FAILED = re.compile(r"^\[([^\]]+)\]\s+❌\s+Failure - (.+)$", re.MULTILINE)
SELF_REPO = re.compile(r"(uses:\s*)\$/")
GIT_ENV = {"GIT_AUTHOR_NAME": "mlci", "GIT_AUTHOR_EMAIL": "mlci@example.invalid"}
GIT_ENV |= {"GIT_COMMITTER_NAME": "mlci", "GIT_COMMITTER_EMAIL": "mlci@example.invalid"}
ACT_TIMEOUT = 3600

Defect = Callable[[Path], None]


@dataclass(frozen=True)
class Broken:
    """A scenario's deliberately broken variant: the defect, why it is one, and where it must bite: `bites`, the
    entry job it must make fail (the start of act's job name; only that job may fail: a variant that fails elsewhere,
    a test job reading the YAML or a setup step, proves nothing about the executed workflow), or, for a workflow
    whose job fails by design (drift), `missing`, the outcome the scenario must then report missing. `only`: the
    entry job act runs (with the jobs it needs), so a variant stops where its defect bites instead of running
    jobs it cannot reach."""

    defect: Defect
    why: str
    bites: str = ""
    missing: str = ""
    only: str = ""


def defect_of(broken: Broken | None) -> Defect | None:
    return broken.defect if broken else None


def only_job(broken: Broken | None) -> str:
    return broken.only if broken else ""


class ScenarioError(Exception):
    """The harness could not set a scenario up (seeding a run, copying an image): one line, the scenario fails."""


def say(message: str) -> None:
    print(f"workflows-run: {message}", flush=True)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise ScenarioError(f"git {' '.join(args)}: {last_line(done.stderr)}")
    return done.stdout.strip()


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


def run_tool(what: str, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """A command the harness itself needs to succeed (seeding a scenario): its failure is a ScenarioError naming
    `what` and the command's last line of output."""
    done = subprocess.run(command, check=False, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise ScenarioError(f"{what}: {Path(command[0]).name} exited {done.returncode}: {last_line(done.stderr)}")
    return done


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


def make_copy(work: Path, defect: Defect | None = None, branch: str = "feature", merged: bool = False) -> Copy:
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
        raise ScenarioError(".github/zizmor.yml exists now: merge the self-repository exception into it")
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


def edit_workflow(repo: Path, name: str, old: str, new: str) -> None:
    """A broken variant's defect: `old` (which must be there, once) replaced in .github/workflows/<name>."""
    path = repo / ".github" / "workflows" / name
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise ScenarioError(f"{name} no longer holds {old!r} once: update the defect")
    path.write_text(text.replace(old, new), encoding="utf-8")


class Checks:
    """What a scenario found wrong, and each executed job's result (act's name for it -> succeeded/failed). The
    readers turn a missing artifact, file or malformed JSON into a failure line naming it, never an exception."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.jobs: dict[str, str] = {}

    def that(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
        return ok

    def artifact(self, state: State, run_id: int, name: str) -> Path | None:
        """The folder of artifact `name` uploaded by run `run_id`, or None (a failure) when there is none."""
        found = state.artifacts(run_id).get(name)
        if found is None or not found.is_dir():
            self.failures.append(f"run {run_id} uploaded no artifact {name}")
            return None
        return found

    def files(self, folder: Path | None, what: str) -> list[str]:
        """The sorted file names at the top of `folder` ([] and a failure when it is missing)."""
        if folder is None:
            return []
        if not folder.is_dir():
            self.failures.append(f"{what}: {folder.name}/ is missing")
            return []
        return sorted(p.name for p in folder.iterdir())

    def text(self, path: Path | None, what: str) -> str:
        """A UTF-8 file's text ('' and a failure when it is missing or unreadable; '' alone when `path` is None,
        whose absence was already reported)."""
        if path is None:
            return ""
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.failures.append(f"{what}: {path.name} is missing")
        except (OSError, UnicodeDecodeError) as exc:
            self.failures.append(f"{what}: {path.name} is unreadable ({exc.__class__.__name__}: {exc})")
        return ""

    def json_object(self, path: Path | None, what: str) -> dict[str, Any]:
        """A JSON object file ({} and a failure when it is missing, not JSON or not an object)."""
        raw = self.text(path, what)
        if not raw or path is None:
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            self.failures.append(f"{what}: {path.name} is not JSON ({exc.msg}, line {exc.lineno})")
            return {}
        if not isinstance(value, dict):
            self.failures.append(f"{what}: {path.name} holds a JSON {type(value).__name__}, not an object")
            return {}
        return value

    def fake_handled_everything(self, state: State) -> None:
        self.that(not state.unhandled, f"calls the fake does not model: {state.unhandled}")


@dataclass
class ActRun:
    """One act run: its exit status, each job's result ('succeeded' or 'failed'), and the failed steps."""

    status: int
    jobs: dict[str, str]
    failed_steps: list[str] = field(default_factory=list)

    @property
    def green(self) -> bool:
        return self.status == 0 and bool(self.jobs) and set(self.jobs.values()) == {"succeeded"}


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


@dataclass(frozen=True)
class Trigger:
    """What starts a run: the workflow file, act's event name and its payload, the run id, act's job to run (with
    the jobs it needs; empty = every job) and repository variables."""

    workflow: str
    event: str
    payload: dict[str, object]
    run_id: int
    job: str = ""
    variables: dict[str, str] = field(default_factory=dict)


def act(copy: Copy, state: State, api: str, trigger: Trigger, log: Path) -> ActRun:
    """Run one entry workflow with act on the copy, against the fake GitHub at `api`."""
    event_file = log.with_suffix(".event.json")
    event_file.write_text(json.dumps(trigger.payload), encoding="utf-8")
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    uv_cache = run_tool("uv cache dir", [uv, "cache", "dir"]).stdout.strip()
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
        trigger.event,
        "-W",
        f".github/workflows/{trigger.workflow}",
        *(["-j", trigger.job] if trigger.job else []),
        "-e",
        str(event_file),
        "-P",
        "ubuntu-24.04=-self-hosted",
        "--action-cache-path",
        str(log.parent / f"act-{trigger.run_id}"),
        "--concurrent-jobs",
        "2",
        "--no-cache-server",
        "-s",
        f"GITHUB_TOKEN={TOKEN}",
        "--env",
        f"GITHUB_API_URL={api}",
        "--env",
        f"GITHUB_RUN_ID={trigger.run_id}",
        *[flag for name, value in trigger.variables.items() for flag in ("--var", f"{name}={value}")],
        *local_repositories(),
    ]
    try:
        with log.open("w", encoding="utf-8") as handle:
            status = subprocess.run(
                command,
                check=False,
                timeout=ACT_TIMEOUT,
                cwd=copy.path,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            ).returncode
    except subprocess.TimeoutExpired as exc:
        raise ScenarioError(f"act {trigger.workflow} (run {trigger.run_id}) ran over {ACT_TIMEOUT} s") from exc
    text = log.read_text(encoding="utf-8", errors="replace")
    jobs = {m.group(1): m.group(2) for m in JOB_END.finditer(text)}
    failed = [f"{m.group(1)}: {m.group(2).strip()}" for m in STEP_FAILED.finditer(text)]
    return ActRun(status, jobs, failed)


# --- what a scenario sets up ---------------------------------------------------------------------------------------

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
        run_tool(
            "training main's baseline at the base commit",
            [str(ROOT / ".venv" / "bin" / "python"), "-c", MLCI_MAIN, "run", "--out", str(out)],
            cwd=copy.path,
            env={**os.environ, "PYTHONPATH": str(copy.path / "src")},
        )
    finally:
        git(copy.path, "checkout", "-q", "-")
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    meta = {"id": 9001, "name": "mlci-artifacts-main", "retention_days": 90, "files": files}
    (out.parent / "mlci-artifacts-main.json").write_text(json.dumps(meta), encoding="utf-8")


def repository_payload() -> dict[str, object]:
    return {"full_name": REPO, "visibility": "public", "default_branch": "main"}


def pull_request_payload(copy: Copy, head_repo: str) -> dict[str, Any]:
    pull = {
        "number": PR,
        "head": {"sha": copy.head, "ref": "feature", "repo": {"full_name": head_repo}},
        "base": {"sha": copy.base, "ref": "main", "repo": {"full_name": REPO}},
    }
    return {"action": "synchronize", "number": PR, "pull_request": pull, "repository": repository_payload()}
