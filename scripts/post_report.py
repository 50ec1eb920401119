#!/usr/bin/env python3
"""Post mlci's report.md where a reviewer sees it: the job summary and one sticky PR comment.

Standard library only, so the fork-posting workflow can run it from the base branch without installing
(or ever running) the pull request's code. The sticky comment is found and written through the GitHub REST
API: the newest comment, across every page, that carries the marker and was written by the workflow's bot
(MLCI_BOT_LOGIN, default github-actions[bot]) is edited, else one is created; a person's comment that quotes the
marker is never touched. `cml` (iterative/setup-cml) only hosts a report's images when report.publish_images is
on; without it the images are left out and the comment is still posted. Posting failures (no token, API
errors) print a GitHub `::warning::` and exit 0, so the pipeline never fails because of them but never hides
them either (`--strict` turns them into exit 1). Invalid input (a PR number that is not an integer, a
report that is not plain markdown or is over the size limit) is refused with exit 2.

    post_report.py summary REPORT                      append to $GITHUB_STEP_SUMMARY
    post_report.py comment REPORT --pr-number N        same-repo PR: the sticky comment
    post_report.py bundle REPORT --pr-number N --out DIR   fork PR, pull_request side: DIR/report.md + DIR/pr-number.txt
                                                       (images left out: the fork poster never publishes them)
    post_report.py find-bundle --run-id ID --name NAME  fork PR, workflow_run side: found=true|false to $GITHUB_OUTPUT
    post_report.py validate DIR                        fork PR, workflow_run side: check the bundle, print the PR number
    post_report.py fork-post DIR                       fork PR, workflow_run side: validate, then comment on pr/N
    post_report.py sticky-issue BODY --label L --title T   open, or update, the one issue with label L and
                                                       BODY's marker written by the bot (drift); number to stdout
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

MARKER = "<!-- mlci-report -->"
MAX_CHARS = 65_536  # GitHub's comment limit, in characters
PR_NUMBER = re.compile(r"[1-9][0-9]{0,9}")
_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SHA = re.compile(r"[0-9a-f]{40}")


class Invalid(Exception):
    """Input that must not be posted (exit 2)."""


def warn(message: str) -> None:
    print(f"::warning title=mlci report::{message}", file=sys.stderr, flush=True)


def check_report(text: str, allow_images: bool = False) -> None:
    """Plain markdown under the limit: the mlci marker, no raw HTML besides it, no images, no control characters."""
    if len(text) > MAX_CHARS:
        raise Invalid(f"report is {len(text)} characters, over GitHub's limit of {MAX_CHARS}")
    if MARKER not in text:
        raise Invalid(f"report lacks the {MARKER} marker; it was not written by `mlci report`")
    if _CONTROL.search(text):
        raise Invalid("report contains control characters")
    body = text.replace(MARKER, "")
    if _TAG.search(body):
        raise Invalid("report contains raw HTML; only plain markdown is posted")
    if not allow_images and "![" in body:
        raise Invalid("report contains an image; images are posted only when report.publish_images is on")


def read_report(path: Path, allow_images: bool = False) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise Invalid(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > 4 * MAX_CHARS:
        raise Invalid(f"{path}: {len(raw)} bytes, far over the comment size limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"{path}: not UTF-8 text") from None
    check_report(text, allow_images)
    return text


_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_IMAGE_PARTS = re.compile(r"!\[([^\]\n]*)\]\(([^)\n]*)\)")
IMAGE_UNHOSTED = "_(plot left out: its image could not be hosted; the run's artifacts have it)_"
IMAGE_LEFT_OUT = "_(plot left out: a fork's report is posted without images; the run's job summary has it)_"


def strip_images(text: str) -> tuple[str, int]:
    """The report without its embedded images (report.publish_images), and how many were left out."""
    stripped, count = _IMAGE.subn(IMAGE_LEFT_OUT, text)
    return stripped.replace("![", "!\\["), count


def parse_pr_number(raw: str) -> int:
    value = raw.strip()
    if not PR_NUMBER.fullmatch(value):
        raise Invalid(f"PR number {value[:20]!r} is not a positive integer")
    return int(value)


def _cml_env() -> dict[str, str]:
    env = dict(os.environ)
    env["ITERATIVE_DO_NOT_TRACK"] = "1"
    return env


BOT_LOGIN = "github-actions[bot]"  # the author of everything GITHUB_TOKEN writes
_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHub:
    """The few REST calls the poster makes, standard library only (GITHUB_API_URL points tests at a fake)."""

    def __init__(self, token: str, api: str, repo: str) -> None:
        self.token, self.api, self.repo = token, api.rstrip("/"), repo

    def call(self, method: str, url: str, body: dict[str, object] | None = None) -> tuple[object, str]:
        """The decoded JSON answer and the URL of the next page ('' when there is none)."""
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the API base comes from GITHUB_API_URL
            url if url.startswith("http") else f"{self.api}{url}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read().decode("utf-8")
            link = response.headers.get("Link") or ""
        found = _LINK_NEXT.search(link)
        return (json.loads(raw) if raw else None), (found.group(1) if found else "")

    def every(self, url: str) -> list[dict[str, object]]:
        """Every item of a paginated list, following the Link header to the last page."""
        items: list[dict[str, object]] = []
        while url:
            page, url = self.call("GET", url)
            if isinstance(page, list):
                items.extend(item for item in page if isinstance(item, dict))
        return items


def github_from_env() -> GitHub | None:
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("REPO_TOKEN") or ""
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    if not token or not repo:
        warn(
            "no GITHUB_TOKEN (or REPO_TOKEN) and GITHUB_REPOSITORY in the environment: nothing was posted (the job summary has the report)"
        )
        return None
    return GitHub(token, os.environ.get("GITHUB_API_URL", "https://api.github.com"), repo)


def ours(item: dict[str, object], marker: str) -> bool:
    """Written by the workflow's bot and carrying our marker: never a person's comment or issue that quotes it."""
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login == os.environ.get("MLCI_BOT_LOGIN", BOT_LOGIN) and marker in str(item.get("body") or "")


def upsert_comment(github: GitHub, number: int, text: str, marker: str = MARKER) -> str:
    """Edit the newest comment of ours on issue/PR `number`, else create one; returns its URL."""
    comments = github.every(f"/repos/{github.repo}/issues/{number}/comments?per_page=100")
    mine = [c for c in comments if ours(c, marker)]
    if mine:
        newest = max(mine, key=lambda c: (str(c.get("created_at") or ""), int(str(c.get("id") or 0))))
        answer, _ = github.call("PATCH", f"/repos/{github.repo}/issues/comments/{newest['id']}", {"body": text})
    else:
        answer, _ = github.call("POST", f"/repos/{github.repo}/issues/{number}/comments", {"body": text})
    return str(answer.get("html_url", "")) if isinstance(answer, dict) else ""


def post_comment(number: int, text: str) -> bool:
    github = github_from_env()
    if github is None:
        return False
    try:
        url = upsert_comment(github, number, text)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        warn(
            f"posting the comment on #{number} failed ({exc.__class__.__name__}: {exc}); the job summary has the report"
        )
        return False
    print(url or f"comment posted to #{number}")
    return True


def publish_images(text: str, base: Path) -> str:
    """Host the report's local images with `cml asset publish` and link them; without cml (setup-cml failed or
    absent) or when an upload fails, the images are left out and the comment still goes out."""
    cml = shutil.which("cml")

    def hosted(match: re.Match[str]) -> str:
        alt, target = match.group(1), match.group(2)
        if target.startswith(("http://", "https://")):
            return match.group(0)
        if cml is None:
            return IMAGE_UNHOSTED
        command = [cml, "asset", "publish", str(base / target)]
        try:
            done = subprocess.run(command, env=_cml_env(), capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return IMAGE_UNHOSTED
        lines = done.stdout.strip().splitlines()
        url = lines[-1].strip() if lines else ""
        return f"![{alt}]({url})" if done.returncode == 0 and url.startswith("https://") else IMAGE_UNHOSTED

    posted = _IMAGE_PARTS.sub(hosted, text)
    if IMAGE_UNHOSTED in posted:
        warn(
            "some report images could not be hosted (no `cml`, or its upload failed): they are left out of the comment"
        )
    return posted


Fetch = Callable[[str, str], dict[str, object]]


def github_get(url: str, token: str) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 - fixed https API base
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        payload = json.loads(response.read().decode("utf-8"))
    return payload if isinstance(payload, dict) else {}


def pr_head_matches(number: int, expected_sha: str, fetch: Fetch | None = None) -> bool:
    """The PR's head commit is the one the workflow run built (a fork cannot point the report at another PR)."""
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("REPO_TOKEN") or ""
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    try:
        pull = (fetch or github_get)(f"{api}/repos/{repo}/pulls/{number}", token)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        warn(f"cannot read PR #{number} to check its head commit ({exc.__class__.__name__}); not posting")
        return False
    head = pull.get("head")
    sha = head.get("sha") if isinstance(head, dict) else None
    if sha != expected_sha:
        warn(f"PR #{number} head is {str(sha)[:12]}, the workflow run built {expected_sha[:12]}; not posting")
        return False
    return True


def cmd_summary(args: argparse.Namespace) -> int:
    text = read_report(args.report, allow_images=True)
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        warn("GITHUB_STEP_SUMMARY is not set (not on GitHub Actions?); printing the report instead")
        print(text)
        return 0
    with Path(target).open("a", encoding="utf-8") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
    print(f"report added to the job summary ({len(text):,} characters)")
    return 0


def cmd_comment(args: argparse.Namespace) -> int:
    # `mlci report` embeds plots only when params.yaml sets report.publish_images: a report with images
    # is that opt-in, so the workflow needs no second switch. Without images nothing is uploaded anywhere.
    number = parse_pr_number(args.pr_number)
    text = read_report(args.report, allow_images=True)
    if args.publish_images or "![" in text.replace(MARKER, ""):
        print("report.publish_images is on: cml hosts the report's images on its asset host", flush=True)
        text = publish_images(text, args.report.parent)
    posted = post_comment(number, text)
    return 0 if posted or not args.strict else 1


def cmd_bundle(args: argparse.Namespace) -> int:
    number = parse_pr_number(args.pr_number)
    text, left_out = strip_images(read_report(args.report, allow_images=True))
    check_report(text)
    if left_out:
        print(
            f"::notice title=mlci report::{left_out} image(s) left out of the fork report (never published from a fork)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(text, encoding="utf-8")
    (args.out / "pr-number.txt").write_text(f"{number}\n", encoding="utf-8")
    print(f"bundled the report for PR #{number} in {args.out}")
    return 0


def validate_bundle(folder: Path) -> tuple[int, Path]:
    entries = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    if entries != ["pr-number.txt", "report.md"]:
        raise Invalid(f"{folder}: expected exactly pr-number.txt and report.md, found {entries[:5]}")
    raw = (folder / "pr-number.txt").read_bytes()[:32].decode("ascii", errors="replace")
    number = parse_pr_number(raw)
    read_report(folder / "report.md")
    return number, folder / "report.md"


def cmd_validate(args: argparse.Namespace) -> int:
    number, _ = validate_bundle(args.folder)
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with Path(output).open("a", encoding="utf-8") as handle:
            handle.write(f"pr-number={number}\n")
    print(number)
    return 0


def cmd_fork_post(args: argparse.Namespace) -> int:
    number, report = validate_bundle(args.folder)
    if args.expect_head_sha is not None:
        if not _SHA.fullmatch(args.expect_head_sha):
            raise Invalid(f"--expect-head-sha {args.expect_head_sha[:48]!r} is not a 40-character commit sha")
        if not pr_head_matches(number, args.expect_head_sha):
            return 1 if args.strict else 0
    posted = post_comment(number, report.read_text(encoding="utf-8"))
    return 0 if posted or not args.strict else 1


def cmd_find_bundle(args: argparse.Namespace) -> int:
    """Did the pull_request run upload the bundle? A run that stopped before the report (or has none) is a notice,
    not a failure: there is nothing to post."""
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("REPO_TOKEN") or ""
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    if not re.fullmatch(r"[0-9]{1,20}", args.run_id):
        raise Invalid(f"run id {args.run_id[:24]!r} is not a number")
    url = f"{api}/repos/{repo}/actions/runs/{args.run_id}/artifacts?name={urllib.parse.quote(args.name)}&per_page=100"
    try:
        listing = github_get(url, token)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        warn(f"cannot list the artifacts of run {args.run_id} ({exc.__class__.__name__}); nothing posted")
        listing = {}
    artifacts = listing.get("artifacts")
    found = isinstance(artifacts, list) and any(
        isinstance(a, dict) and a.get("name") == args.name and not a.get("expired") for a in artifacts
    )
    if not found:
        print(
            f"::notice title=mlci report::run {args.run_id} uploaded no {args.name} (it stopped before the report): nothing to post"
        )
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with Path(output).open("a", encoding="utf-8") as handle:
            handle.write(f"found={'true' if found else 'false'}\n")
    return 0


def cmd_sticky_issue(args: argparse.Namespace) -> int:
    """The one open issue with the label, the body's marker and the bot as author: edited (plus a comment saying
    it happened again), else created. A person's issue with that label is never overwritten."""
    text = args.body.read_text(encoding="utf-8")
    marker = text.splitlines()[0].strip() if text else ""
    if not re.fullmatch(r"<!-- [a-z0-9-]+ -->", marker):
        raise Invalid(f"{args.body}: the first line must be the issue's marker, like <!-- mlci-drift -->")
    github = github_from_env()
    if github is None:
        return 1 if args.strict else 0
    label = urllib.parse.quote(args.label)
    try:
        listed = github.every(f"/repos/{github.repo}/issues?labels={label}&state=open&per_page=100")
        mine = [i for i in listed if "pull_request" not in i and ours(i, marker)]
        if mine:
            number = int(str(min(mine, key=lambda i: int(str(i.get("number"))))["number"]))
            github.call("PATCH", f"/repos/{github.repo}/issues/{number}", {"body": text})
            github.call("POST", f"/repos/{github.repo}/issues/{number}/comments", {"body": args.again})
        else:
            body = {"title": args.title, "body": text, "labels": [args.label]}
            created, _ = github.call("POST", f"/repos/{github.repo}/issues", body)
            number = int(str(created.get("number"))) if isinstance(created, dict) else 0
    except (urllib.error.URLError, OSError, ValueError) as exc:
        warn(f"opening or updating the {args.label} issue failed ({exc.__class__.__name__}: {exc})")
        return 1 if args.strict else 0
    print(number)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="post_report.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    summary = sub.add_parser("summary", help="append the report to $GITHUB_STEP_SUMMARY")
    summary.add_argument("report", type=Path)
    summary.set_defaults(func=cmd_summary)
    for name, helptext in (
        ("comment", "sticky comment on this PR (same repository)"),
        ("fork-post", "post a fork PR's bundle"),
    ):
        command = sub.add_parser(name, help=helptext)
        if name == "comment":
            command.add_argument("report", type=Path)
            command.add_argument("--pr-number", required=True, help="the pull request to comment on")
            command.add_argument(
                "--publish-images", action="store_true", help="let cml host local images (report.publish_images)"
            )
            command.set_defaults(func=cmd_comment)
        else:
            command.add_argument("folder", type=Path)
            command.add_argument("--expect-head-sha", default=None, help="refuse unless the PR head is this commit")
            command.set_defaults(func=cmd_fork_post)
        command.add_argument("--strict", action="store_true", help="exit 1 when posting fails (default: warn, exit 0)")
    bundle = sub.add_parser("bundle", help="fork PR: write report.md and pr-number.txt for upload as an artifact")
    bundle.add_argument("report", type=Path)
    bundle.add_argument("--pr-number", required=True)
    bundle.add_argument("--out", type=Path, required=True)
    bundle.set_defaults(func=cmd_bundle)
    find = sub.add_parser("find-bundle", help="fork PR: did the pull_request run upload the bundle? (found=true|false)")
    find.add_argument("--run-id", required=True)
    find.add_argument("--name", required=True)
    find.set_defaults(func=cmd_find_bundle)
    issue = sub.add_parser("sticky-issue", help="open or update the one labelled issue the bot wrote (drift)")
    issue.add_argument("body", type=Path, help="issue body; its first line is the marker, e.g. <!-- mlci-drift -->")
    issue.add_argument("--label", required=True)
    issue.add_argument("--title", required=True)
    issue.add_argument("--again", default="Found again.", help="comment added when the issue is updated")
    issue.add_argument("--strict", action="store_true", help="exit 1 when posting fails (default: warn, exit 0)")
    issue.set_defaults(func=cmd_sticky_issue)
    validate = sub.add_parser("validate", help="fork PR: check a downloaded bundle and print its PR number")
    validate.add_argument("folder", type=Path)
    validate.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except Invalid as exc:
        print(f"::error title=mlci report::{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
