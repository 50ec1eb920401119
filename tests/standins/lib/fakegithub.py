"""A fake GitHub for executed workflows: the REST endpoints the scripts call and the `gh` commands they run, served
from a state a scenario sets up (runs, artifacts, pull requests, comments, issues, releases, branch heads), and a
record of every call. Unknown routes and commands answer 404 / exit 1 and are recorded, so a scenario sees a
script asking for something the fake does not model instead of a silent success.

`bin/gh`, `tools/cosign/cosign` and `tools/cml/cml` are thin clients: they send their argv to /_fake/<tool> and
print what comes back. The artifact store is the folder the upload-artifact stand-in writes (lib/artifacts.py).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BOT = {"login": "github-actions[bot]", "type": "Bot"}


@dataclass
class Run:
    id: int
    workflow: str  # file name, e.g. main.yml
    branch: str
    head_sha: str
    event: str
    conclusion: str = "success"
    status: str = "completed"


@dataclass
class State:
    repo: str
    token: str
    root: Path  # MLCI_FAKE_STATE: artifacts/<run id>/<name>/, summaries/
    runs: list[Run] = field(default_factory=list)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)  # each with issue_number
    issues: list[dict[str, Any]] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    heads: dict[str, str] = field(default_factory=dict)  # branch -> sha
    calls: list[str] = field(default_factory=list)  # "GET /repos/...", "gh run list ...", "cosign sign ..."
    unhandled: list[str] = field(default_factory=list)
    records: list[list[str]] = field(default_factory=list)  # what stand-in actions did: docker-login, attest
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def artifacts(self, run_id: int | str) -> dict[str, Path]:
        folder = self.root / "artifacts" / str(run_id)
        return {m.stem: folder / m.stem for m in sorted(folder.glob("*.json"))} if folder.is_dir() else {}

    def bot_comments(self, number: int, marker: str) -> list[dict[str, Any]]:
        return [
            c
            for c in self.comments
            if c["issue_number"] == number and c["user"]["login"] == BOT["login"] and marker in c["body"]
        ]

    def summary(self, run_id: int, job: str) -> str:
        path = self.root / "summaries" / f"{run_id}-{job}.md"
        return path.read_text(encoding="utf-8") if path.exists() else ""


# --- gh ---------------------------------------------------------------------------------------------------------


def _options(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    opts: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--") and "=" in arg:
            key, value = arg[2:].split("=", 1)
            opts[key] = value
        elif arg.startswith("--") and arg[2:] in {"clobber", "force", "yes"}:
            opts[arg[2:]] = "true"
        elif arg.startswith("--") or (arg.startswith("-") and len(arg) == 2):
            opts[arg.lstrip("-")] = argv[i + 1] if i + 1 < len(argv) else ""
            i += 1
        else:
            positional.append(arg)
        i += 1
    return positional, opts


def _jq(value: Any, expr: str | None) -> tuple[str, bool]:
    """The few --jq expressions the scripts use; (output, supported)."""
    if expr is None:
        return json.dumps(value), True
    if expr == ".[].databaseId":
        return "".join(f"{item['databaseId']}\n" for item in value), True
    if expr == ".[0].databaseId // empty":
        return (f"{value[0]['databaseId']}\n" if value else ""), True
    match = re.fullmatch(r"((?:\.[A-Za-z_]+)+)", expr)
    if match:
        for key in expr.strip(".").split("."):
            value = value.get(key) if isinstance(value, dict) else None
        return ("" if value is None else f"{value}\n"), True
    return "", False


def gh(state: State, argv: list[str]) -> dict[str, Any]:
    positional, opts = _options(argv)
    command = " ".join(positional[:2])
    answer: dict[str, Any] = {"stdout": "", "stderr": "", "exit": 0}

    def jq(value: Any) -> dict[str, Any]:
        text, ok = _jq(value, opts.get("jq"))
        if not ok:
            return {"stdout": "", "stderr": f"fake gh: unsupported --jq {opts.get('jq')!r}\n", "exit": 3}
        return {**answer, "stdout": text}

    if command == "run list":
        runs = [
            r
            for r in sorted(state.runs, key=lambda r: -r.id)
            if r.workflow == opts.get("workflow", r.workflow)
            and r.branch == opts.get("branch", r.branch)
            and r.head_sha == opts.get("commit", r.head_sha)
            and r.event == opts.get("event", r.event)
            and opts.get("status") in {None, r.conclusion, r.status}
        ][: int(opts.get("limit", "20"))]
        return jq([{"databaseId": r.id, "headSha": r.head_sha, "conclusion": r.conclusion} for r in runs])
    if command == "run download":
        found = state.artifacts(positional[2]).get(opts.get("name", ""))
        if found is None:
            return {**answer, "stderr": "no artifact matches any of the names or patterns provided\n", "exit": 1}
        return {**answer, "copy": [str(found), opts.get("dir", ".")]}
    if command.startswith("api "):
        path = positional[1]
        ref = re.fullmatch(r"repos/([^/]+/[^/]+)/git/ref/heads/(.+)", path)
        if ref and ref.group(1) == state.repo and ref.group(2) in state.heads:
            return jq({"ref": f"refs/heads/{ref.group(2)}", "object": {"sha": state.heads[ref.group(2)]}})
    if command == "attestation verify":
        # act has no job_workflow_ref, so the signer workflow cannot be told apart here; the subject, the source
        # ref and the trigger the attest stand-in recorded are checked.
        subject = positional[2].removeprefix("oci://")
        source = opts.get("source-ref")
        if any(r[:2] == ["attest", subject] and r[3] == source and r[4] == "push" for r in state.records):
            return answer
        return {**answer, "stderr": f"fake gh: no attestation for {subject} from {source} in a push run\n", "exit": 1}
    if command == "label create":
        state.labels.add(positional[2])
        return answer
    if command == "release view":
        if len(positional) > 2:
            match = [r for r in state.releases if r["tagName"] == positional[2]]
        else:
            match = [r for r in state.releases if r.get("latest")]
        if not match:
            return {**answer, "stderr": "release not found\n", "exit": 1}
        return jq(match[-1])
    if command == "release create":
        tag = positional[2]
        if any(r["tagName"] == tag for r in state.releases):
            return {**answer, "stderr": "a release with the same tag name already exists\n", "exit": 1}
        latest = opts.get("latest", "true") != "false"
        if latest:
            for release in state.releases:
                release["latest"] = False
        notes = Path(opts["notes-file"]).read_text(encoding="utf-8") if "notes-file" in opts else ""
        assets = {Path(p).name: Path(p).read_text(encoding="utf-8") for p in positional[3:]}
        state.releases.append(
            {
                "tagName": tag,
                "target": opts.get("target"),
                "title": opts.get("title"),
                "notes": notes,
                "latest": latest,
                "assets": assets,
            }
        )
        return {**answer, "stdout": f"https://github.com/{state.repo}/releases/tag/{tag}\n"}
    if command == "release upload":
        match = [r for r in state.releases if r["tagName"] == positional[2]]
        if not match:
            return {**answer, "stderr": "release not found\n", "exit": 1}
        for path in positional[3:]:
            if Path(path).name in match[0]["assets"] and "clobber" not in opts:
                return {**answer, "stderr": f"asset {Path(path).name} already exists\n", "exit": 1}
            match[0]["assets"][Path(path).name] = Path(path).read_text(encoding="utf-8")
        return answer
    state.unhandled.append("gh " + " ".join(argv))
    return {**answer, "stderr": f"fake gh: unsupported command: gh {' '.join(argv)}\n", "exit": 1}


# --- REST -------------------------------------------------------------------------------------------------------


def rest(state: State, method: str, url: str, body: Any) -> tuple[int, Any]:
    parsed = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    prefix = f"/repos/{state.repo}"
    path = parsed.path
    if not path.startswith(prefix + "/"):
        return 404, {"message": "Not Found"}
    path = path[len(prefix) :]
    html = f"https://github.com/{state.repo}"

    if m := re.fullmatch(r"/issues/(\d+)/comments", path):
        number = int(m.group(1))
        if method == "GET":
            return 200, [c for c in state.comments if c["issue_number"] == number]
        if method == "POST":
            comment = {"id": state.new_id(), "issue_number": number, "user": BOT, "body": body["body"],
                       "created_at": f"2026-12-01T00:00:{len(state.comments):02d}Z"}  # fmt: skip
            comment["html_url"] = f"{html}/issues/{number}#issuecomment-{comment['id']}"
            state.comments.append(comment)
            return 201, comment
    if (m := re.fullmatch(r"/issues/comments/(\d+)", path)) and method == "PATCH":
        for comment in state.comments:
            if comment["id"] == int(m.group(1)):
                if comment["user"]["login"] != BOT["login"]:
                    return 403, {"message": "Resource not accessible by integration"}
                comment["body"] = body["body"]
                comment["edited"] = comment.get("edited", 0) + 1
                return 200, comment
    if (m := re.fullmatch(r"/pulls/(\d+)", path)) and method == "GET" and int(m.group(1)) in state.pulls:
        return 200, state.pulls[int(m.group(1))]
    if (m := re.fullmatch(r"/pulls/(\d+)/reviews", path)) and method == "GET" and int(m.group(1)) in state.pulls:
        return 200, state.pulls[int(m.group(1))].get("reviews", [])
    if (m := re.fullmatch(r"/commits/([0-9a-f]{40})/pulls", path)) and method == "GET":
        return 200, [p for p in state.pulls.values() if p.get("merge_commit_sha") == m.group(1)]
    if (m := re.fullmatch(r"/actions/runs/(\d+)/artifacts", path)) and method == "GET":
        named = {k: v for k, v in state.artifacts(m.group(1)).items() if query.get("name") in {None, k}}
        listed = [
            {"id": json.loads((v.parent / f"{k}.json").read_text())["id"], "name": k, "expired": False}
            for k, v in named.items()
        ]
        return 200, {"total_count": len(listed), "artifacts": listed}
    if path == "/issues" and method == "GET":
        labels = set(filter(None, query.get("labels", "").split(",")))
        state_filter = query.get("state", "open")
        return 200, [
            i
            for i in state.issues
            if labels <= {lab["name"] for lab in i["labels"]} and state_filter in {"all", i["state"]}
        ]
    if path == "/issues" and method == "POST":
        number = state.new_id()
        issue = {"number": number, "title": body["title"], "body": body.get("body", ""), "state": "open",
                 "user": BOT, "labels": [{"name": n} for n in body.get("labels", [])]}  # fmt: skip
        state.issues.append(issue)
        return 201, issue
    if (m := re.fullmatch(r"/issues/(\d+)", path)) and method == "PATCH":
        for issue in state.issues:
            if issue["number"] == int(m.group(1)):
                issue.update({k: v for k, v in body.items() if k in {"body", "title", "state"}})
                return 200, issue
    if (m := re.fullmatch(r"/git/ref/heads/(.+)", path)) and method == "GET" and m.group(1) in state.heads:
        return 200, {"ref": f"refs/heads/{m.group(1)}", "object": {"sha": state.heads[m.group(1)]}}
    return 404, {"message": "Not Found"}


class Server:
    """The fake on 127.0.0.1 in a thread: `with Server(state) as url:`."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.httpd: ThreadingHTTPServer | None = None

    def __enter__(self) -> str:
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with state.lock:
                    try:
                        status, answer = self._answer(json.loads(raw) if raw else None)
                    except Exception as exc:  # a fake that breaks is a recorded failure, not a silent hang
                        state.unhandled.append(f"{self.command} {self.path}: the fake failed: {exc!r}")
                        status, answer = 500, {"message": f"fake GitHub error: {exc!r}"}
                data = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(self, body: Any) -> tuple[int, Any]:
                if self.path.startswith("/_fake/"):
                    tool = self.path.removeprefix("/_fake/")
                    argv = [str(a) for a in (body or {}).get("argv", [])]
                    state.calls.append(" ".join([tool, *argv]))
                    return 200, gh(state, argv) if tool == "gh" else tool_call(state, tool, argv)
                if self.headers.get("Authorization") != f"Bearer {state.token}":
                    state.calls.append(f"{self.command} {self.path} (no valid token)")
                    return 401, {"message": "Bad credentials"}
                state.calls.append(f"{self.command} {self.path}")
                status, answer = rest(state, self.command, self.path, body)
                if status == 404:
                    state.unhandled.append(f"{self.command} {self.path}")
                return status, answer

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's names

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


def tool_call(state: State, tool: str, argv: list[str]) -> dict[str, Any]:
    """cosign and cml: recorded; cosign verify passes only for a digest `cosign sign` signed in this state."""
    answer: dict[str, Any] = {"stdout": "", "stderr": "", "exit": 0}
    if tool == "cml" and argv[:2] == ["asset", "publish"]:
        return {**answer, "stdout": f"https://asset.cml.dev/fake/{Path(argv[2]).name}\n"}
    if tool == "cosign" and argv[:1] == ["sign"]:
        state.labels.add(f"signed:{argv[-1]}")
        return answer
    if tool == "cosign" and argv[:1] == ["verify"]:
        if f"signed:{argv[-1]}" in state.labels:
            return answer
        return {**answer, "stderr": f"Error: no signatures found for {argv[-1]}\n", "exit": 1}
    if tool == "cml":
        return answer
    if tool == "record":
        state.records.append(argv)
        return answer
    state.unhandled.append(f"{tool} {' '.join(argv)}")
    return {**answer, "stderr": f"fake {tool}: unsupported: {' '.join(argv)}\n", "exit": 1}
