"""scripts/post_report.py: job summary, the sticky comment and drift issue through a fake GitHub REST API (every
page read, only the bot's own comment or issue edited), cml only hosting images, and the fork bundle flow."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import stat
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mlci.comparison.report import MARKER

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


# --- the sticky comment through a fake GitHub REST API --------------------------------------------------------------


class FakeGitHub:
    """Issues and comments of o/r, served two per page (with GitHub's Link header) so pagination is exercised."""

    PAGE = 2

    def __init__(self) -> None:
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.issues: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.fail = False

    def comment(self, number: int, login: str, body: str) -> dict[str, Any]:
        item = {
            "id": len(self.requests) * 1000 + sum(map(len, self.comments.values())) + 1,
            "user": {"login": login},
            "body": body,
            "created_at": f"2026-01-01T00:00:{sum(map(len, self.comments.values())):02d}Z",
        }
        item["html_url"] = f"https://github.test/o/r/pull/{number}#issuecomment-{item['id']}"
        self.comments.setdefault(number, []).append(item)
        return item

    def issue(self, login: str, body: str, labels: list[str], pull: bool = False) -> dict[str, Any]:
        item = {
            "number": 100 + len(self.issues),
            "user": {"login": login},
            "body": body,
            "state": "open",
            "labels": [{"name": n} for n in labels],
            **({"pull_request": {}} if pull else {}),
        }
        self.issues.append(item)
        return item


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any, link: str = "") -> None:
            blob = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if link:
                self.send_header("Link", link)
            self.end_headers()
            self.wfile.write(blob)

        def _page(self, items: list[dict[str, Any]]) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            page = int(query.get("page", ["1"])[0])
            chunk = items[(page - 1) * fake.PAGE : page * fake.PAGE]
            query["page"] = [str(page + 1)]
            after = f"{BASE}{url.path}?{urllib.parse.urlencode(query, doseq=True)}"
            more = page * fake.PAGE < len(items)
            self._answer(200, chunk, f'<{after}>; rel="next", <{BASE}{url.path}?page=9>; rel="last"' if more else "")

        def _body(self) -> dict[str, Any]:
            return dict(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

        def do_GET(self) -> None:
            fake.requests.append(f"GET {self.path}")
            path = urllib.parse.urlsplit(self.path).path
            if fake.fail:
                return self._answer(502, {"message": "Bad Gateway"})
            if m := re.fullmatch(r"/repos/o/r/issues/(\d+)/comments", path):
                return self._page(fake.comments.get(int(m.group(1)), []))
            if path == "/repos/o/r/issues":
                label = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["labels"][0]
                return self._page([i for i in fake.issues if label in [x["name"] for x in i["labels"]]])
            return self._answer(404, {"message": "Not Found"})

        def do_POST(self) -> None:
            fake.requests.append(f"POST {self.path}")
            body = self._body()
            if m := re.fullmatch(r"/repos/o/r/issues/(\d+)/comments", self.path):
                return self._answer(201, fake.comment(int(m.group(1)), "github-actions[bot]", body["body"]))
            if self.path == "/repos/o/r/issues":
                return self._answer(201, fake.issue("github-actions[bot]", body["body"], body["labels"]))
            return self._answer(404, {"message": "Not Found"})

        def do_PATCH(self) -> None:
            fake.requests.append(f"PATCH {self.path}")
            body = self._body()
            everything = [c for cs in fake.comments.values() for c in cs]
            if m := re.fullmatch(r"/repos/o/r/issues/comments/(\d+)", self.path):
                item = next(c for c in everything if c["id"] == int(m.group(1)))
            elif m := re.fullmatch(r"/repos/o/r/issues/(\d+)", self.path):
                item = next(i for i in fake.issues if i["number"] == int(m.group(1)))
            else:
                return self._answer(404, {"message": "Not Found"})
            item["body"] = body["body"]
            return self._answer(200, item)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    BASE = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("GITHUB_API_URL", BASE)
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GITHUB_TOKEN", "token-for-tests")
    monkeypatch.delenv("MLCI_BOT_LOGIN", raising=False)
    yield fake
    server.shutdown()
    server.server_close()


def test_comment_is_created_once_then_edited(report: Path, github: FakeGitHub) -> None:
    assert post.main(["comment", str(report), "--pr-number", "7"]) == 0
    assert post.main(["comment", str(report), "--pr-number", "7"]) == 0
    assert [c["body"] for c in github.comments[7]] == [GOOD]
    assert [r.split()[0] for r in github.requests if not r.startswith("GET")] == ["POST", "PATCH"]


def test_the_bots_comment_is_found_on_a_later_page_and_a_persons_is_never_edited(
    report: Path, github: FakeGitHub
) -> None:
    person = github.comment(7, "alice", f"I quote the report: {MARKER} looks wrong")
    for n in range(3):
        github.comment(7, "bob", f"review {n}")
    bot = github.comment(7, "github-actions[bot]", f"{MARKER}\nold report")
    github.comment(7, "carol", "lgtm")
    assert post.main(["comment", str(report), "--pr-number", "7"]) == 0
    assert bot["body"] == GOOD and person["body"].startswith("I quote the report")
    assert len(github.comments[7]) == 6, "no second comment"
    pages = [r for r in github.requests if r.startswith("GET")]
    assert len(pages) == 3, pages  # 6 comments, two per page: every page read


def test_a_persons_marked_comment_alone_gets_a_new_bot_comment(report: Path, github: FakeGitHub) -> None:
    person = github.comment(7, "alice", MARKER)
    bot_like = github.comment(7, "github-actions", f"{MARKER}\nnot the bot: a user named like it")
    assert post.main(["comment", str(report), "--pr-number", "7"]) == 0
    assert person["body"] == MARKER and bot_like["body"].endswith("like it")
    assert github.comments[7][-1]["user"]["login"] == "github-actions[bot]" and github.comments[7][-1]["body"] == GOOD


def test_a_token_owner_other_than_the_bot_is_named(
    report: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = github.comment(7, "release-bot", f"{MARKER}\nold")
    monkeypatch.setenv("MLCI_BOT_LOGIN", "release-bot")
    assert post.main(["comment", str(report), "--pr-number", "7"]) == 0
    assert mine["body"] == GOOD


def test_without_cml_the_images_are_left_out_and_the_comment_still_goes_out(
    tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """setup-cml failed (or is absent): the project's own poster still posts, without the images."""
    with_images = tmp_path / "report.md"
    with_images.write_text(GOOD + "\n![ROC](plots/roc_curve.png)\n", encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert post.main(["comment", str(with_images), "--pr-number", "7", "--strict"]) == 0
    body = github.comments[7][0]["body"]
    assert "![" not in body and post.IMAGE_UNHOSTED in body and body.startswith(MARKER)
    assert "could not be hosted" in capsys.readouterr().err


def test_with_cml_the_images_are_hosted_and_linked(tmp_path: Path, github: FakeGitHub, fake_cml: Path) -> None:
    with_images = tmp_path / "report.md"
    with_images.write_text(GOOD + "\n![ROC](plots/roc_curve.png)\n", encoding="utf-8")
    assert post.main(["comment", str(with_images), "--pr-number", "7"]) == 0
    assert fake_cml.read_text() == f"asset publish {tmp_path / 'plots' / 'roc_curve.png'} DNT=1\n"
    assert "![ROC](https://github.com/o/r/pull/7#issuecomment-1)" in github.comments[7][0]["body"]


def test_a_report_without_images_never_calls_cml(report: Path, github: FakeGitHub, fake_cml: Path) -> None:
    assert post.main(["comment", str(report), "--pr-number", "7"]) == 0
    assert not fake_cml.exists()


def test_posting_failures_warn_and_only_strict_fails(
    report: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    github.fail = True
    assert post.main(["comment", str(report), "--pr-number", "7"]) == 0
    assert "::warning title=mlci report::posting the comment on #7 failed" in capsys.readouterr().err
    assert post.main(["comment", str(report), "--pr-number", "7", "--strict"]) == 1


def test_missing_token_warns(report: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("REPO_TOKEN", raising=False)
    assert post.main(["comment", str(report), "--pr-number", "7"]) == 0
    assert "no GITHUB_TOKEN (or REPO_TOKEN)" in capsys.readouterr().err
    assert post.main(["comment", str(report), "--pr-number", "7", "--strict"]) == 1


def test_a_bad_report_is_refused_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.md"
    path.write_bytes(b"\xff\xfe")
    assert post.main(["comment", str(path), "--pr-number", "7"]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err
    assert post.main(["comment", str(tmp_path / "none.md"), "--pr-number", "7"]) == 2
    assert post.main(["comment", str(path), "--pr-number", "7; rm"]) == 2


def test_fork_bundle_validate_and_post(
    report: Path,
    tmp_path: Path,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bundle = tmp_path / "bundle"
    assert post.main(["bundle", str(report), "--pr-number", "17", "--out", str(bundle)]) == 0
    output = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert post.main(["validate", str(bundle)]) == 0
    assert output.read_text() == "pr-number=17\n"
    assert post.main(["fork-post", str(bundle)]) == 0
    assert [c["body"] for c in github.comments[17]] == [GOOD]
    capsys.readouterr()


# --- the drift issue ------------------------------------------------------------------------------------------------

DRIFT = "<!-- mlci-drift -->\nDrift against `ref.csv`.\n"


@pytest.fixture
def drift_body(tmp_path: Path) -> Path:
    path = tmp_path / "body.md"
    path.write_text(DRIFT, encoding="utf-8")
    return path


def sticky_issue(body: Path) -> int:
    return int(
        post.main(["sticky-issue", str(body), "--label", "mlci-drift", "--title", "Data drift", "--again", "again"])
    )


def test_the_drift_issue_is_opened_once_then_updated(drift_body: Path, github: FakeGitHub) -> None:
    assert sticky_issue(drift_body) == 0
    assert [(i["number"], i["labels"]) for i in github.issues] == [(100, [{"name": "mlci-drift"}])]
    drift_body.write_text(DRIFT + "week 2\n", encoding="utf-8")
    assert sticky_issue(drift_body) == 0
    assert len(github.issues) == 1 and github.issues[0]["body"].endswith("week 2\n")
    assert [c["body"] for c in github.comments[100]] == ["again"]


def test_a_persons_drift_issue_is_never_overwritten(drift_body: Path, github: FakeGitHub) -> None:
    """People file issues with the label (and may quote the marker); pull requests carry labels too. The bot's
    own issue, on the third page, is the one updated."""
    person = github.issue("alice", "<!-- mlci-drift -->\nI think the drift check is wrong", ["mlci-drift"])
    github.issue("github-actions[bot]", "<!-- mlci-drift -->\na pull request", ["mlci-drift"], pull=True)
    for n in range(2):
        github.issue("bob", f"question {n}", ["mlci-drift"])
    bot = github.issue("github-actions[bot]", DRIFT, ["mlci-drift"])
    drift_body.write_text(DRIFT + "new\n", encoding="utf-8")
    assert sticky_issue(drift_body) == 0
    assert bot["body"].endswith("new\n") and person["body"].endswith("is wrong")
    assert len(github.issues) == 5 and github.comments[bot["number"]][0]["body"] == "again"


def test_with_only_a_persons_issue_the_bot_opens_its_own(drift_body: Path, github: FakeGitHub) -> None:
    person = github.issue("alice", DRIFT, ["mlci-drift"])
    assert sticky_issue(drift_body) == 0
    assert person["body"] == DRIFT and person["number"] not in github.comments
    assert github.issues[-1]["user"]["login"] == "github-actions[bot]" and len(github.issues) == 2


def test_a_drift_body_without_a_marker_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "body.md"
    body.write_text("Drift!\n", encoding="utf-8")
    assert sticky_issue(body) == 2
    assert "must be the issue's marker" in capsys.readouterr().err


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
    report: Path, tmp_path: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "bundle"
    assert post.main(["bundle", str(report), "--pr-number", "5", "--out", str(bundle)]) == 0
    sha = "a" * 40
    monkeypatch.setattr(post, "github_get", lambda url, token: {"head": {"sha": sha}, "url": url})
    assert post.main(["fork-post", str(bundle), "--expect-head-sha", "b" * 40, "--strict"]) == 1
    assert 5 not in github.comments
    assert post.main(["fork-post", str(bundle), "--expect-head-sha", "nope"]) == 2
    monkeypatch.setattr(post, "pr_head_matches", lambda number, expected: expected == sha)
    assert post.main(["fork-post", str(bundle), "--expect-head-sha", sha]) == 0
    assert [c["body"] for c in github.comments[5]] == [GOOD]


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
