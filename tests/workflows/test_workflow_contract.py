"""Contract tests: the workflows in .github/ satisfy the policy in workflow_policy.py, and fit together (callers and
callees, uploads and downloads across jobs and runs, the PR pipeline and `make ci`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from workflow_policy import (
    PINS_FILE,
    ROOT,
    WORKFLOWS,
    artifact_steps,
    check_action,
    check_workflow,
    is_reusable,
    load,
    local_target,
    pins,
    steps_of,
    triggers,
)

WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTION_FILES = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
DOCS = {path.name: load(path) for path in WORKFLOW_FILES}
SHARED_PINS = ROOT.parent / "shared" / "action-pins.md"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_satisfies_the_policy(path: Path) -> None:
    findings = check_workflow(path)
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize("path", ACTION_FILES, ids=lambda p: p.parent.name)
def test_composite_action_satisfies_the_policy(path: Path) -> None:
    findings = check_action(path)
    assert not findings, "\n".join(map(str, findings))


def test_every_trigger_has_an_entry_workflow() -> None:
    seen = set().union(*(triggers(doc) for doc in DOCS.values()))
    assert {"pull_request", "push", "workflow_dispatch", "workflow_run", "schedule"} <= seen


def test_at_least_five_reusable_workflows_each_taking_python_version_and_runs_on() -> None:
    reusable = {name: doc for name, doc in DOCS.items() if is_reusable(doc)}
    assert len(reusable) >= 5, sorted(reusable)
    for name, doc in reusable.items():
        inputs = doc["on"]["workflow_call"]["inputs"]
        assert {"python-version", "runs-on"} <= set(inputs), name
        for job_id, job in doc["jobs"].items():
            assert job["runs-on"] == RUNS_ON, f"{name}:{job_id} does not take its runner from the runs-on input"


# A label, or a JSON list of labels (e.g. ["self-hosted", "gpu"]): GitHub's `a && b || c` picks fromJSON for a list.
RUNS_ON = "${{ startsWith(inputs.runs-on, '[') && fromJSON(inputs.runs-on) || inputs.runs-on }}"
RUNNER_VARIABLE = "${{ vars.MLCI_RUNS_ON || 'ubuntu-24.04' }}"


def runner_for(value: str) -> str | list[str]:
    """RUNS_ON as GitHub evaluates it (startsWith is case-insensitive; a non-empty list is truthy)."""
    return json.loads(value) if value.lower().startswith("[") else value


@pytest.mark.parametrize(
    ("value", "runner"),
    [
        ("ubuntu-24.04", "ubuntu-24.04"),
        ('["self-hosted", "linux", "gpu"]', ["self-hosted", "linux", "gpu"]),
        ("arc-runner-set", "arc-runner-set"),
    ],
)
def test_runs_on_takes_a_label_or_a_json_list_of_labels(value: str, runner: str | list[str]) -> None:
    assert runner_for(value) == runner


def test_one_repository_variable_moves_every_stage() -> None:
    """MLCI_RUNS_ON (unset: ubuntu-24.04) is how training and the image build move to a larger, self-hosted or
    actions-runner-controller runner: every call of a stage passes it."""
    for name, doc in DOCS.items():
        for job_id, job in doc["jobs"].items():
            if local_target(str(job.get("uses", ""))) is not None:
                assert (job.get("with") or {}).get("runs-on") == RUNNER_VARIABLE, f"{name}:{job_id}"


def test_reusable_workflows_assume_nothing_of_the_caller() -> None:
    """Called as OWNER/REPO/.github/workflows/X.yml@vN they see only their inputs: no variables or caller env, and
    no secret but the optional credentials of a registry other than GHCR."""
    for name, doc in DOCS.items():
        if not is_reusable(doc):
            continue
        text = (WORKFLOWS / name).read_text(encoding="utf-8")
        assert "vars." not in text, name
        secrets = doc["on"]["workflow_call"].get("secrets") or {}
        assert set(secrets) <= {"registry_username", "registry_password"}, name
        assert not any(spec.get("required") for spec in secrets.values()), name
        assert set(re.findall(r"secrets\.([\w-]+)", text)) <= set(secrets), name


@pytest.mark.parametrize("name", ["image.yml", "promote.yml"])
def test_a_registry_other_than_ghcr_logs_in_with_the_callers_credentials(name: str) -> None:
    secrets = DOCS[name]["on"]["workflow_call"]["secrets"]
    assert set(secrets) == {"registry_username", "registry_password"}
    logins = [s for _, s in steps_of(DOCS[name]) if str(s.get("uses", "")).startswith("docker/login-action@")]
    assert logins
    for login in logins:
        assert login["with"]["registry"] == "${{ inputs.registry }}"
        assert login["with"]["username"] == "${{ secrets.registry_username || github.actor }}"
        assert login["with"]["password"] == "${{ secrets.registry_password || github.token }}"


def test_every_pin_is_a_row_of_the_shared_pin_table() -> None:
    used = set()
    for path in [*WORKFLOW_FILES, *ACTION_FILES]:
        used |= set(
            re.findall(r"uses:\s*([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@([0-9a-f]{40})", path.read_text(encoding="utf-8"))
        )
    assert used, "no pinned actions found"
    assert used <= set(pins()), sorted(used - set(pins()))


@pytest.mark.skipif(
    not SHARED_PINS.is_file(), reason="../shared/action-pins.md exists only in the development checkout"
)
def test_vendored_pin_table_is_the_shared_one() -> None:
    assert PINS_FILE.read_text(encoding="utf-8") == SHARED_PINS.read_text(encoding="utf-8")


def test_id_token_write_only_where_something_is_signed_or_attested() -> None:
    for name, doc in DOCS.items():
        for job_id, job in doc["jobs"].items():
            if (job.get("permissions") or {}).get("id-token") != "write":
                continue
            uses = [str(step.get("uses", "")) for step in job.get("steps", [])]
            if "uses" in job:  # a caller: the callee must sign or attest
                callee = load(local_target(job["uses"]))  # type: ignore[arg-type]
                uses = [str(step.get("uses", "")) for j in callee["jobs"].values() for step in j.get("steps", [])]
            assert any(
                u.startswith(("actions/attest-build-provenance@", "sigstore/cosign-installer@")) for u in uses
            ), f"{name}:{job_id}"


def test_pull_request_workflow_posts_from_same_repo_prs_only() -> None:
    report = DOCS["pull-request.yml"]["jobs"]["report"]["with"]
    assert report["post-comment"] == "${{ github.event.pull_request.head.repo.full_name == github.repository }}"


def test_fork_poster_never_checks_out_or_runs_pr_code() -> None:
    doc = DOCS["fork-report.yml"]
    assert triggers(doc) == {"workflow_run"}
    text = (WORKFLOWS / "fork-report.yml").read_text(encoding="utf-8")
    for job in doc["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert "ref" not in (step.get("with") or {}), "the poster checks out the default branch only"
            if "run" in step:  # no make, no mlci (no project install): only the stdlib posting script
                assert str(step["run"]).split()[0] == "scripts/post_report.py", step["run"]
    assert "head_repository.full_name != github.repository" in text, "same-repo PRs are posted by their own run"


def test_baseline_reads_the_artifacts_main_uploads() -> None:
    """Cross-run names held in env: (scripts download them with gh) match what main.yml uploads."""
    main_uploads = {s.name for s in artifact_steps(DOCS["main.yml"]) if s.kind == "upload"}
    report_call = DOCS["pull-request.yml"]["jobs"]["report"]["with"]
    assert report_call["baseline-workflow"] == "main.yml"
    assert report_call["baseline-artifact-name"] in main_uploads


def _step(workflow: str, job: str, calling: str) -> dict[str, Any]:
    return next(s for s in DOCS[workflow]["jobs"][job]["steps"] if calling in str(s.get("run", s.get("uses", ""))))


def test_release_reads_the_records_image_yml_attaches_to_the_image() -> None:
    """Run artifacts expire after 90 days, the image does not: image.yml attaches every record release.yml reads
    to the pushed digest, after the image record is written, and release.yml reads them from the same registry
    with read access to it, not from a run's artifacts."""
    steps = DOCS["image.yml"]["jobs"]["image"]["steps"]
    names = [str(s.get("run", s.get("uses", ""))) for s in steps]
    attach = next(i for i, run in enumerate(names) if run.startswith("mlci records push"))
    assert attach > next(i for i, run in enumerate(names) if run.startswith("mlci records image "))
    attach_step = steps[attach]
    record_dir = _step("image.yml", "image", "mlci records image ")["env"]["RECORD_DIR"]
    sbom = _step("image.yml", "image", "anchore/sbom-action")["with"]["output-file"]
    assert attach_step["env"]["RECORD_DIR"] == record_dir and sbom == f"{record_dir}/sbom.spdx.json"
    attached = {word.strip('"').rsplit("/", 1)[-1] for word in attach_step["run"].split()[7:]}
    assert attached == {"image.json", "sbom.spdx.json", "governance.json", "model_card.md"}
    assert attach_step["env"]["DIGEST"] == "${{ steps.push.outputs.digest }}"
    assert attach_step["env"]["IMAGE"] == "${{ steps.name.outputs.image }}"

    resolve = DOCS["release.yml"]["jobs"]["resolve"]
    record = _step("release.yml", "resolve", "scripts/release-record.sh")
    assert record["env"]["MAIN_WORKFLOW"] == "main.yml"
    assert not {"GOVERNANCE_ARTIFACT", "IMAGE_ARTIFACT"} & set(record["env"]), "no run artifact is read"
    assert record["env"]["IMAGE"] == "${{ steps.name.outputs.image }}"
    assert _step("release.yml", "resolve", "mlci image name ")["env"]["REGISTRY"] == REGISTRY
    assert _step("release.yml", "resolve", "docker/login-action")["with"]["registry"] == REGISTRY
    assert resolve["permissions"]["packages"] == "read"
    uses = [str(s.get("uses", "")) for s in resolve["steps"]]
    assert not any("download-artifact" in u for u in uses)
    guide = (ROOT / "docs" / "ci-cd.md").read_text(encoding="utf-8")
    assert "`mlci records push`" in guide and "`mlci records pull`" in guide
    assert "re-run `main` for it first" not in guide, "the guide no longer sends releases to expiring artifacts"


REGISTRY = "${{ vars.MLCI_REGISTRY || 'ghcr.io' }}"


def test_every_stage_that_pushes_or_reads_the_image_uses_the_repositorys_registry() -> None:
    """One registry (MLCI_REGISTRY, GHCR when unset) for the push, staging, the records release.yml reads and
    production: a stage left on its ghcr.io default would look for the image where it was never pushed."""
    for workflow, job in [("main.yml", "image"), ("main.yml", "staging"), ("release.yml", "production")]:
        assert DOCS[workflow]["jobs"][job]["with"]["registry"] == REGISTRY, (workflow, job)
    for name in ("image.yml", "promote.yml"):
        assert DOCS[name]["on"]["workflow_call"]["inputs"]["registry"]["default"] == "ghcr.io", name


def test_release_runs_in_the_production_environment_and_main_in_staging() -> None:
    assert DOCS["release.yml"]["jobs"]["production"]["with"]["environment"] == "production"
    assert DOCS["main.yml"]["jobs"]["staging"]["with"]["environment"] == "staging"
    assert DOCS["promote.yml"]["jobs"]["promote"]["environment"] == "${{ inputs.environment }}"
    rollback = DOCS["release.yml"]["on"]["workflow_dispatch"]["inputs"]["rollback"]
    assert rollback["type"] == "boolean" and rollback["default"] is False


def test_drift_runs_on_schedule_and_dispatch() -> None:
    assert triggers(DOCS["drift.yml"]) == {"schedule", "workflow_dispatch"}


def _pr_pipeline_commands() -> list[str]:
    """The `make`/`mlci` lines the pull_request workflow runs, job by job, in file order."""
    commands = []
    for job in DOCS["pull-request.yml"]["jobs"].values():
        callee = load(local_target(job["uses"]))  # type: ignore[arg-type]
        for callee_job in callee["jobs"].values():
            commands += [
                str(s["run"])
                for s in callee_job["steps"]
                if "run" in s and str(s["run"]).split()[0] in ("make", "mlci")
            ]
    return commands


def test_make_ci_runs_the_pr_pipeline_commands() -> None:
    """`make ci` runs every make target and mlci command the PR pipeline runs (the report job's commands last)."""
    recipe = re.search(r"^ci:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert recipe, "no ci target"
    lines = recipe.group(1)
    for command in _pr_pipeline_commands():
        words = command.split()
        expected = f"$(MAKE) {words[1]}" if words[0] == "make" else f"$(BIN)/mlci {words[1]}"
        assert expected in lines, f"make ci does not run `{command}`"
    assert lines.index("$(BIN)/mlci compare") < lines.index("$(BIN)/mlci report")


def test_dependabot_covers_the_lock_actions_and_the_dockerfile() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert {"uv", "github-actions", "docker"} <= ecosystems
    assert all(update.get("cooldown") for update in config["updates"])


def _codeowner(path: str) -> list[str]:
    """The owners GitHub requests for `path`: the last CODEOWNERS line whose pattern matches it."""
    owners: list[str] = []
    for line in (ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, *who = line.split()
        anchored = pattern.startswith("/")
        pattern = pattern.strip("/")
        if pattern.endswith("/") or (ROOT / pattern).is_dir():
            hit = path.startswith(pattern.rstrip("/") + "/")
        else:
            hit = path == pattern or (not anchored and path.endswith("/" + pattern))
        if hit:
            owners = who
    return owners


# What decides what ships: the gates and governance in params.yaml, the data, the dependencies and their locks, the
# governance and release code, the image, the workflows and the pins they are checked against.
DECIDES_WHAT_SHIPS = [
    "params.yaml",
    "pyproject.toml",
    "uv.lock",
    "requirements-serve.txt",
    "Dockerfile",
    "src/mlci/governance/rules.py",
    "src/mlci/config/governance.py",
    "src/mlci/commands/govern.py",
    "src/mlci/config/gates.py",
    "src/mlci/release/gate.py",
    "src/mlci/release/image.py",
    "src/mlci/release/records.py",
    "src/mlci/release/refs.py",
    "src/mlci/commands/image.py",
    ".github/workflows/release.yml",
    ".github/actions/setup/action.yml",
    ".github/CODEOWNERS",
    "tests/workflows/action-pins.md",
    "scripts/release-record.sh",
    "scripts/verify-image.sh",
]


@pytest.mark.parametrize("path", DECIDES_WHAT_SHIPS)
def test_codeowners_cover_what_decides_what_ships(path: str) -> None:
    assert (ROOT / path).is_file(), f"{path} moved: update CODEOWNERS and this list"
    assert _codeowner(path), f"no code owner for {path}"


def test_codeowners_guard_the_data() -> None:
    assert _codeowner("data/train.csv") == ["@OWNER/ml-reviewers"]


def test_the_setup_guide_names_the_real_required_checks() -> None:
    """Branch protection needs the exact check names: "<caller job name> / <callee job name>"."""
    guide = (ROOT / "docs" / "ci-cd.md").read_text(encoding="utf-8")
    for job in DOCS["pull-request.yml"]["jobs"].values():
        callee = load(local_target(job["uses"]))  # type: ignore[arg-type]
        for callee_job in callee["jobs"].values():
            assert f"`{job['name']} / {callee_job['name']}`" in guide


def _ci_cd_section() -> str:
    return (ROOT / "docs" / "ci-cd.md").read_text(encoding="utf-8")


def test_the_guide_says_where_dollar_slash_resolves_and_what_it_needs() -> None:
    """`$/` is the repository holding the workflow file, at the running commit: a caller from another repository
    gets this template's setup action, and old runners or GitHub Enterprise Server lack it."""
    text = " ".join(_ci_cd_section().split())
    assert "run its `Makefile`, `scripts/` and `.github/actions/setup`" not in text
    assert "a caller in another repository gets this template's setup action" in text
    assert "runner 2.336.0 or later" in text and "GitHub Enterprise Server" in text


def test_the_guide_documents_every_variable_the_entry_workflows_read() -> None:
    text = _ci_cd_section()
    used = set()
    for path in WORKFLOW_FILES:
        used |= set(re.findall(r"vars\.([A-Z_]+)", path.read_text(encoding="utf-8")))
    assert used >= {"MLCI_RUNS_ON", "MLCI_SIGNING", "DRIFT_REFERENCE"}
    for name in used:
        assert f"`{name}`" in text, name


def test_the_guide_says_what_holds_on_which_plan() -> None:
    text = " ".join(_ci_cd_section().split())
    assert "## What holds on which plan" in _ci_cd_section()
    assert "public Rekor log" in text and "Enterprise Cloud" in text
    assert "Where required reviewers are unavailable" in text


def test_a_failing_setup_cml_never_fails_the_report_job_and_the_summary_comes_first() -> None:
    """setup-cml is a node16 action that fetches cml unauthenticated: its failure must not fail the job. The job
    summary is written before it, and the comment is posted by the project's own poster (REST API, the bot's own
    comment with the marker), which needs no cml."""
    steps = DOCS["report.yml"]["jobs"]["report"]["steps"]
    runs = [str(s.get("run", s.get("uses", ""))) for s in steps]
    cml = next(i for i, r in enumerate(runs) if r.startswith("iterative/setup-cml@"))
    summary = runs.index("scripts/post_report.py summary artifacts/report.md")
    comment = next(i for i, r in enumerate(runs) if r.startswith("scripts/post_report.py comment"))
    assert steps[cml]["continue-on-error"] is True
    assert summary < cml < comment and steps[summary]["if"] == "${{ !cancelled() }}"
    assert '--pr-number "$PR_NUMBER"' in runs[comment]
    assert steps[comment]["env"]["PR_NUMBER"] == "${{ inputs.pr-number }}"
    assert steps[comment]["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    fork_uses = [str(s.get("uses", "")) for s in DOCS["fork-report.yml"]["jobs"]["post"]["steps"]]
    assert not any(u.startswith("iterative/setup-cml@") for u in fork_uses), "a fork's report has no images to host"


def test_the_drift_issue_is_written_through_the_poster_that_checks_its_author() -> None:
    step = next(s for s in DOCS["drift.yml"]["jobs"]["drift"]["steps"] if s.get("run") == "scripts/drift-check.sh")
    assert step["env"]["GITHUB_TOKEN"] == "${{ github.token }}" and step["env"]["DRIFT_LABEL"] == "mlci-drift"
    script = (ROOT / "scripts" / "drift-check.sh").read_text(encoding="utf-8")
    assert 'post_report.py" sticky-issue' in script and "gh issue list" not in script
