"""The scripts the workflows call, run here with fake `gh`, `cosign` and `mlci` on PATH (they log their arguments
and answer from environment variables; `mlci records read` and `mlci image ref`, which only check, are the real
ones), and a real git and make for the baseline fallback."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from scriptkit import COMMIT, DIGEST, FakeIssues, Runner, artifact, attached_records, calls, git, outputs

# --- sign-image, verify-image --------------------------------------------------------------------------------------


def test_sign_image_signs_the_digest_never_a_tag(run_script: Runner, fakes: Path) -> None:
    assert run_script("sign-image.sh", IMAGE="ghcr.io/acme/model", DIGEST=DIGEST).returncode == 0
    assert calls(fakes) == [f"cosign sign --yes ghcr.io/acme/model@{DIGEST}"]
    assert run_script("sign-image.sh", IMAGE="ghcr.io/acme/model", DIGEST="latest").returncode == 2
    assert len(calls(fakes)) == 1


def _flag(line: str, flag: str) -> str:
    words = line.split()
    return words[words.index(flag) + 1]


SAN = "https://github.com/{repo}/.github/workflows/{workflow}@{ref}"


@pytest.mark.parametrize(
    ("repo", "workflow", "ref", "accepted"),
    [
        ("acme/my.model", "image.yml", "refs/heads/main", True),
        ("acme/my.model", "image.yml", "refs/heads/evil", False),  # a branch's run of an edited main.yml
        ("acme/my.model", "image.yml", "refs/heads/main-evil", False),
        ("acme/my.model", "image.yml", "refs/tags/v1", False),
        ("acme/my.model", "main.yml", "refs/heads/main", False),
        ("acme/myxmodel", "image.yml", "refs/heads/main", False),
        ("other/my.model", "image.yml", "refs/heads/main", False),
    ],
)
def test_verify_image_accepts_only_image_yml_of_main(
    run_script: Runner, fakes: Path, repo: str, workflow: str, ref: str, accepted: bool
) -> None:
    result = run_script("verify-image.sh", IMAGE="ghcr.io/acme/model", DIGEST=DIGEST, GITHUB_REPOSITORY="acme/my.model")
    assert result.returncode == 0, result.stderr
    cosign, gh = calls(fakes)
    identity = _flag(cosign, "--certificate-identity-regexp")
    assert bool(re.search(identity, SAN.format(repo=repo, workflow=workflow, ref=ref))) == accepted
    assert _flag(cosign, "--certificate-github-workflow-repository") == "acme/my.model"
    assert _flag(cosign, "--certificate-github-workflow-ref") == "refs/heads/main"
    assert _flag(cosign, "--certificate-github-workflow-trigger") == "push"
    assert gh.startswith(f"gh attestation verify oci://ghcr.io/acme/model@{DIGEST} --repo acme/my.model ")
    assert _flag(gh, "--signer-workflow") == "acme/my.model/.github/workflows/image.yml"
    assert _flag(gh, "--source-ref") == "refs/heads/main"


def test_verify_image_fails_when_the_signature_does_not_verify(run_script: Runner, fakes: Path) -> None:
    result = run_script(
        "verify-image.sh", IMAGE="ghcr.io/acme/model", DIGEST=DIGEST, GITHUB_REPOSITORY="acme/model", FAKE_EXIT="1"
    )
    assert result.returncode == 1
    assert [line.split()[0] for line in calls(fakes)] == ["cosign"], "no provenance check after a failed signature"


# --- fetch-baseline -----------------------------------------------------------------------------------------------


BASE = "ba5e" + "0" * 36


def test_fetch_baseline_prefers_the_base_commits_artifacts(run_script: Runner, fakes: Path) -> None:
    artifact(fakes, "mlci-artifacts-main", {"metrics.json": "{}"})
    result = run_script(
        "fetch-baseline.sh",
        BASELINE_COMMIT=BASE,
        GITHUB_SHA=COMMIT,
        FAKE_RUN_ID="123",
        FAKE_ARTIFACTS=str(fakes / "artifacts-store"),
        GITHUB_OUTPUT=str(fakes / "out"),
    )
    assert result.returncode == 0, result.stderr
    assert outputs(fakes / "out") == {
        "found": "true",
        "source": f"artifacts of main.yml run 123 for main at {BASE[:12]}",
        "dir": ".artifacts-baseline",
    }
    assert (fakes / ".artifacts-baseline" / "metrics.json").exists()
    assert f"gh run list --workflow main.yml --branch main --commit {BASE} --event push" in calls(fakes)[0]


@pytest.fixture
def main_repo(tmp_path: Path) -> Path:
    """A git repository: main has `base` (its Makefile's `run` writes $(OUT)/metrics.json saying so) and `newer`;
    the branch `pr` is checked out, with a commit of its own."""
    repo = tmp_path / "repo"
    repo.mkdir()

    def commit(text: str) -> None:
        (repo / "Makefile").write_text(f"run:\n\tmkdir -p $(OUT) && echo '{text}' > $(OUT)/metrics.json\n")
        git(repo, "add", "Makefile")
        git(repo, "commit", "-q", "-m", text)

    git(repo, "init", "-q", "-b", "main")
    commit('{"at": "base"}')
    git(repo, "tag", "base")
    commit('{"at": "newer"}')
    git(repo, "checkout", "-q", "-b", "pr", "base")
    commit('{"at": "pr"}')
    return repo


def test_fetch_baseline_retrains_the_base_commit(run_script: Runner, fakes: Path, main_repo: Path) -> None:
    base = git(main_repo, "rev-parse", "base")
    result = run_script(
        "fetch-baseline.sh", cwd=main_repo, BASELINE_COMMIT=base, FAKE_RUN_ID="", GITHUB_OUTPUT=str(fakes / "out")
    )
    assert result.returncode == 0, result.stderr
    found = outputs(fakes / "out")
    assert found["found"] == "true" and found["source"].startswith(f"main at {base[:12]} retrained")
    assert (main_repo / ".artifacts-baseline" / "metrics.json").read_text().strip() == '{"at": "base"}'
    assert len(git(main_repo, "worktree", "list").splitlines()) == 1, "the temporary worktree is removed"


SAMPLE = {"max_rows": 100000, "seed": 42, "file_rows": 1000000}
# A `make run` as mlci's: records the MLCI_SAMPLE it was given, and the sample in run.json ("off": none).
# `make run` of the base commit, faked: metrics.json, the MLCI_SAMPLE it was given, and the run.json of a run on
# that sample (RUNS/<ROWS:SEED>.json, RUNS/off.json for every row).
SAMPLING_RUN = """run:
\tmkdir -p $(OUT) && echo '{{}}' > $(OUT)/metrics.json && echo "$$MLCI_SAMPLE" > $(OUT)/mlci-sample.txt
\tcp {runs}/$$MLCI_SAMPLE.json $(OUT)/run.json
"""
# An mlci from before data.sample: ignores MLCI_SAMPLE and trains on every row.
UNSAMPLED_RUN = """run:
\tmkdir -p $(OUT) && echo '{{}}' > $(OUT)/metrics.json && cp {runs}/off.json $(OUT)/run.json
"""


def run_json(trained_run: Path, sample: dict[str, int] | None) -> str:
    """The session's real run.json, saying it trained on `sample` (None: every row)."""
    run = json.loads((trained_run / "run.json").read_text(encoding="utf-8"))
    run["data"].pop("sample", None)
    if sample:
        run["data"]["sample"] = sample
    return json.dumps(run)


def sampling_repo(tmp_path: Path, makefile: str, trained_run: Path) -> Path:
    """A repository whose base commit (main) has `makefile`, checked out on a pull request's commit, with the
    candidate's artifacts/ (trained on SAMPLE) next to it, as the report job has them."""
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "off.json").write_text(run_json(trained_run, None))
    (runs / f"{SAMPLE['max_rows']}:{SAMPLE['seed']}.json").write_text(run_json(trained_run, SAMPLE))
    repo = tmp_path / "sampling"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "Makefile").write_text(makefile.format(runs=runs))
    git(repo, "add", "Makefile")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "README").write_text("pr\n")
    git(repo, "add", "README")
    git(repo, "commit", "-q", "-m", "pr")
    (repo / "artifacts").mkdir()
    (repo / "artifacts" / "run.json").write_text(run_json(trained_run, SAMPLE))
    return repo


def fetch_from_main_run(run_script: Runner, fakes: Path, repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """fetch-baseline.sh in `repo` for its main, whose main.yml run 123 uploaded what the fake store holds."""
    return run_script(
        "fetch-baseline.sh",
        cwd=repo,
        BASELINE_COMMIT=git(repo, "rev-parse", "main"),
        FAKE_RUN_ID="123",
        FAKE_ARTIFACTS=str(fakes / "artifacts-store"),
        GITHUB_OUTPUT=str(fakes / "out"),
        **env,
    )


def test_fetch_baseline_retrains_main_on_the_pull_requests_sample(
    run_script: Runner, fakes: Path, trained_run: Path
) -> None:
    """main's artifacts are trained on every row: a sampled pull request gets main's code on the same sample."""
    repo = sampling_repo(fakes, SAMPLING_RUN, trained_run)
    base = git(repo, "rev-parse", "main")
    artifact(fakes, "mlci-artifacts-main", {"metrics.json": "{}", "run.json": run_json(trained_run, None)})
    result = fetch_from_main_run(run_script, fakes, repo, GITHUB_EVENT_NAME="pull_request")
    assert result.returncode == 0, result.stderr
    assert "trained on every row, this run on data.sample 100000:42" in result.stderr
    found = outputs(fakes / "out")
    assert found["found"] == "true"
    assert found["source"] == f"main at {base[:12]} retrained on the same data.sample as this run (100000:42)"
    baseline = repo / ".artifacts-baseline"
    assert (baseline / "mlci-sample.txt").read_text().strip() == "100000:42"
    assert json.loads((baseline / "run.json").read_text())["data"]["sample"] == SAMPLE


def test_fetch_baseline_takes_mains_artifact_trained_on_the_same_sample(
    run_script: Runner, fakes: Path, trained_run: Path
) -> None:
    repo = sampling_repo(fakes, SAMPLING_RUN, trained_run)
    artifact(fakes, "mlci-artifacts-main", {"metrics.json": "{}", "run.json": run_json(trained_run, SAMPLE)})
    result = fetch_from_main_run(run_script, fakes, repo)
    assert result.returncode == 0, result.stderr
    assert outputs(fakes / "out")["source"].startswith("artifacts of main.yml run 123")
    assert not (repo / ".artifacts-baseline" / "mlci-sample.txt").exists(), "nothing retrained"


def test_fetch_baseline_says_when_main_cannot_train_on_the_sample(
    run_script: Runner, fakes: Path, trained_run: Path
) -> None:
    repo = sampling_repo(fakes, UNSAMPLED_RUN, trained_run)
    base = git(repo, "rev-parse", "main")
    result = run_script(
        "fetch-baseline.sh", cwd=repo, BASELINE_COMMIT=base, FAKE_RUN_ID="", GITHUB_OUTPUT=str(fakes / "out")
    )
    assert result.returncode == 0, result.stderr
    assert "did not train on data.sample 100000:42" in result.stderr
    assert outputs(fakes / "out") == {
        "found": "true",
        "source": f"main at {base[:12]} retrained, but not on this run's data.sample (100000:42)",
        "dir": ".artifacts-baseline",
    }


def test_fetch_baseline_falls_back_when_the_artifact_expired(run_script: Runner, fakes: Path, main_repo: Path) -> None:
    result = run_script(
        "fetch-baseline.sh",
        cwd=main_repo,
        BASELINE_COMMIT=git(main_repo, "rev-parse", "base"),
        FAKE_RUN_ID="7",
        FAKE_ARTIFACTS=str(fakes / "none"),
        GITHUB_OUTPUT=str(fakes / "out"),
    )
    assert result.returncode == 0, result.stderr
    assert "expired?" in result.stderr
    assert "retrained" in outputs(fakes / "out")["source"]


def test_fetch_baseline_never_compares_a_commit_with_itself(run_script: Runner, fakes: Path, main_repo: Path) -> None:
    """On main the commit under test is main's newest commit: retraining 'main' would compare it with itself."""
    head = git(main_repo, "rev-parse", "HEAD")
    for env in ({"GITHUB_SHA": head}, {}):
        result = run_script(
            "fetch-baseline.sh", cwd=main_repo, BASELINE_COMMIT=head, GITHUB_OUTPUT=str(fakes / "out"), **env
        )
        assert result.returncode == 0, result.stderr
        assert outputs(fakes / "out")["found"] == "false"
        assert "never compared with itself" in outputs(fakes / "out")["source"]
        (fakes / "out").unlink()
    assert calls(fakes) == []


@pytest.mark.parametrize("before", ["", "0" * 40])
def test_fetch_baseline_without_a_base_commit_reports_no_baseline(
    run_script: Runner, fakes: Path, main_repo: Path, before: str
) -> None:
    result = run_script("fetch-baseline.sh", cwd=main_repo, BASELINE_COMMIT=before, GITHUB_OUTPUT=str(fakes / "out"))
    assert result.returncode == 0, result.stderr
    assert outputs(fakes / "out") == {
        "found": "false",
        "source": "none (no base commit: the first push to main)",
        "dir": "",
    }


def test_fetch_baseline_without_the_commit_here_reports_no_baseline(run_script: Runner, fakes: Path) -> None:
    git(fakes, "init", "-q", "-b", "first")
    result = run_script(
        "fetch-baseline.sh", BASELINE_COMMIT=BASE, FAKE_RUN_LIST_EXIT="1", GITHUB_OUTPUT=str(fakes / "out")
    )
    assert result.returncode == 0, result.stderr
    assert outputs(fakes / "out") == {"found": "false", "source": "none (no main model yet)", "dir": ""}
    assert "not in this checkout" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"), [({"BASELINE_DIR": "/"}, "folder of its own"), ({"BASELINE_COMMIT": "main"}, "40-hex")]
)
def test_fetch_baseline_refuses_bad_input(run_script: Runner, env: dict[str, str], message: str) -> None:
    result = run_script("fetch-baseline.sh", **env)
    assert result.returncode == 2 and message in result.stderr


# --- release-record and create-release ----------------------------------------------------------------------------


def records_of(commit: str, digest: str = DIGEST, image: str = "ghcr.io/acme/model") -> dict[str, str]:
    record = {"image": image, "digest": digest, "commit": commit}
    return {
        "image.json": json.dumps(record),
        "governance.json": "{}",
        "model_card.md": "# card\n",
        "sbom.spdx.json": "{}",
    }


@pytest.fixture
def main_run(fakes: Path) -> dict[str, str]:
    """A checkout (full history) whose origin/main has the commits `old` and COMMIT (its head), a branch `evil` off
    it, and the records image.yml attached to COMMIT's image in the registry (no run artifact: those expire).
    Returns the env for release-record.sh."""
    git(fakes, "init", "-q", "-b", "main")
    git(fakes, "commit", "-q", "--allow-empty", "-m", "old")
    git(fakes, "tag", "old")
    git(fakes, "commit", "-q", "--allow-empty", "-m", "head of main")
    git(fakes, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(fakes, "checkout", "-q", "-b", "evil")
    git(fakes, "commit", "-q", "--allow-empty", "-m", "edited workflow")
    git(fakes, "checkout", "-q", "main")
    commit = git(fakes, "rev-parse", "origin/main")
    attached_records(fakes, commit[:12], records_of(commit))
    return {
        "COMMIT": commit,
        "IMAGE": "ghcr.io/acme/model",
        "FAKE_RUN_ID": "99",
        "FAKE_RECORDS": str(fakes / "records-store"),
        "GITHUB_OUTPUT": str(fakes / "out"),
    }


def test_release_record_resolves_the_governed_digest(run_script: Runner, fakes: Path, main_run: dict[str, str]) -> None:
    result = run_script("release-record.sh", **main_run)
    assert result.returncode == 0, result.stderr
    assert outputs(fakes / "out") == {"image": "ghcr.io/acme/model", "digest": DIGEST, "run-id": "99"}
    assert {p.name for p in (fakes / ".release-record").iterdir()} == {
        "governance.json",
        "model_card.md",
        "image.json",
        "sbom.spdx.json",
    }
    commit = main_run["COMMIT"]
    assert f"--workflow main.yml --branch main --commit {commit} --event push --status success" in calls(fakes)[0]
    pull = f"mlci records pull --repository ghcr.io/acme/model --tag {commit[:12]} --out .release-record"
    assert pull in calls(fakes)
    assert not any(" run download " in f" {c} " for c in calls(fakes)), "no run artifact is read: they expire"


def test_release_record_reads_an_old_commit_whose_run_artifacts_expired(
    run_script: Runner, fakes: Path, main_run: dict[str, str]
) -> None:
    """The records live with the image in the registry: a commit released long after its run's artifacts expired
    (there are none in the store) is still released, and rolled back to."""
    old = git(fakes, "rev-parse", "old")
    attached_records(fakes, old[:12], records_of(old, "sha256:" + "cd" * 32))
    assert not (fakes / "artifacts-store").exists()
    result = run_script("release-record.sh", **{**main_run, "COMMIT": old, "ROLLBACK": "true"})
    assert result.returncode == 0, result.stderr
    assert outputs(fakes / "out")["digest"] == "sha256:" + "cd" * 32


def test_release_record_refuses_an_image_without_records(
    run_script: Runner, fakes: Path, main_run: dict[str, str]
) -> None:
    old = git(fakes, "rev-parse", "old")
    result = run_script("release-record.sh", **{**main_run, "COMMIT": old})
    assert result.returncode == 1 and "has no release records attached" in result.stderr
    assert f"cannot read the release records of ghcr.io/acme/model:{old[:12]}" in result.stderr


@pytest.mark.parametrize("image", ["", "GHCR.io/Acme/Model", "ghcr.io"])
def test_release_record_refuses_a_bad_image_repository(
    run_script: Runner, main_run: dict[str, str], image: str
) -> None:
    result = run_script("release-record.sh", **{**main_run, "IMAGE": image})
    assert result.returncode == 2 and "repository must be a lower-case HOST/PATH image repository" in result.stderr


def test_release_record_refuses_a_commit_that_is_not_on_main(
    run_script: Runner, fakes: Path, main_run: dict[str, str]
) -> None:
    """A branch's push run of an edited main.yml could skip governance and still build and sign an image."""
    evil = git(fakes, "rev-parse", "evil")
    attached_records(fakes, evil[:12], records_of(evil))
    result = run_script("release-record.sh", **{**main_run, "COMMIT": evil})
    assert result.returncode == 1 and "is not on main" in result.stderr
    assert calls(fakes) == [], "no run of another branch is even looked up"
    unknown = run_script("release-record.sh", **{**main_run, "COMMIT": "d" * 40})
    assert unknown.returncode == 1 and "is not on main" in unknown.stderr


def test_release_record_needs_the_full_history(run_script: Runner, fakes: Path, main_run: dict[str, str]) -> None:
    git(fakes, "update-ref", "-d", "refs/remotes/origin/main")
    result = run_script("release-record.sh", **main_run)
    assert result.returncode == 2 and "fetch-depth: 0" in result.stderr


def test_release_record_refuses_a_commit_without_a_successful_main_run(
    run_script: Runner, main_run: dict[str, str]
) -> None:
    result = run_script("release-record.sh", **{**main_run, "FAKE_RUN_ID": ""})
    assert result.returncode == 1 and "no successful main.yml run" in result.stderr


def test_release_record_refuses_a_record_for_another_commit(
    run_script: Runner, fakes: Path, main_run: dict[str, str]
) -> None:
    old = git(fakes, "rev-parse", "old")
    attached_records(fakes, old[:12], records_of(main_run["COMMIT"]))
    result = run_script("release-record.sh", **{**main_run, "COMMIT": old})
    assert result.returncode == 1 and f"is for commit {main_run['COMMIT']}, not {old}" in result.stderr


def test_release_record_refuses_a_record_of_another_repository(
    run_script: Runner, fakes: Path, main_run: dict[str, str]
) -> None:
    commit = main_run["COMMIT"]
    attached_records(fakes, commit[:12], records_of(commit, image="ghcr.io/other/model"))
    result = run_script("release-record.sh", **main_run)
    assert result.returncode == 1 and "names ghcr.io/other/model, not ghcr.io/acme/model" in result.stderr


@pytest.mark.parametrize("commit", ["", "main", "abc123", COMMIT.upper()])
def test_release_record_refuses_a_malformed_commit(run_script: Runner, main_run: dict[str, str], commit: str) -> None:
    result = run_script("release-record.sh", **{**main_run, "COMMIT": commit})
    assert result.returncode == 2 and "full 40-hex" in result.stderr


def test_release_record_refuses_going_back_unless_rollback(
    run_script: Runner, fakes: Path, main_run: dict[str, str]
) -> None:
    git(fakes, "tag", "model-new", "origin/main")
    old = git(fakes, "rev-parse", "old")
    attached_records(fakes, old[:12], records_of(old))
    env = {**main_run, "COMMIT": old, "FAKE_LATEST_RELEASE": "model-new"}
    refused = run_script("release-record.sh", **env)
    assert refused.returncode == 1 and "older than the latest release model-new" in refused.stderr
    allowed = run_script("release-record.sh", ROLLBACK="true", **env)
    assert allowed.returncode == 0, allowed.stderr


@pytest.fixture
def record_dir(fakes: Path) -> Path:
    folder = fakes / ".release-record"
    folder.mkdir()
    for name in ("model_card.md", "governance.json", "image.json"):
        (folder / name).write_text("{}\n")
    return folder


def test_create_release_creates_a_tagged_release_with_the_records(
    run_script: Runner, fakes: Path, record_dir: Path
) -> None:
    result = run_script("create-release.sh", COMMIT=COMMIT, IMAGE="ghcr.io/acme/model", DIGEST=DIGEST)
    assert result.returncode == 0, result.stderr
    create = calls(fakes)[-1]
    assert create.startswith(f"gh release create model-{COMMIT[:12]} --target {COMMIT}")
    assert "--latest=false" not in create
    assert all(f"{record_dir.name}/{name}" in create for name in ("model_card.md", "governance.json", "image.json"))


def test_create_release_for_a_rollback_is_not_latest(run_script: Runner, fakes: Path, record_dir: Path) -> None:
    assert run_script("create-release.sh", COMMIT=COMMIT, ROLLBACK="true").returncode == 0
    assert "--latest=false" in calls(fakes)[-1]


def test_create_release_reuses_an_existing_release(run_script: Runner, fakes: Path, record_dir: Path) -> None:
    result = run_script(
        "create-release.sh", COMMIT=COMMIT, ROLLBACK="true", FAKE_EXISTING_RELEASES=f"model-{COMMIT[:12]}"
    )
    assert result.returncode == 0, result.stderr
    assert calls(fakes)[-1].startswith(f"gh release upload model-{COMMIT[:12]}") and "--clobber" in calls(fakes)[-1]


def test_create_release_refuses_an_incomplete_record(run_script: Runner, fakes: Path, record_dir: Path) -> None:
    (record_dir / "governance.json").unlink()
    result = run_script("create-release.sh", COMMIT=COMMIT)
    assert result.returncode == 2 and "governance.json" in result.stderr
    assert calls(fakes) == []


# --- drift-check --------------------------------------------------------------------------------------------------


def test_drift_check_without_a_reference_skips(run_script: Runner, fakes: Path) -> None:
    result = run_script("drift-check.sh", REFERENCE="")
    assert result.returncode == 0 and "::notice::drift check skipped" in result.stdout
    assert calls(fakes) == []


def test_drift_check_without_drift_files_nothing(run_script: Runner, fakes: Path) -> None:
    assert run_script("drift-check.sh", REFERENCE="ref.csv").returncode == 0
    assert calls(fakes) == ["mlci check drift --reference ref.csv"]


def drift_env(fake_issues: FakeIssues) -> dict[str, str]:
    return {
        "REFERENCE": "ref.csv",
        "FAKE_EXIT": "1",
        "GITHUB_TOKEN": "t",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_API_URL": fake_issues.url,
    }


def test_drift_opens_one_labelled_issue(run_script: Runner, fakes: Path, fake_issues: FakeIssues) -> None:
    (fakes / "artifacts" / "checks").mkdir(parents=True)
    (fakes / "artifacts" / "checks" / "drift.json").write_text('{"suite": "drift"}')
    env = {
        **drift_env(fake_issues),
        "FAKE_STDOUT": "drift: 1 of 3 checks failed",
        "RUN_URL": "https://example.invalid/run/1",
    }
    result = run_script("drift-check.sh", **env)
    assert result.returncode == 1 and "opened or updated issue #41" in result.stderr
    log = calls(fakes)
    assert log[1].startswith("gh label create mlci-drift")
    [(method, path, issue)] = fake_issues.writes
    assert (method, path, issue["title"], issue["labels"]) == (
        "POST",
        "/repos/o/r/issues",
        "Data drift detected",
        ["mlci-drift"],
    )
    body = issue["body"]
    assert "drift: 1 of 3 checks failed" in body and '{"suite": "drift"}' in body
    assert "https://example.invalid/run/1" in body and body.startswith("<!-- mlci-drift -->")


def test_drift_updates_the_bots_open_issue_and_never_a_persons(
    run_script: Runner, fakes: Path, fake_issues: FakeIssues
) -> None:
    fake_issues.open = [
        {"number": 9, "user": {"login": "alice"}, "body": "<!-- mlci-drift -->\nthe check is wrong"},
        {"number": 17, "user": {"login": "github-actions[bot]"}, "body": "<!-- mlci-drift -->\nlast week"},
    ]
    result = run_script("drift-check.sh", **drift_env(fake_issues), RUN_URL="https://example.invalid/run/2")
    assert result.returncode == 1
    writes = [(method, path) for method, path, _ in fake_issues.writes]
    assert writes == [("PATCH", "/repos/o/r/issues/17"), ("POST", "/repos/o/r/issues/17/comments")]
    assert fake_issues.writes[1][2] == {"body": "Drift found again: https://example.invalid/run/2"}
    assert not any("gh issue" in line for line in calls(fakes)), "no gh issue list: it cannot tell who wrote an issue"


def test_drift_check_bad_input_files_no_issue(run_script: Runner, fakes: Path) -> None:
    result = run_script("drift-check.sh", REFERENCE="missing.csv", FAKE_EXIT="2")
    assert result.returncode == 2 and "no issue filed" in result.stderr
    assert calls(fakes) == ["mlci check drift --reference missing.csv"]


def test_coverage_summary_without_data_says_so(run_script: Runner, fakes: Path) -> None:
    assert run_script("coverage-summary.sh", GITHUB_STEP_SUMMARY=str(fakes / "summary.md")).returncode == 0
    assert "No coverage data" in (fakes / "summary.md").read_text()


def test_verify_image_checks_the_calling_repository_as_signer_when_named(run_script: Runner, fakes: Path) -> None:
    """image.yml called from platform/mlci: both checks name that repository's workflow as the signer."""
    env = {"IMAGE": "ghcr.io/acme/model", "DIGEST": DIGEST, "GITHUB_REPOSITORY": "acme/model"}
    result = run_script("verify-image.sh", SIGNER_REPOSITORY="platform/mlci", SIGNER_REF="refs/tags/v1", **env)
    assert result.returncode == 0, result.stderr
    cosign, gh = calls(fakes)
    identity = _flag(cosign, "--certificate-identity-regexp")
    assert re.search(identity, SAN.format(repo="platform/mlci", workflow="image.yml", ref="refs/tags/v1"))
    assert not re.search(identity, SAN.format(repo="platform/mlci", workflow="image.yml", ref="refs/heads/dev"))
    assert not re.search(identity, SAN.format(repo="acme/model", workflow="image.yml", ref="refs/tags/v1"))
    assert _flag(cosign, "--certificate-github-workflow-repository") == "acme/model"
    assert _flag(gh, "--repo") == "acme/model"
    assert _flag(gh, "--signer-workflow") == "platform/mlci/.github/workflows/image.yml"
    assert _flag(gh, "--source-ref") == "refs/heads/main"
