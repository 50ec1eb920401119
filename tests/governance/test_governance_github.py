"""Reading approvals through the GitHub REST API, against a local stand-in server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mlci.governance.github_reviews import pull_request_from_env, read_approvals

SHA = "c" * 40


class FakeGitHub:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, Any]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            status, body = fake.routes.get(self.path, (404, {"message": "Not Found"}))
            blob = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(blob)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def env(api: str, **extra: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "acme/model", "GITHUB_API_URL": api, **extra}


def approve(login: str) -> dict[str, Any]:
    return {"user": {"login": login}, "state": "APPROVED"}


def test_reviews_of_a_numbered_pull_request(github):
    fake, api = github
    fake.routes["/repos/acme/model/pulls/12/reviews?per_page=100&page=1"] = (200, [approve("ann"), approve("bob")])
    found = read_approvals(env(api, MLCI_PR_NUMBER="12"))
    assert (found.approvers, found.pull_request, found.repository) == (("ann", "bob"), 12, "acme/model")
    _path, headers = fake.requests[0]
    assert headers["authorization"] == "Bearer t0ken"
    assert headers["x-github-api-version"] == "2022-11-28"


def test_pull_request_found_from_the_merge_commit_and_pages_followed(github):
    fake, api = github
    fake.routes[f"/repos/acme/model/commits/{SHA}/pulls"] = (
        200,
        [{"number": 3, "merge_commit_sha": "d" * 40}, {"number": 5, "merge_commit_sha": SHA}],
    )
    fake.routes["/repos/acme/model/pulls/5/reviews?per_page=100&page=1"] = (
        200,
        [approve(f"u{i:03d}") for i in range(100)],
    )
    fake.routes["/repos/acme/model/pulls/5/reviews?per_page=100&page=2"] = (200, [approve("zed")])
    found = read_approvals(env(api, GITHUB_SHA=SHA))
    assert found.pull_request == 5
    assert found.approvers is not None and len(found.approvers) == 101


def test_direct_push_has_no_pull_request(github):
    fake, api = github
    fake.routes[f"/repos/acme/model/commits/{SHA}/pulls"] = (200, [])
    found = read_approvals(env(api, GITHUB_SHA=SHA))
    assert (found.approvers, found.pull_request) == ((), None)


def test_http_error_is_not_evaluated(github):
    _, api = github
    found = read_approvals(env(api), pr=99)
    assert found.approvers is None
    assert found.reason == "GitHub API answered 404 for /repos/acme/model/pulls/99/reviews"


def test_bad_json_is_not_evaluated(github):
    fake, api = github
    fake.routes["/repos/acme/model/pulls/1/reviews?per_page=100&page=1"] = (200, b"<html>")
    found = read_approvals(env(api), pr=1)
    assert found.approvers is None and "unusable" in found.reason


def test_unexpected_shape_is_not_evaluated(github):
    fake, api = github
    fake.routes["/repos/acme/model/pulls/1/reviews?per_page=100&page=1"] = (200, {"message": "odd"})
    assert read_approvals(env(api), pr=1).approvers is None


def test_unreachable_api_is_not_evaluated():
    found = read_approvals(env("http://127.0.0.1:9"), pr=1, timeout=2)
    assert found.approvers is None
    assert "unusable" in found.reason


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({}, "GITHUB_TOKEN is not set"),
        ({"GITHUB_TOKEN": "t"}, "GITHUB_REPOSITORY is not set"),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "../x"}, "GITHUB_REPOSITORY is not set"),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/.."}, "GITHUB_REPOSITORY is not set"),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "GITHUB_API_URL": "file:///etc"}, "is not an http(s) URL"),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b"}, "no pull request number"),
    ],
)
def test_missing_environment(variables, reason):
    found = read_approvals(variables)
    assert found.approvers is None
    assert reason in found.reason
    assert "t0ken" not in found.reason


def test_pull_request_from_env(tmp_path):
    assert pull_request_from_env({"MLCI_PR_NUMBER": "4"}) == 4
    assert pull_request_from_env({"GITHUB_REF": "refs/pull/8/merge"}) == 8
    assert pull_request_from_env({"GITHUB_REF": "refs/heads/main"}) is None
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 15}}), encoding="utf-8")
    assert pull_request_from_env({"GITHUB_EVENT_PATH": str(event)}) == 15
    event.write_text(json.dumps({"ref": "refs/heads/main"}), encoding="utf-8")
    assert pull_request_from_env({"GITHUB_EVENT_PATH": str(event)}) is None
    assert pull_request_from_env({"GITHUB_EVENT_PATH": str(tmp_path / "missing.json")}) is None


def test_unexpected_pulls_shape_is_not_evaluated(github):
    fake, api = github
    fake.routes[f"/repos/acme/model/commits/{SHA}/pulls"] = (200, {"message": "odd"})
    found = read_approvals(env(api, GITHUB_SHA=SHA))
    assert found.approvers is None and "expected a list of pull requests" in found.reason


def test_event_without_a_number(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": "7"}}), encoding="utf-8")
    assert pull_request_from_env({"GITHUB_EVENT_PATH": str(event)}) is None
