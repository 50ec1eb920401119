"""Release records attached to the image digest: against the real registry on 127.0.0.1:5000 (Debian's
docker-registry, distribution 2.8: no referrers API, so the referrers tag scheme carries the link; tests marked
`docker`), and against an in-memory registry that has the referrers API (the path GHCR-like registries without
it never take, and input checks that need no registry)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mlci.cli import main
from mlci.release import records

ROOT = Path(__file__).resolve().parents[2]
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


@pytest.fixture
def repository(local_registry: str) -> str:
    """A fresh repository of the local registry (no engine needed: the records are plain registry content)."""
    return f"{local_registry}/mlci-test/records-{uuid.uuid4().hex[:12]}"


def push_image(repository: str, tag: str, content: bytes = b"layer") -> str:
    """A small OCI image (config + one layer) tagged `tag`; returns its manifest digest."""
    registry = records.Registry(repository)
    config = registry.put_blob(
        b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
        "application/vnd.oci.image.config.v1+json",
    )
    layer = registry.put_blob(content, "application/vnd.oci.image.layer.v1.tar")
    manifest = {"schemaVersion": 2, "mediaType": records.OCI_MANIFEST, "config": config, "layers": [layer]}
    body = json.dumps(manifest).encode()
    registry.put_manifest(tag, body, records.OCI_MANIFEST)
    return records.sha256(body)


def record_files(folder: Path, repository: str, digest: str, commit: str = "c" * 40) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "image.json": json.dumps({"image": repository, "digest": digest, "commit": commit}),
        "governance.json": json.dumps({"decision": "passed"}),
        "model_card.md": "# Model card\n",
        "sbom.spdx.json": json.dumps({"spdxVersion": "SPDX-2.3"}),
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in texts]


@pytest.mark.docker
def test_records_attach_to_the_digest_and_come_back(repository: str, tmp_path: Path) -> None:
    digest = push_image(repository, "c0ffee000000")
    files = record_files(tmp_path / "in", repository, digest)
    pushed = records.push(repository, digest, files)
    registry = records.Registry(repository)
    # distribution 2.8 has no referrers API: the artifact is listed under the referrers tag, as the OCI spec asks
    assert pushed.fallback_tag == "sha256-" + digest.split(":", 1)[1]
    tagged = registry.manifest(pushed.fallback_tag)
    assert tagged is not None and [m["digest"] for m in json.loads(tagged[0])["manifests"]] == [pushed.digest]
    manifest = json.loads(registry.manifest(pushed.digest)[0])  # type: ignore[index]
    assert manifest["subject"]["digest"] == digest and manifest["artifactType"] == records.ARTIFACT_TYPE

    pulled = records.pull(repository, digest, tmp_path / "out")
    assert pulled.digest == pushed.digest and pulled.subject == digest
    for file in files:
        assert (tmp_path / "out" / file.name).read_bytes() == file.read_bytes()
    by_tag = records.pull(repository, "c0ffee000000", tmp_path / "by-tag")
    assert by_tag.subject == digest and {p.name for p in by_tag.files} == set(records.RECORD_FILES)


@pytest.mark.docker
def test_the_newest_records_win_and_the_older_stay_listed(repository: str, tmp_path: Path) -> None:
    digest = push_image(repository, "v1")
    first = records.push(
        repository, digest, record_files(tmp_path / "a", repository, digest), datetime(2026, 1, 1, tzinfo=UTC)
    )
    newer = record_files(tmp_path / "b", repository, digest)
    (tmp_path / "b" / "model_card.md").write_text("# Model card, re-run\n", encoding="utf-8")
    second = records.push(repository, digest, newer, datetime(2026, 1, 2, tzinfo=UTC))
    assert len(records.Registry(repository).referrers(digest)) == 2 and first.digest != second.digest
    records.pull(repository, digest, tmp_path / "out")
    assert (tmp_path / "out" / "model_card.md").read_text(encoding="utf-8") == "# Model card, re-run\n"


def test_a_digest_without_records_is_refused_in_one_line(
    repository: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = push_image(repository, "bare")
    code = main(["records", "pull", "--repository", repository, "--digest", digest, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "has no release records attached" in err
    assert not (tmp_path / "out").exists()
    unknown = "sha256:" + "0" * 64
    code = main(
        [
            "records",
            "push",
            "--repository",
            repository,
            "--digest",
            unknown,
            *map(str, record_files(tmp_path / "in", repository, unknown)),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "no such image in the registry" in err and err.count("\n") == 1


@pytest.mark.docker
def test_records_naming_another_image_are_refused(repository: str, tmp_path: Path) -> None:
    digest = push_image(repository, "one", b"one")
    other = push_image(repository, "two", b"two")
    records.push(repository, digest, record_files(tmp_path / "in", repository, other))
    with pytest.raises(records.NoRecords, match=r"names .* not this image"):
        records.pull(repository, digest, tmp_path / "out")


@pytest.mark.docker
def test_the_cli_pushes_and_pulls(repository: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = push_image(repository, "cli")
    files = [str(p) for p in record_files(tmp_path / "in", repository, digest)]
    assert main(["records", "push", "--repository", repository, "--digest", digest, *files]) == 0
    assert f"-> {digest}" in capsys.readouterr().out
    assert main(["records", "pull", "--repository", repository, "--tag", "cli", "--out", str(tmp_path / "o")]) == 0
    assert "governance.json" in capsys.readouterr().out
    assert main(["records", "push", "--repository", repository, "--digest", digest, files[1]]) == 2
    assert "records lack image.json" in capsys.readouterr().err


FAKE_GH = """#!/usr/bin/env bash
case "$1 $2" in
  "run list") echo 99 ;;
  "release view") exit 1 ;;
esac
"""


@pytest.mark.docker
def test_the_release_script_reads_the_records_from_the_registry(repository: str, tmp_path: Path) -> None:
    """scripts/release-record.sh with the real `mlci records pull`: no run artifact is read, so a commit whose run
    artifacts expired long ago is still released from what the registry keeps with its image."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    env = {**os.environ, **GIT_IDENTITY}

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=checkout, env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    git("commit", "-q", "--allow-empty", "-m", "before records were kept")
    bare = git("rev-parse", "HEAD")
    git("commit", "-q", "--allow-empty", "-m", "head of main")
    git("update-ref", "refs/remotes/origin/main", "HEAD")
    commit = git("rev-parse", "HEAD")
    digest = push_image(repository, commit[:12])
    records.push(repository, digest, record_files(tmp_path / "in", repository, digest, commit))
    push_image(repository, bare[:12], b"no records")
    fakebin = tmp_path / "bin"
    fakebin.mkdir()
    (fakebin / "gh").write_text(FAKE_GH, encoding="utf-8")
    (fakebin / "gh").chmod(0o755)
    clean = {k: v for k, v in env.items() if not k.startswith(("GITHUB_", "GH_"))}
    run_env = {
        **clean,
        "PATH": f"{fakebin}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "IMAGE": repository,
        "GITHUB_OUTPUT": str(tmp_path / "out"),
    }

    def release(of: str) -> subprocess.CompletedProcess[str]:
        script = str(ROOT / "scripts" / "release-record.sh")
        return subprocess.run(
            [script],
            check=False,
            cwd=checkout,
            env={**run_env, "COMMIT": of},
            capture_output=True,
            text=True,
            timeout=300,
        )

    result = release(commit)
    assert result.returncode == 0, result.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "out").read_text().splitlines())
    assert outputs == {"image": repository, "digest": digest, "run-id": "99"}
    assert {p.name for p in (checkout / ".release-record").iterdir()} == set(records.RECORD_FILES)

    refused = release(bare)
    assert refused.returncode == 1 and "has no release records attached" in refused.stderr
    assert "cannot read the release records" in refused.stderr


# --- an in-memory registry with the referrers API, and input checks ---------------------------------------------


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""


class MemoryRegistry(records.Registry):
    """The HTTP surface records.py uses, answered from dicts; `referrers_api` says whether /referrers/ exists."""

    def __init__(self, repository: str = "registry.test/acme/model", referrers_api: bool = True) -> None:
        self.repository = repository
        self._base = f"https://registry.test/v2/{repository.split('/', 1)[1]}"
        self.referrers_api = referrers_api
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[str, tuple[bytes, str]] = {}
        self.log: list[str] = []

    def request(self, method: str, path: str, headers: Any = None, data: bytes | None = None) -> Answer:  # type: ignore[override]
        path = path.removeprefix(self._base)
        self.log.append(f"{method} {path}")
        kind, _, rest = path.strip("/").partition("/")
        if kind == "blobs" and rest == "uploads":
            return Answer(202, {"Location": "/v2/acme/model/blobs/uploads/1?state=x"})
        if kind == "blobs":
            if rest.startswith("uploads/"):
                digest = rest.split("digest=", 1)[1]
                self.blobs[digest] = data or b""
                return Answer(201)
            found = self.blobs.get(rest)
            return Answer(200, {}, found) if found is not None else Answer(404)
        if kind == "manifests" and method == "PUT":
            self.manifests[rest] = self.manifests[records.sha256(data or b"")] = (data or b"", headers["Content-Type"])
            subject = json.loads(data or b"{}").get("subject")
            answer = {"OCI-Subject": subject["digest"]} if subject and self.referrers_api else {}
            return Answer(201, answer)
        if kind == "manifests":
            stored = self.manifests.get(rest)
            return Answer(200, {"Content-Type": stored[1]}, stored[0]) if stored else Answer(404)
        if kind == "referrers" and self.referrers_api:
            subject = rest.split("?", 1)[0]
            listed = []
            for digest, (body, _media) in self.manifests.items():
                manifest = json.loads(body)
                if digest.startswith("sha256:") and (manifest.get("subject") or {}).get("digest") == subject:
                    listed.append(
                        {
                            "mediaType": records.OCI_MANIFEST,
                            "digest": digest,
                            "size": len(body),
                            "artifactType": manifest.get("artifactType"),
                            "annotations": manifest.get("annotations"),
                        }
                    )
            return Answer(200, {}, json.dumps({"schemaVersion": 2, "manifests": listed}).encode())
        return Answer(404)


def memory_image(registry: MemoryRegistry, tag: str = "c0ffee000000") -> str:
    body = json.dumps({"schemaVersion": 2, "mediaType": records.OCI_MANIFEST, "layers": []}).encode()
    registry.put_manifest(tag, body, records.OCI_MANIFEST)
    return records.sha256(body)


def test_a_registry_with_the_referrers_api_needs_no_referrers_tag(tmp_path: Path) -> None:
    registry = MemoryRegistry()
    digest = memory_image(registry)
    files = record_files(tmp_path / "in", registry.repository, digest)
    pushed = records.push(registry.repository, digest, files, registry=registry)
    assert pushed.fallback_tag is None and records.referrers_tag(digest) not in registry.manifests
    pulled = records.pull(registry.repository, "c0ffee000000", tmp_path / "out", registry=registry)
    assert pulled.subject == digest and pulled.digest == pushed.digest
    assert any(line.startswith(f"GET /referrers/{digest}?artifactType=") for line in registry.log)


def test_without_the_api_the_referrers_tag_lists_each_push_once(tmp_path: Path) -> None:
    registry = MemoryRegistry(referrers_api=False)
    digest = memory_image(registry)
    files = record_files(tmp_path / "in", registry.repository, digest)
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    first = records.push(registry.repository, digest, files, stamp, registry=registry)
    again = records.push(registry.repository, digest, files, stamp, registry=registry)
    assert first == again and first.fallback_tag == records.referrers_tag(digest)
    index = json.loads(registry.manifests[records.referrers_tag(digest)][0])
    assert [m["digest"] for m in index["manifests"]] == [first.digest]
    assert index["manifests"][0]["artifactType"] == records.ARTIFACT_TYPE


def test_records_of_a_newer_mlci_are_refused(tmp_path: Path) -> None:
    """record_files writes image.json as images pushed before it had `format_version` carry it, and those are
    pulled everywhere above; one from a newer mlci is refused rather than misread."""
    registry = MemoryRegistry()
    digest = memory_image(registry)
    files = record_files(tmp_path / "in", registry.repository, digest)
    record = json.loads(files[0].read_text(encoding="utf-8"))
    files[0].write_text(json.dumps({**record, "format_version": 99}), encoding="utf-8")
    records.push(registry.repository, digest, files, registry=registry)
    with pytest.raises(records.NoRecords, match=r"image\.json: format_version 99 is newer than this mlci understands"):
        records.pull(registry.repository, digest, tmp_path / "out", registry=registry)
    assert not (tmp_path / "out").exists()


def test_a_tampered_record_blob_is_refused(tmp_path: Path) -> None:
    registry = MemoryRegistry()
    digest = memory_image(registry)
    records.push(
        registry.repository, digest, record_files(tmp_path / "in", registry.repository, digest), registry=registry
    )
    governance = records.sha256((tmp_path / "in" / "governance.json").read_bytes())
    registry.blobs[governance] = b'{"decision": "failed"}'
    with pytest.raises(records.NoRecords, match="does not match its digest"):
        records.pull(registry.repository, digest, tmp_path / "out", registry=registry)


def test_an_unknown_tag_and_a_foreign_referrers_tag_are_refused(tmp_path: Path) -> None:
    registry = MemoryRegistry(referrers_api=False)
    with pytest.raises(records.NoRecords, match="no such tag"):
        records.pull(registry.repository, "nope", tmp_path / "out", registry=registry)
    digest = memory_image(registry)
    registry.put_manifest(records.referrers_tag(digest), b'{"schemaVersion": 2}', records.OCI_MANIFEST)
    with pytest.raises(records.RecordsError, match="is not an OCI index; not overwriting it"):
        records.push(
            registry.repository, digest, record_files(tmp_path / "in", registry.repository, digest), registry=registry
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repository", "GHCR.io/Acme", "--digest", "sha256:" + "a" * 64], "lower-case HOST/PATH"),
        (["--repository", "ghcr.io/acme/model", "--digest", "sha256:abc"], "sha256:<64 hex digits>"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for action in (["pull", *args, "--out", str(tmp_path)], ["push", *args, str(tmp_path / "image.json")]):
        assert main(["records", *action]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1


def test_push_names_the_files_it_refuses(tmp_path: Path) -> None:
    digest = "sha256:" + "a" * 64
    files = record_files(tmp_path, "ghcr.io/acme/model", digest)
    with pytest.raises(records.RecordsError, match=r"records lack governance\.json"):
        records.push("ghcr.io/acme/model", digest, [files[0]])
    with pytest.raises(records.RecordsError, match="each once"):
        records.push("ghcr.io/acme/model", digest, [*files, tmp_path / "notes.txt"])
    (tmp_path / "governance.json").unlink()
    with pytest.raises(records.RecordsError, match="no such file"):
        records.push("ghcr.io/acme/model", digest, files)
