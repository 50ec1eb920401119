"""The fork poster on GitHub: it can check out on a private repository, handles only completed runs, treats a run
without a report as a notice, and a report with plots (report.publish_images) still reaches a fork's PR."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from workflow_policy import ROOT, WORKFLOWS, load, steps_of

DOCS = {path.name: load(path) for path in sorted(WORKFLOWS.glob("*.yml"))}
MARKER = "<!-- mlci-report -->"


def _post_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("post_report_under_test", ROOT / "scripts" / "post_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


post = _post_report()


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_job_that_checks_out_may_read_the_repository(name: str) -> None:
    """On a private repository a token without contents: read cannot clone, whatever the trigger."""
    for job_id, job in DOCS[name]["jobs"].items():
        if any(str(s.get("uses", "")).startswith("actions/checkout@") for s in job.get("steps", [])):
            assert (job.get("permissions") or {}).get("contents") in ("read", "write"), f"{name}:{job_id}"


def test_the_fork_poster_handles_completed_runs_only() -> None:
    doc = DOCS["fork-report.yml"]
    assert doc["on"]["workflow_run"]["types"] == ["completed"]
    condition = doc["jobs"]["post"]["if"]
    assert "github.event.workflow_run.status == 'completed'" in condition
    assert "github.event.workflow_run.conclusion != 'cancelled'" in condition


def test_the_fork_poster_posts_only_a_report_the_run_uploaded() -> None:
    steps = [step for _, step in steps_of(DOCS["fork-report.yml"])]
    find = next(i for i, s in enumerate(steps) if "find-bundle" in str(s.get("run", "")))
    assert steps[find]["id"] == "bundle"
    assert "--name mlci-report" in steps[find]["run"]
    for step in steps[find + 1 :]:
        assert step.get("if") == "${{ steps.bundle.outputs.found == 'true' }}", step["name"]


@pytest.mark.parametrize(
    ("listing", "found"),
    [
        ({"artifacts": [{"name": "mlci-report", "expired": False}]}, "true"),
        ({"artifacts": [{"name": "mlci-report", "expired": True}]}, "false"),
        ({"artifacts": []}, "false"),
        ({}, "false"),
    ],
)
def test_find_bundle_says_whether_there_is_a_report(
    listing: dict[str, Any],
    found: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: list[str] = []
    monkeypatch.setattr(post, "github_get", lambda url, token: seen.append(url) or listing)
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
    assert post.main(["find-bundle", "--run-id", "42", "--name", "mlci-report"]) == 0
    assert (tmp_path / "out").read_text() == f"found={found}\n"
    assert seen == ["https://api.github.com/repos/o/r/actions/runs/42/artifacts?name=mlci-report&per_page=100"]
    assert ("::notice" in capsys.readouterr().out) == (found == "false")


def test_find_bundle_outage_is_a_warning_not_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(url: str, token: str) -> dict[str, object]:
        raise OSError("offline")

    monkeypatch.setattr(post, "github_get", offline)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
    assert post.main(["find-bundle", "--run-id", "42", "--name", "mlci-report"]) == 0
    assert (tmp_path / "out").read_text() == "found=false\n"
    assert post.main(["find-bundle", "--run-id", "42; rm", "--name", "mlci-report"]) == 2


def test_a_report_with_plots_is_bundled_without_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """report.publish_images embeds plots; the PR run's bundle step must not refuse the report it asked for."""
    report = tmp_path / "report.md"
    report.write_text(f"{MARKER}\n**gate passed**\n\n![ROC](plots/roc_curve.png)\n\nafter ![x\n", encoding="utf-8")
    bundle = tmp_path / "bundle"
    assert post.main(["bundle", str(report), "--pr-number", "9", "--out", str(bundle)]) == 0
    assert "1 image(s) left out" in capsys.readouterr().out
    text = (bundle / "report.md").read_text(encoding="utf-8")
    assert "plots/roc_curve.png" not in text and "**gate passed**" in text and "plot left out" in text
    assert post.main(["validate", str(bundle)]) == 0
