"""The workflow policy as code: what every file in .github/ must satisfy, checked from the YAML (and its raw text,
where the rule is about a comment). Each check returns findings named by rule, so the negative set can prove a bad
workflow is rejected for the right reason. The linters (zizmor, actionlint, check-jsonschema) run beside it in
`make lint-workflows`; this module holds the rules they do not know: the pin table, the one-line `run:` rule,
per-job permission allowlists, callers against callees, and artifact names across jobs and runs."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
PINS_FILE = Path(__file__).with_name("action-pins.md")

# The least each job needs: (workflow file, job id) -> {scope: level}. A job may ask for less, never more.
# Jobs of files not listed here (e.g. the negative set) get DEFAULT_ALLOWLIST.
PERMISSION_ALLOWLIST: dict[tuple[str, str], dict[str, str]] = {
    ("lint.yml", "lint"): {"contents": "read"},
    ("test.yml", "test"): {"contents": "read"},
    ("data-checks.yml", "data"): {"contents": "read"},
    ("train.yml", "train"): {"contents": "read"},
    ("report.yml", "report"): {"contents": "read", "actions": "read", "pull-requests": "write"},
    ("image.yml", "image"): {
        "contents": "read",
        "pull-requests": "read",
        "packages": "write",
        "id-token": "write",
        "attestations": "write",
    },
    ("promote.yml", "promote"): {"contents": "read", "packages": "write", "attestations": "read"},
    ("release.yml", "resolve"): {"contents": "read", "actions": "read", "packages": "read"},
    ("release.yml", "release"): {"contents": "write"},
    ("fork-report.yml", "post"): {"contents": "read", "actions": "read", "pull-requests": "write"},
    ("drift.yml", "drift"): {"contents": "read", "issues": "write"},
}
DEFAULT_ALLOWLIST = {"contents": "read"}
LEVELS = {"none": 0, "read": 1, "write": 2}

# `mlci` subcommands a `run:` may call (the planned CLI surface) and scripts other branches deliver.
MLCI_COMMANDS = {"run", "config", "check", "compare", "report", "govern", "serve", "image", "records"}

USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
INPUT_EXPR = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")


@dataclass(frozen=True)
class Finding:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.rule}] {self.message}"


def load(path: Path) -> dict[str, Any]:
    """Parse a workflow; YAML 1.1 reads the key `on` as True, so put it back."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a YAML mapping")
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


@cache
def pins() -> dict[tuple[str, str], str]:
    """(action, sha) -> tag, from the vendored copy of ../shared/action-pins.md."""
    table: dict[tuple[str, str], str] = {}
    for line in PINS_FILE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and FULL_SHA.match(cells[2]):
            table[(cells[0], cells[2])] = cells[1]
    return table


def triggers(doc: Mapping[str, Any]) -> set[str]:
    on = doc.get("on")
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return set(on)
    return set(on or {})


def is_reusable(doc: Mapping[str, Any]) -> bool:
    return "workflow_call" in triggers(doc)


def local_target(ref: str) -> Path | None:
    """`./x` and `$/x` name a file of this repository; anything else is remote."""
    for prefix in ("./", "$/"):
        if ref.startswith(prefix):
            return ROOT / ref[len(prefix) :]
    return None


def steps_of(doc: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(job id, step) for every step of a workflow, or of a composite action (job id "runs")."""
    if "runs" in doc:
        for step in doc["runs"].get("steps", []) or []:
            yield "runs", step
    for job_id, job in (doc.get("jobs") or {}).items():
        for step in job.get("steps", []) or []:
            yield job_id, step


# --- rules on one file -------------------------------------------------------------------------------------------


def check_pins(path: Path) -> list[Finding]:
    """Every remote `uses:` is OWNER/REPO@<full SHA> # <tag>, and (action, SHA, tag) is a row of action-pins.md."""
    findings = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = USES_LINE.match(line)
        if not match or local_target(match["ref"]) is not None or match["ref"].startswith("docker://"):
            continue
        where = f"{path.name}:{number}"
        ref, comment = match["ref"], (match["comment"] or "").strip()
        action, _, version = ref.partition("@")
        action = "/".join(action.split("/")[:2])  # OWNER/REPO/path@sha pins the repository
        if not FULL_SHA.match(version):
            findings.append(Finding("pinned-uses", where, f"{ref} is not pinned to a full commit SHA"))
            continue
        tag = pins().get((action, version))
        if tag is None:
            findings.append(Finding("pinned-uses", where, f"{action}@{version} is not a SHA from action-pins.md"))
        elif comment.split()[:1] != [tag]:
            findings.append(
                Finding("version-comment", where, f"{action}@{version} is {tag}, the comment says '{comment}'")
            )
    return findings


def check_runs(path: Path, doc: Mapping[str, Any]) -> list[Finding]:
    """Each `run:` is one line calling make, mlci or a script in scripts/, with no `${{ }}` inside."""
    findings = []
    targets = make_targets()
    for job_id, step in steps_of(doc):
        if "run" not in step:
            continue
        where, run = f"{path.name}:{job_id}:{step.get('name', '?')}", str(step["run"]).strip()
        if "${{" in run:
            findings.append(
                Finding("expression-in-run", where, f"`${{{{ }}}}` inside run: {run!r} (pass values through env:)")
            )
            continue
        if "\n" in run:
            findings.append(
                Finding(
                    "run-one-line", where, "run: has more than one line (move the logic into make, mlci or scripts/)"
                )
            )
            continue
        words = run.split()
        head = words[0] if words else ""
        if head == "make":
            missing = [
                word for word in words[1:] if not word.startswith("-") and "=" not in word and word not in targets
            ]
            if missing:
                findings.append(Finding("run-calls", where, f"make target(s) {missing} do not exist in the Makefile"))
        elif head == "mlci":
            if len(words) < 2 or words[1] not in MLCI_COMMANDS:
                findings.append(
                    Finding("run-calls", where, f"'{run}' is not an mlci command ({sorted(MLCI_COMMANDS)})")
                )
        elif head.startswith("scripts/"):
            script = ROOT / head
            if not (script.is_file() and script.stat().st_mode & 0o111):
                findings.append(Finding("run-calls", where, f"{head} is not an executable script"))
        else:
            findings.append(Finding("run-calls", where, f"'{run}' calls neither make, mlci nor scripts/"))
    return findings


def check_checkout(path: Path, doc: Mapping[str, Any]) -> list[Finding]:
    return [
        Finding("persist-credentials", f"{path.name}:{job_id}", "actions/checkout without persist-credentials: false")
        for job_id, step in steps_of(doc)
        if str(step.get("uses", "")).startswith("actions/checkout@")
        and (step.get("with") or {}).get("persist-credentials") is not False
    ]


def check_cml(path: Path, doc: Mapping[str, Any]) -> list[Finding]:
    """setup-cml with vega: false and a pinned version; the job's CML steps run with ITERATIVE_DO_NOT_TRACK=1."""
    findings = []
    for job_id, job in (doc.get("jobs") or {}).items():
        steps = job.get("steps", []) or []
        cml = [s for s in steps if str(s.get("uses", "")).startswith("iterative/setup-cml@")]
        for step in cml:
            with_ = step.get("with") or {}
            if with_.get("vega") is not False:
                findings.append(Finding("cml", f"{path.name}:{job_id}", "iterative/setup-cml without vega: false"))
            if not with_.get("version") or str(with_.get("version")) == "latest":
                findings.append(Finding("cml", f"{path.name}:{job_id}", "iterative/setup-cml without a pinned version"))
        if cml and not any(str((s.get("env") or {}).get("ITERATIVE_DO_NOT_TRACK")) == "1" for s in steps):
            findings.append(Finding("cml", f"{path.name}:{job_id}", "CML used without ITERATIVE_DO_NOT_TRACK=1"))
    return findings


def check_permissions(path: Path, doc: Mapping[str, Any]) -> list[Finding]:
    """`permissions: {}` at the top; every job explicit and within its allowlist."""
    findings = []
    if doc.get("permissions") != {}:
        findings.append(
            Finding("top-permissions", path.name, f"top-level permissions must be {{}}, got {doc.get('permissions')!r}")
        )
    for job_id, job in (doc.get("jobs") or {}).items():
        where, granted = f"{path.name}:{job_id}", job.get("permissions")
        if not isinstance(granted, dict):
            findings.append(
                Finding("job-permissions", where, f"permissions must be an explicit mapping, got {granted!r}")
            )
            continue
        allowed = allowlist(path.name, job_id, job)
        for scope, level in granted.items():
            if LEVELS.get(str(level), 3) > LEVELS[allowed.get(scope, "none")]:
                findings.append(Finding("job-permissions", where, f"{scope}: {level} exceeds the allowlist {allowed}"))
    return findings


def allowlist(file: str, job_id: str, job: Mapping[str, Any]) -> dict[str, str]:
    """A job's allowlist; a job calling a local reusable workflow may grant what the callee's jobs are allowed."""
    target = local_target(str(job.get("uses", "")))
    if target is None or not target.is_file():
        return PERMISSION_ALLOWLIST.get((file, job_id), DEFAULT_ALLOWLIST)
    merged: dict[str, str] = {}
    for callee_job_id in load(target).get("jobs") or {}:
        for scope, level in PERMISSION_ALLOWLIST.get((target.name, callee_job_id), DEFAULT_ALLOWLIST).items():
            if LEVELS[level] > LEVELS[merged.get(scope, "none")]:
                merged[scope] = level
    return merged


def check_timeouts(path: Path, doc: Mapping[str, Any]) -> list[Finding]:
    return [
        Finding("timeout", f"{path.name}:{job_id}", "job without timeout-minutes")
        for job_id, job in (doc.get("jobs") or {}).items()
        if "uses" not in job and "timeout-minutes" not in job
    ]


def check_triggers(path: Path, doc: Mapping[str, Any]) -> list[Finding]:
    """No pull_request_target; a pull_request workflow cancels superseded runs of the same PR."""
    found = triggers(doc)
    findings = []
    if "pull_request_target" in found:
        findings.append(
            Finding("pull-request-target", path.name, "pull_request_target runs with a write token next to PR code")
        )
    if "pull_request" in found:
        concurrency = doc.get("concurrency") or {}
        group = str(concurrency.get("group", "")) if isinstance(concurrency, dict) else ""
        if "github.event.pull_request.number" not in group or concurrency.get("cancel-in-progress") is not True:
            findings.append(
                Finding("concurrency", path.name, "needs a concurrency group per PR with cancel-in-progress: true")
            )
    return findings


def check_callers(path: Path, doc: Mapping[str, Any]) -> list[Finding]:
    """A job calling a local reusable workflow passes only declared inputs, all required ones, and grants at
    least the permissions the callee's jobs ask for (GitHub refuses the run otherwise)."""
    findings = []
    for job_id, job in (doc.get("jobs") or {}).items():
        target = local_target(str(job.get("uses", "")))
        if target is None:
            continue
        where = f"{path.name}:{job_id}"
        if not target.is_file():
            findings.append(Finding("caller-inputs", where, f"calls {job['uses']}, which does not exist"))
            continue
        callee = load(target)
        declared = ((callee.get("on") or {}).get("workflow_call") or {}).get("inputs") or {}
        given = job.get("with") or {}
        findings += [
            Finding("caller-inputs", where, f"passes input '{name}' that {target.name} does not declare")
            for name in given
            if name not in declared
        ]
        findings += [
            Finding("caller-inputs", where, f"misses required input '{name}' of {target.name}")
            for name, spec in declared.items()
            if (spec or {}).get("required") and "default" not in (spec or {}) and name not in given
        ]
        granted = job.get("permissions") or {}
        for callee_job_id, callee_job in (callee.get("jobs") or {}).items():
            for scope, level in (callee_job.get("permissions") or {}).items():
                if LEVELS.get(str(level), 3) > LEVELS.get(str(granted.get(scope, "none")), 0):
                    findings.append(
                        Finding(
                            "caller-permissions",
                            where,
                            f"{target.name}:{callee_job_id} needs {scope}: {level}, the caller grants {granted.get(scope, 'none')}",
                        )
                    )
    return findings


# --- artifact names across the jobs of a run, and across runs ----------------------------------------------------


@dataclass(frozen=True)
class ArtifactStep:
    job: str  # the entry workflow's job id (a call to a reusable workflow counts as that job)
    kind: str  # upload | download
    name: str | None  # None: an expression that does not resolve to a literal
    cross_run: bool


def expand(value: Any, inputs: Mapping[str, Any]) -> str | None:
    text = INPUT_EXPR.sub(lambda m: str(inputs.get(m.group(1), m.group(0))), str(value))
    return None if "${{" in text else text


def artifact_steps(doc: Mapping[str, Any]) -> list[ArtifactStep]:
    """Uploads and downloads of one run of an entry workflow, with the callees' inputs resolved."""
    found = []
    for job_id, job in (doc.get("jobs") or {}).items():
        bodies: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
        target = local_target(str(job.get("uses", "")))
        if target is not None and target.is_file():
            callee = load(target)
            declared = ((callee.get("on") or {}).get("workflow_call") or {}).get("inputs") or {}
            inputs = {name: (spec or {}).get("default") for name, spec in declared.items()}
            inputs.update(job.get("with") or {})
            bodies += [(callee_job, inputs) for callee_job in (callee.get("jobs") or {}).values()]
        else:
            bodies.append((job, {}))
        for body, inputs in bodies:
            for step in body.get("steps", []) or []:
                uses, with_ = str(step.get("uses", "")), step.get("with") or {}
                for kind in ("upload", "download"):
                    if uses.startswith(f"actions/{kind}-artifact@"):
                        name = expand(with_.get("name", "artifact"), inputs)
                        found.append(ArtifactStep(job_id, kind, name, "run-id" in with_))
    return found


def needs_closure(doc: Mapping[str, Any], job_id: str) -> set[str]:
    jobs = doc.get("jobs") or {}
    seen: set[str] = set()
    todo = [job_id]
    while todo:
        needs = jobs.get(todo.pop(), {}).get("needs") or []
        for need in [needs] if isinstance(needs, str) else needs:
            if need not in seen:
                seen.add(need)
                todo.append(need)
    return seen


def workflow_named(name: str) -> Mapping[str, Any] | None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        doc = load(path)
        if doc.get("name") == name:
            return doc
    return None


def check_artifacts(path: Path, doc: Mapping[str, Any]) -> list[Finding]:
    """Every download names an artifact uploaded earlier in the same run by a job it needs (or by itself), or, for a
    cross-run download in a workflow_run workflow, by the triggering workflow."""
    if is_reusable(doc) and len(triggers(doc)) == 1:
        return []  # checked through its callers
    findings = []
    steps = artifact_steps(doc)
    for step in steps:
        where = f"{path.name}:{step.job}"
        if step.name is None:
            findings.append(
                Finding("artifact-names", where, f"{step.kind} artifact name does not resolve to a literal")
            )
            continue
        if step.kind != "download":
            continue
        if step.cross_run:
            sources = ((doc.get("on") or {}).get("workflow_run") or {}).get("workflows") or []
            uploads = {
                s.name
                for src in sources
                if (other := workflow_named(src))
                for s in artifact_steps(other)
                if s.kind == "upload"
            }
        else:
            jobs = needs_closure(doc, step.job) | {step.job}
            uploads = {s.name for s in steps if s.kind == "upload" and s.job in jobs}
        if step.name not in uploads:
            findings.append(
                Finding(
                    "artifact-names",
                    where,
                    f"downloads '{step.name}', which no job it depends on uploads ({sorted(n for n in uploads if n)})",
                )
            )
    return findings


FILE_RULES = (check_pins,)
DOC_RULES = (
    check_runs,
    check_checkout,
    check_cml,
    check_permissions,
    check_timeouts,
    check_triggers,
    check_callers,
    check_artifacts,
)


def check_workflow(path: Path) -> list[Finding]:
    doc = load(path)
    findings = [finding for rule in FILE_RULES for finding in rule(path)]
    return findings + [finding for rule in DOC_RULES for finding in rule(path, doc)]


def check_action(path: Path) -> list[Finding]:
    """A composite action: pins and one-line runs (it has no jobs, permissions or triggers)."""
    doc = load(path)
    return check_pins(path) + check_runs(path, doc) + check_checkout(path, doc)


@cache
def make_targets() -> frozenset[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return frozenset(re.findall(r"^([A-Za-z0-9_.-]+):(?!=)", text, flags=re.MULTILINE))


# --- where uploaded files land: actions/upload-artifact's layout rule ---------------------------------------------

# A GitHub-hosted runner's folders, so `${{ runner.temp }}` and relative paths resolve the way they do there.
RUNNER_TEMP = "/home/runner/work/_temp"
WORKSPACE = "/home/runner/work/repo/repo"
_GLOB = re.compile(r"[*?\[]")
_EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def resolve(value: Any, inputs: Mapping[str, Any]) -> str:
    """An absolute runner path for a `path:`/env value: inputs and `runner.temp` substituted, relative to the
    workspace otherwise."""

    def sub(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr == "runner.temp":
            return RUNNER_TEMP
        if expr == "github.workspace":
            return WORKSPACE
        if expr.startswith("inputs.") and expr[len("inputs.") :] in inputs:
            return str(inputs[expr[len("inputs.") :]])
        raise ValueError(f"cannot resolve ${{{{ {expr} }}}} in {value!r}")

    text = _EXPR.sub(sub, str(value)).strip()
    path = text if text.startswith("/") else f"{WORKSPACE}/{text}"
    return "/" + "/".join(part for part in path.split("/") if part not in ("", "."))


def _search_path(pattern: str) -> str:
    """@actions/glob's search path: the pattern up to its first segment with a wildcard."""
    parts = []
    for part in pattern.strip("/").split("/"):
        if _GLOB.search(part):
            break
        parts.append(part)
    return "/" + "/".join(parts)


def _matches(pattern: str, file: str) -> bool:
    if not _GLOB.search(pattern):
        return file == pattern or file.startswith(pattern.rstrip("/") + "/")
    return fnmatch(file, pattern) or fnmatch(file, pattern.rstrip("/") + "/*")


def artifact_layout(paths: list[str], files: list[str]) -> dict[str, str]:
    """{absolute file: its path inside the artifact} for the written `files` that upload `paths` (absolute) pick up.
    upload-artifact (src/shared/search.ts at the pinned commit): several search paths root the artifact at their
    least common ancestor; one search path that is exactly the one file found roots it at the file's folder;
    otherwise the root is the search path."""
    found = sorted({file for file in files if any(_matches(p, file) for p in paths)})
    searches = [_search_path(p) for p in paths]
    if len(searches) > 1:
        split = [s.strip("/").split("/") for s in searches]
        common = []
        for parts in zip(*split, strict=False):
            if len(set(parts)) != 1:
                break
            common.append(parts[0])
        root = "/" + "/".join(common)
    elif len(found) == 1 and searches[0] == found[0]:
        root = found[0].rsplit("/", 1)[0]
    else:
        root = searches[0]
    return {file: file[len(root) :].lstrip("/") for file in found}


@dataclass(frozen=True)
class Upload:
    job: str
    step: Mapping[str, Any]
    body: Mapping[str, Any]  # the job (of the callee, when the entry job calls a reusable workflow)
    inputs: Mapping[str, Any]

    def paths(self) -> list[str]:
        raw = str((self.step.get("with") or {}).get("path", ""))
        return [resolve(line, self.inputs) for line in raw.splitlines() if line.strip()]

    def env_of(self, command: str, name: str) -> str:
        """The resolved env value `name` of the step in the same job whose `run:` starts with `command`'s words
        (a script, or e.g. "mlci records image")."""
        words = command.split()
        for step in self.body.get("steps", []) or []:
            env = step.get("env") or {}
            if str(step.get("run", "")).split()[: len(words)] == words and name in env:
                return resolve(env[name], self.inputs)
        raise KeyError(f"no step runs {command} with {name} set")

    def with_of(self, uses: str, name: str) -> str:
        for step in self.body.get("steps", []) or []:
            if str(step.get("uses", "")).startswith(uses + "@"):
                return resolve((step.get("with") or {})[name], self.inputs)
        raise KeyError(f"no step uses {uses}")

    def layout(self, files: list[str]) -> dict[str, str]:
        return artifact_layout(self.paths(), files)


def upload_of(doc: Mapping[str, Any], name: str) -> Upload:
    """The one upload step of an entry workflow's run that uploads the artifact `name`."""
    found = []
    for job_id, job in (doc.get("jobs") or {}).items():
        target = local_target(str(job.get("uses", "")))
        bodies: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = [(job, {})]
        if target is not None and target.is_file():
            callee = load(target)
            declared = ((callee.get("on") or {}).get("workflow_call") or {}).get("inputs") or {}
            given = {key: (spec or {}).get("default") for key, spec in declared.items()}
            given.update(job.get("with") or {})
            bodies = [(callee_job, given) for callee_job in (callee.get("jobs") or {}).values()]
        for body, inputs in bodies:
            for step in body.get("steps", []) or []:
                uses, with_ = str(step.get("uses", "")), step.get("with") or {}
                if (
                    uses.startswith("actions/upload-artifact@")
                    and expand(with_.get("name", "artifact"), inputs) == name
                ):
                    found.append(Upload(job_id, step, body, inputs))
    if len(found) != 1:
        raise LookupError(f"{len(found)} uploads of {name}")
    return found[0]
