"""Release records kept with the image: an OCI artifact in the registry whose `subject` is the image manifest.

A release reads the image record, governance record, model card and SBOM of the commit it ships. Workflow
artifacts expire (90 days), the image does not, so the records are attached to the image digest itself and live
as long as it does. Registries with the referrers API (OCI distribution 1.1) index the artifact by its `subject`;
for the others the artifact is also listed in the index tagged `sha256-<hex>` (the referrers tag scheme of the
OCI distribution spec), which is where `pull` looks when the referrers API answers 404.

The `oras` SDK (the `release` extra) supplies the HTTP session and the registry login (the Docker config that
`docker login` writes); the manifests are built here, so the artifact type, subject and fallback are explicit.

The image record (`image.json`) ties the records to what they describe: `pull` refuses one naming another digest or
repository, and `read_release` one naming another commit than the release asks for.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin

from mlci.core.artifacts import (
    DIGEST,
    GOVERNANCE,
    IMAGE_RECORD,
    MODEL_CARD,
    ImageRecord,
    read_image_record,
    write_atomic,
    write_image_record,
)
from mlci.core.errors import EXIT_FAILED, ArtifactError, MlciError
from mlci.release.refs import check_commit, check_digest, check_repository

ARTIFACT_TYPE = "application/vnd.mlci.release-records.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST)
EMPTY_CONFIG = b"{}"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
TITLE = "org.opencontainers.image.title"
CREATED = "org.opencontainers.image.created"
# What a release reads; image.json and governance.json are required, the card and SBOM travel with them.
RECORD_FILES = (IMAGE_RECORD, GOVERNANCE, MODEL_CARD, "sbom.spdx.json")
REQUIRED = (IMAGE_RECORD, GOVERNANCE)
MAX_RECORD_BYTES = 64 * 1024 * 1024
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class RecordsError(MlciError):
    """Bad input to `mlci records` (exit 2)."""


class NoRecords(MlciError):
    """The digest exists but carries no release records, or they are unusable (exit 1)."""

    exit_code = EXIT_FAILED


class Response(Protocol):
    status_code: int
    headers: Mapping[str, str]
    content: bytes


@dataclass(frozen=True)
class Pushed:
    repository: str
    subject: str
    digest: str
    fallback_tag: str | None  # the referrers tag written, None when the registry indexed the subject itself


@dataclass(frozen=True)
class Pulled:
    repository: str
    subject: str
    digest: str
    files: tuple[Path, ...]


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def referrers_tag(digest: str) -> str:
    """The OCI referrers tag scheme: <alg>-<hex> (the subject digest with ':' made tag-safe)."""
    return digest.replace(":", "-", 1)


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _media_type(path: Path) -> str:
    return {".json": "application/json", ".md": "text/markdown"}.get(path.suffix, "application/octet-stream")


class Registry:
    """One repository of an OCI registry, through the oras SDK's session and login."""

    def __init__(self, repository: str) -> None:
        import oras.provider  # type: ignore[import-untyped]  # the `release` extra; untyped

        host, _, name = check_repository(repository).partition("/")
        insecure = any(host == h or host.startswith(f"{h}:") for h in LOCAL_HOSTS)
        self.repository = repository
        self._oras = oras.provider.Registry(hostname=host, insecure=insecure)
        self._oras.auth.load_configs(self._oras.get_container(repository))
        self._base = f"{'http' if insecure else 'https'}://{host}/v2/{name}"

    def request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, data: bytes | None = None
    ) -> Response:
        url = path if path.startswith(("http://", "https://")) else f"{self._base}{path}"
        try:
            response: Response = self._oras.do_request(url, method, data=data, headers=dict(headers or {}))
        except Exception as exc:  # requests, oras auth and retry errors alike: one line, no traceback
            raise RecordsError(f"{self.repository}: registry request failed: {exc.__class__.__name__}: {exc}") from None
        return response

    def _fail(self, what: str, response: Response) -> RecordsError:
        detail = response.content[:200].decode("utf-8", errors="replace").strip()
        return RecordsError(f"{self.repository}: {what} failed: HTTP {response.status_code} {detail}")

    def manifest(self, reference: str) -> tuple[bytes, str] | None:
        """The manifest bytes and media type at a tag or digest; None when there is none."""
        response = self.request("GET", f"/manifests/{reference}", {"Accept": ", ".join(MANIFEST_TYPES)})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(f"reading manifest {reference}", response)
        if DIGEST.fullmatch(reference) and sha256(response.content) != reference:
            raise NoRecords(f"{self.repository}@{reference}: the registry returned a manifest with another digest")
        media = str(response.headers.get("Content-Type", "")).split(";")[0].strip()
        return response.content, media or str(json.loads(response.content).get("mediaType", OCI_MANIFEST))

    def put_manifest(self, reference: str, body: bytes, media_type: str) -> Response:
        response = self.request("PUT", f"/manifests/{reference}", {"Content-Type": media_type}, body)
        if response.status_code not in (200, 201):
            raise self._fail(f"writing manifest {reference}", response)
        return response

    def put_blob(self, data: bytes, media_type: str, annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
        digest = sha256(data)
        if self.request("HEAD", f"/blobs/{digest}").status_code != 200:
            started = self.request("POST", "/blobs/uploads/")
            location = started.headers.get("Location")
            if started.status_code != 202 or not location:
                raise self._fail("starting a blob upload", started)
            url = urljoin(f"{self._base}/", location)
            url += ("&" if "?" in url else "?") + f"digest={digest}"
            done = self.request("PUT", url, {"Content-Type": "application/octet-stream"}, data)
            if done.status_code not in (201, 204):
                raise self._fail(f"uploading blob {digest}", done)
        descriptor: dict[str, Any] = {"mediaType": media_type, "digest": digest, "size": len(data)}
        if annotations:
            descriptor["annotations"] = dict(annotations)
        return descriptor

    def blob(self, descriptor: Mapping[str, Any]) -> bytes:
        digest, size = str(descriptor.get("digest", "")), descriptor.get("size")
        if not DIGEST.fullmatch(digest) or not isinstance(size, int) or not 0 <= size <= MAX_RECORD_BYTES:
            raise NoRecords(f"{self.repository}: a record layer has a bad digest or size ({digest[:80]!r}, {size!r})")
        response = self.request("GET", f"/blobs/{digest}")
        if response.status_code != 200:
            raise self._fail(f"reading blob {digest}", response)
        if sha256(response.content) != digest or len(response.content) != size:
            raise NoRecords(f"{self.repository}: blob {digest} does not match its digest or size")
        return response.content

    def referrers(self, subject: str) -> list[dict[str, Any]]:
        """Descriptors of the artifacts whose subject is `subject` and whose type is ours: the referrers API, or
        the referrers tag where the registry has no such API (it answers 404)."""
        response = self.request("GET", f"/referrers/{subject}?artifactType={ARTIFACT_TYPE}", {"Accept": OCI_INDEX})
        if response.status_code == 200:
            index: Any = json.loads(response.content)
        elif response.status_code == 404:
            found = self.manifest(referrers_tag(subject))
            index = json.loads(found[0]) if found else {"manifests": []}
        else:
            raise self._fail(f"listing the referrers of {subject}", response)
        manifests = index.get("manifests") if isinstance(index, dict) else None
        return [m for m in manifests or [] if isinstance(m, dict) and m.get("artifactType") == ARTIFACT_TYPE]


def _subject(registry: Registry, digest: str) -> dict[str, Any]:
    found = registry.manifest(digest)
    if found is None:
        raise NoRecords(f"{registry.repository}@{digest}: no such image in the registry")
    body, media_type = found
    return {"mediaType": media_type, "digest": digest, "size": len(body)}


def push(
    repository: str,
    digest: str,
    files: Sequence[Path],
    created: datetime | None = None,
    registry: Registry | None = None,
) -> Pushed:
    """Attach `files` (named as RECORD_FILES) to the image `digest` as one artifact of type ARTIFACT_TYPE."""
    check_repository(repository)
    check_digest(digest)
    names = [f.name for f in files]
    unknown = sorted(set(names) - set(RECORD_FILES))
    if unknown or len(set(names)) != len(names):
        raise RecordsError(f"records are {', '.join(RECORD_FILES)}, each once; got {', '.join(names)}")
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise RecordsError(f"records lack {', '.join(missing)}")
    for file in files:
        if not file.is_file():
            raise RecordsError(f"{file}: no such file")
    registry = registry or Registry(repository)
    subject = _subject(registry, digest)
    layers = [registry.put_blob(f.read_bytes(), _media_type(f), {TITLE: f.name}) for f in files]
    config = registry.put_blob(EMPTY_CONFIG, EMPTY_MEDIA_TYPE)
    stamp = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": ARTIFACT_TYPE,
        "config": config,
        "layers": layers,
        "subject": subject,
        "annotations": {CREATED: stamp},
    }
    body = _canonical(manifest)
    records = sha256(body)
    response = registry.put_manifest(records, body, OCI_MANIFEST)
    if response.headers.get("OCI-Subject") == digest:
        return Pushed(repository, digest, records, None)
    tag = referrers_tag(digest)
    _add_to_referrers_tag(registry, tag, {**_descriptor(body, records), "annotations": {CREATED: stamp}})
    return Pushed(repository, digest, records, tag)


def _descriptor(body: bytes, digest: str) -> dict[str, Any]:
    return {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body), "artifactType": ARTIFACT_TYPE}


def _add_to_referrers_tag(registry: Registry, tag: str, descriptor: dict[str, Any]) -> None:
    """Append to the index at the referrers tag (created if absent), as the OCI distribution spec asks of clients
    when the registry has no referrers API."""
    found = registry.manifest(tag)
    index: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    if found is not None:
        existing = json.loads(found[0])
        if not isinstance(existing, dict) or existing.get("mediaType", found[1]) != OCI_INDEX:
            raise RecordsError(f"{registry.repository}:{tag} exists and is not an OCI index; not overwriting it")
        index = existing
    manifests = [m for m in index.get("manifests") or [] if m.get("digest") != descriptor["digest"]]
    index["manifests"] = [*manifests, descriptor]
    registry.put_manifest(tag, _canonical(index), OCI_INDEX)


def resolve(registry: Registry, reference: str) -> str:
    """The manifest digest of a tag (or a digest, checked)."""
    if DIGEST.fullmatch(reference):
        return reference
    if not TAG.fullmatch(reference):
        raise RecordsError(f"tag {reference[:80]!r} is not a valid tag")
    found = registry.manifest(reference)
    if found is None:
        raise NoRecords(f"{registry.repository}:{reference}: no such tag in the registry")
    return sha256(found[0])


def _newest(descriptors: Iterable[dict[str, Any]]) -> dict[str, Any]:
    def key(d: dict[str, Any]) -> tuple[str, str]:
        annotations = d.get("annotations") if isinstance(d.get("annotations"), dict) else {}
        return str((annotations or {}).get(CREATED, "")), str(d.get("digest", ""))

    return max(descriptors, key=key)


def pull(repository: str, reference: str, out: Path, registry: Registry | None = None) -> Pulled:
    """Write the newest records attached to the image `reference` (digest or tag) into `out`; refuse an image
    without records, records for another image and an image record that names another digest or repository."""
    check_repository(repository)
    registry = registry or Registry(repository)
    subject = resolve(registry, reference)
    found = registry.referrers(subject)
    if not found:
        raise NoRecords(
            f"{repository}@{subject} has no release records attached (pushed before records were kept with the image, "
            "or not by the image workflow)"
        )
    chosen = _newest(found)
    records = check_digest(str(chosen.get("digest", "")))
    manifest_found = registry.manifest(records)
    if manifest_found is None:
        raise NoRecords(f"{repository}@{records}: the records listed for {subject} are gone")
    manifest = json.loads(manifest_found[0])
    attached = manifest.get("subject") if isinstance(manifest, dict) else None
    if (
        manifest.get("artifactType") != ARTIFACT_TYPE
        or not isinstance(attached, dict)
        or attached.get("digest") != subject
    ):
        raise NoRecords(f"{repository}@{records}: not release records of {subject}")
    contents: dict[str, bytes] = {}
    for layer in manifest.get("layers") or []:
        name = str((layer.get("annotations") or {}).get(TITLE, "")) if isinstance(layer, dict) else ""
        if name not in RECORD_FILES or name in contents:
            raise NoRecords(f"{repository}@{records}: unexpected record {name[:80]!r}")
        contents[name] = registry.blob(layer)
    missing = [name for name in REQUIRED if name not in contents]
    if missing:
        raise NoRecords(f"{repository}@{records}: the records lack {', '.join(missing)}")
    _check_image_record(contents[IMAGE_RECORD], repository, subject)
    written = []
    for name, data in contents.items():
        write_atomic(out / name, data)
        written.append(out / name)
    return Pulled(repository, subject, records, tuple(written))


def _check_image_record(data: bytes, repository: str, subject: str) -> None:
    try:
        record = read_image_record(Path(IMAGE_RECORD), data)
    except ArtifactError as exc:
        raise NoRecords(f"{repository}@{subject}: the attached {exc.message}") from None
    if record.digest != subject or record.image != repository:
        named = f"{record.image}@{record.digest}"
        raise NoRecords(f"{repository}@{subject}: the attached image.json names {named}, not this image")


# --- the image record: written after the push, read when a commit is released ---------------------------------


def record_image(out: Path, repository: str, digest: str, commit: str) -> Path:
    """Write `out/image.json`: `repository@digest` is the image the main run pushed for `commit`."""
    return write_image_record(out, check_repository(repository), check_digest(digest), check_commit(commit))


def read_release(folder: Path, repository: str, commit: str) -> ImageRecord:
    """The image record of the records `pull` wrote into `folder`, when they are the records of `commit`'s image
    in `repository`; NoRecords (exit 1) when a required record is missing or the record names another commit or
    repository (`pull` already tied it to the digest it was attached to)."""
    check_repository(repository)
    check_commit(commit)
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise NoRecords(f"the records in {folder} lack {', '.join(missing)}")
    record = read_image_record(folder / IMAGE_RECORD)
    if record.commit != commit:
        raise NoRecords(f"the image record in {folder} is for commit {record.commit}, not {commit}")
    if record.image != repository:
        raise NoRecords(f"the image record in {folder} names {record.image}, not {repository}")
    return record
