"""Approving reviews of the pull request behind a commit, read from the GitHub REST API.

Used by `mlci govern --approvals-from-github` in CI. Reads `GITHUB_TOKEN`, `GITHUB_REPOSITORY`,
`GITHUB_API_URL` (default https://api.github.com) and the pull request number from `--pr`,
`MLCI_PR_NUMBER`, `GITHUB_REF` (refs/pull/N/merge) or `GITHUB_EVENT_PATH`; failing those, finds the
pull request that `GITHUB_SHA` was merged from. Any failure (no token, HTTP error, timeout) comes back
as approvals that were not read, with the reason: the rule then reports "not evaluated", never passed.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlci.governance.evidence_formats import approvers
from mlci.governance.rules import Approvals

API_VERSION = "2022-11-28"
PAGE_SIZE = 100
MAX_PAGES = 20
_REPO = re.compile(r"[A-Za-z0-9-]+/(?!\.\.?$)[A-Za-z0-9_.-]+")  # owner/name, never a path like ../x
_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
_PULL_REF = re.compile(r"refs/pull/(\d+)/(?:merge|head)")


class _Client:
    def __init__(self, api: str, token: str, timeout: float, repo: str) -> None:
        self.api, self.token, self.timeout, self.repo = api, token, timeout, repo

    def get(self, path: str) -> Any:
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in read_approvals)
            f"{self.api}{path}",
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "mlci-govern",
            },
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return json.loads(response.read().decode("utf-8"))

    def get_all(self, path: str) -> list[Any]:
        items: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            batch = self.get(f"{path}?per_page={PAGE_SIZE}&page={page}")
            if not isinstance(batch, list):
                raise ValueError(f"expected a list from {path}")
            items += batch
            if len(batch) < PAGE_SIZE:
                break
        return items


def pull_request_from_env(env: Mapping[str, str]) -> int | None:
    """The pull request number CI runs for, if the environment says it."""
    if env.get("MLCI_PR_NUMBER", "").strip().isdigit():
        return int(env["MLCI_PR_NUMBER"])
    match = _PULL_REF.fullmatch(env.get("GITHUB_REF", ""))
    if match:
        return int(match.group(1))
    event_path = env.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            event = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        pull = event.get("pull_request") if isinstance(event, Mapping) else None
        number = pull.get("number") if isinstance(pull, Mapping) else None
        if isinstance(number, int) and not isinstance(number, bool):
            return number
    return None


def _merged_pull(pulls: Any, sha: str) -> int | None:
    """The pull request a commit came from: the one merged as that commit, else a merged one, else any."""
    if not isinstance(pulls, list):
        raise ValueError("expected a list of pull requests")
    candidates = [p for p in pulls if isinstance(p, Mapping) and isinstance(p.get("number"), int)]
    for test in (lambda p: p.get("merge_commit_sha") == sha, lambda p: p.get("merged_at"), lambda p: True):
        for pull in candidates:
            if test(pull):
                return int(pull["number"])
    return None


def _client(env: Mapping[str, str], timeout: float) -> _Client | str:
    """A client for the repository CI runs in, or why there is none."""
    token, repo = env.get("GITHUB_TOKEN", ""), env.get("GITHUB_REPOSITORY", "")
    if not token:
        return "GITHUB_TOKEN is not set: approvals are read from GitHub in CI only"
    if not _REPO.fullmatch(repo):
        return "GITHUB_REPOSITORY is not set to owner/name"
    api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    if not api.startswith(("https://", "http://")):
        return f"GITHUB_API_URL {api!r} is not an http(s) URL"
    return _Client(api, token, timeout, repo)


def read_approvals(env: Mapping[str, str], pr: int | None = None, timeout: float = 10.0) -> Approvals:
    """Approvers of the pull request, or why they could not be read. Never raises on network trouble."""
    client = _client(env, timeout)
    if isinstance(client, str):
        return Approvals(None, client)
    repo = client.repo
    number = pr if pr is not None else pull_request_from_env(env)
    sha = env.get("GITHUB_SHA", "")
    if number is None and not _SHA.fullmatch(sha):
        return Approvals(None, "no pull request number (--pr, MLCI_PR_NUMBER) and no GITHUB_SHA", repository=repo)
    path = f"/repos/{repo}/commits/{sha}/pulls"
    try:
        if number is None:
            number = _merged_pull(client.get(path), sha)
            if number is None:
                return Approvals((), f"commit {sha[:12]} has no pull request (pushed directly)", repository=repo)
        path = f"/repos/{repo}/pulls/{number}/reviews"
        reviews = client.get_all(path)
    except urllib.error.HTTPError as exc:
        return Approvals(None, f"GitHub API answered {exc.code} for {path}", number, repo)
    except (OSError, ValueError) as exc:  # URLError and timeouts are OSErrors; bad JSON is a ValueError
        reason = getattr(exc, "reason", None) or exc
        return Approvals(None, f"GitHub API unusable for {path}: {reason}", number, repo)
    return Approvals(approvers(reviews), "", number, repo)
