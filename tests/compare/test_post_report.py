"""scripts/post_report.py: job summary, sticky comment via cml, and the fork bundle/validate/post flow."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mlci.report import MARKER

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "post_report.py"
GOOD = f"{MARKER}\n**mlci: no significant change** · gate **passed**\n\n| a | b |\n|---|---|\n| 1 &lt; 2 | x |\n"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("post_report", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


post = _load()


def test_the_standalone_script_agrees_with_mlci_report() -> None:
    """The script runs without mlci installed (fork poster), so it keeps its own copies: they must match."""
    from mlci.config.report import GITHUB_COMMENT_LIMIT

    assert post.MARKER == MARKER and post.MAX_CHARS == GITHUB_COMMENT_LIMIT


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.md"
    path.write_text(GOOD, encoding="utf-8")
    return path


@pytest.fixture
def fake_cml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `cml` on PATH that records its arguments and environment, exiting with $FAKE_CML_EXIT."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "cml.log"
    script = folder / "cml"
    script.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + ' DNT=' + os.environ.get('ITERATIVE_DO_NOT_TRACK', '') + '\\n')\n"
        "print('https://github.com/o/r/pull/7#issuecomment-1')\n"
        "sys.exit(int(os.environ.get('FAKE_CML_EXIT', '0')))\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GITHUB_TOKEN", "token-for-tests")
    return log


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x" * 70_000 + MARKER, "over GitHub's limit"),
        ("no marker", "lacks the <!-- mlci-report --> marker"),
        (MARKER + "\n<img src=x>", "raw HTML"),
        (MARKER + "\n<details>", "raw HTML"),
        (MARKER + "\n![plot](plots/roc.png)", "contains an image"),
        (MARKER + "\nbell \x07", "control characters"),
    ],
)
def test_only_plain_markdown_reports_pass(text: str, problem: str) -> None:
    with pytest.raises(post.Invalid, match=problem.replace("(", r"\(")):
        post.check_report(text)


def test_images_pass_only_when_allowed() -> None:
    post.check_report(MARKER + "\n![plot](plots/roc.png)", allow_images=True)


@pytest.mark.parametrize("raw", ["0", "-3", "12a", "1 2", "", "99999999999", "७"])
def test_pr_numbers_must_be_positive_integers(raw: str) -> None:
    with pytest.raises(post.Invalid, match="not a positive integer"):
        post.parse_pr_number(raw)


def test_summary_appends_to_the_job_summary(report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert post.main(["summary", str(report)]) == 0
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + GOOD


def test_summary_outside_actions_warns_and_prints(
    report: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert post.main(["summary", str(report)]) == 0
    out = capsys.readouterr()
    assert "::warning" in out.err and GOOD in out.out


def test_comment_calls_cml_update_with_the_watermark_and_no_uploads(report: Path, fake_cml: Path) -> None:
    assert post.main(["comment", str(report)]) == 0
    assert (
        fake_cml.read_text()
        == f"comment update --target=pr --watermark-title=mlci-report --no-publish {report} DNT=1\n"
    )


def test_comment_publishes_only_a_report_that_embeds_images(tmp_path: Path, fake_cml: Path) -> None:
    with_images = tmp_path / "report.md"
    with_images.write_text(GOOD + "\n![ROC](plots/roc_curve.png)\n", encoding="utf-8")
    assert post.main(["comment", str(with_images)]) == 0
    assert "--publish " in fake_cml.read_text()


def test_posting_failures_warn_and_only_strict_fails(
    report: Path, fake_cml: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_CML_EXIT", "1")
    assert post.main(["comment", str(report)]) == 0
    assert "::warning title=mlci report::cml comment update exited 1" in capsys.readouterr().err
    assert post.main(["comment", str(report), "--strict"]) == 1


def test_missing_token_or_cml_warns(
    report: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("REPO_TOKEN", raising=False)
    assert post.main(["comment", str(report)]) == 0
    assert "no REPO_TOKEN or GITHUB_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    monkeypatch.setenv("PATH", "")
    assert post.main(["comment", str(report), "--strict"]) == 1
    assert "`cml` is not on PATH" in capsys.readouterr().err


def test_a_bad_report_is_refused_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.md"
    path.write_bytes(b"\xff\xfe")
    assert post.main(["comment", str(path)]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err
    assert post.main(["comment", str(tmp_path / "none.md")]) == 2


def test_fork_bundle_validate_and_post(
    report: Path, tmp_path: Path, fake_cml: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "bundle"
    assert post.main(["bundle", str(report), "--pr-number", "17", "--out", str(bundle)]) == 0
    output = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert post.main(["validate", str(bundle)]) == 0
    assert output.read_text() == "pr-number=17\n"
    assert post.main(["fork-post", str(bundle)]) == 0
    assert "--target=pr/17 --watermark-title=mlci-report --no-publish" in fake_cml.read_text()
    capsys.readouterr()


def test_fork_bundles_with_extra_files_or_bad_numbers_are_refused(
    report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert post.main(["bundle", str(report), "--pr-number", "7; rm -rf /", "--out", str(tmp_path / "b")]) == 2
    bundle = tmp_path / "bundle"
    assert post.main(["bundle", str(report), "--pr-number", "7", "--out", str(bundle)]) == 0
    (bundle / "pr-number.txt").write_text("7\n8\n")
    assert post.main(["validate", str(bundle)]) == 2
    (bundle / "pr-number.txt").write_text("7\n")
    (bundle / "evil.sh").write_text("echo")
    assert post.main(["fork-post", str(bundle)]) == 2
    assert "expected exactly pr-number.txt and report.md" in capsys.readouterr().err


def test_fork_post_checks_the_pr_head_commit(
    report: Path, tmp_path: Path, fake_cml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "bundle"
    assert post.main(["bundle", str(report), "--pr-number", "5", "--out", str(bundle)]) == 0
    sha = "a" * 40
    monkeypatch.setattr(post, "github_get", lambda url, token: {"head": {"sha": sha}, "url": url})
    assert post.main(["fork-post", str(bundle), "--expect-head-sha", "b" * 40, "--strict"]) == 1
    assert not fake_cml.exists()
    assert post.main(["fork-post", str(bundle), "--expect-head-sha", "nope"]) == 2
    monkeypatch.setattr(post, "pr_head_matches", lambda number, expected: expected == sha)
    assert post.main(["fork-post", str(bundle), "--expect-head-sha", sha]) == 0
    assert "--target=pr/5" in fake_cml.read_text()


def test_pr_head_lookup_failures_do_not_post(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(url: str, token: str) -> dict[str, object]:
        raise OSError("offline")

    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    assert not post.pr_head_matches(3, "a" * 40, fetch=broken)
    seen: list[str] = []
    assert post.pr_head_matches(3, "a" * 40, fetch=lambda url, token: seen.append(url) or {"head": {"sha": "a" * 40}})
    assert seen == ["https://api.github.com/repos/o/r/pulls/3"]


@pytest.mark.parametrize("golden", sorted((Path(__file__).parent / "golden").glob("*.md")), ids=lambda p: p.stem)
def test_every_rendered_report_is_postable_from_a_fork(golden: Path) -> None:
    post.check_report(golden.read_text(encoding="utf-8"))
