"""Build, push and promote the serving image: the Docker CLI (BuildKit) to build and push, skopeo to move tags.

Promotion never rebuilds: a tag is copied onto an existing digest with `skopeo copy --preserve-digests`, and the
digest is read back afterwards. Every external program goes through a `Runner`, so the logic is testable.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mlci.core import artifacts as files
from mlci.core.artifacts import DIGEST, DIGEST_PATTERN
from mlci.core.errors import ArtifactError, MlciError
from mlci.release.gate import require_passed

MODEL_LABEL = "io.mlci.model.sha256"
REVISION_LABEL = "org.opencontainers.image.revision"
SOURCE_LABEL = "org.opencontainers.image.source"
ARTIFACT_FILES = (files.MODEL, files.MODEL_SHA256, files.RUN, files.PARAMS, files.METRICS)
CONTEXT_FILES = ("Dockerfile", ".dockerignore", "requirements-serve.txt", "scripts/serving_imports.py")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class RegistryError(MlciError):
    """The registry or a tool talking to it failed."""


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str], dict[str, str] | None], Completed]


def run_process(args: Sequence[str], env: dict[str, str] | None = None) -> Completed:
    """Run a program and capture its output; a missing program is a one-line error."""
    try:
        done = subprocess.run(
            list(args), capture_output=True, text=True, check=False, env=None if env is None else {**os.environ, **env}
        )
    except FileNotFoundError:
        raise MlciError(f"{args[0]}: not found on PATH; install it (see README, 'Serving image')") from None
    return Completed(done.returncode, done.stdout, done.stderr)


def docker_binary() -> str:
    """$MLCI_DOCKER or `docker`: the client must be able to build with BuildKit (buildx or DOCKER_BUILDKIT=1)."""
    return os.environ.get("MLCI_DOCKER") or "docker"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


# ----------------------------------------------------------------------------------------------------- build


@dataclass(frozen=True)
class BuildSpec:
    tag: str
    revision: str
    source: str
    model_sha256: str
    ca_bundle: Path | None = None


def short_revision(revision: str) -> str:
    """The tag part for a commit: its first 12 characters, tag-safe ('-dirty' kept so a dirty build never takes
    a clean commit's tag; 'unknown' if empty)."""
    clean = re.sub(r"[^A-Za-z0-9_.-]", "-", revision)
    short = clean[:12] + ("-dirty" if clean.endswith("-dirty") else "")
    return short or "unknown"


def default_tag(name: str, revision: str) -> str:
    """name:<first 12 of the commit> (see short_revision)."""
    return f"{name}:{short_revision(revision)}"


def build_command(spec: BuildSpec, context: Path, docker: str) -> list[str]:
    command = [docker, "build", "--network", "host", "--file", str(context / "Dockerfile"), "--tag", spec.tag]
    for key, value in (
        ("REVISION", spec.revision),
        ("SOURCE", spec.source),
        ("MODEL_SHA256", spec.model_sha256),
    ):
        command += ["--build-arg", f"{key}={value}"]
    if spec.ca_bundle is not None:
        command += ["--secret", f"id=ca_bundle,src={spec.ca_bundle}"]
    return [*command, str(context)]


@contextmanager
def staged_context(root: Path, artifacts: Path) -> Iterator[Path]:
    """A build context with only what the Dockerfile copies, artifacts from any folder (not just ./artifacts)."""
    with tempfile.TemporaryDirectory(prefix="mlci-image-") as temp:
        context = Path(temp)
        for name in CONTEXT_FILES:
            if not (root / name).is_file():
                raise ArtifactError(f"{root / name}: missing; `mlci image build` runs from the project root")
            (context / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, context / name)
        shutil.copytree(root / "src" / "mlci", context / "src" / "mlci", ignore=shutil.ignore_patterns("__pycache__"))
        (context / "artifacts").mkdir()  # the folder the Dockerfile copies from, whatever `artifacts` is here
        for name in ARTIFACT_FILES:
            if not (artifacts / name).is_file():
                raise ArtifactError(f"{artifacts / name}: missing; run `mlci run` before building the image")
            shutil.copy2(artifacts / name, context / "artifacts" / name)
        yield context


def build(spec: BuildSpec, root: Path, artifacts: Path, runner: Runner = run_process) -> str:
    """Build with BuildKit; returns the image id."""
    docker = docker_binary()
    with staged_context(root, artifacts) as context:
        done = runner(build_command(spec, context, docker), {"DOCKER_BUILDKIT": "1"})
    if done.returncode != 0:
        raise MlciError(f"docker build failed: {_last_line(done.stderr or done.stdout)}")
    inspected = runner([docker, "image", "inspect", "--format", "{{.Id}}", spec.tag], None)
    return inspected.stdout.strip()


# -------------------------------------------------------------------------------------------------- registry


def split_reference(reference: str) -> tuple[str, str]:
    """'host/repo:tag' -> ('host/repo', 'tag'); the tag is required."""
    repository, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag or not repository:
        raise MlciError(f"{reference}: expected REPOSITORY:TAG")
    return repository, tag


def tls_flag(repository: str, option: str = "--tls-verify") -> list[str]:
    """Plain HTTP only for a registry on this machine (as the Docker daemon allows); TLS everywhere else."""
    host = repository.split("/", 1)[0]
    local = any(host == h or host.startswith(f"{h}:") for h in LOCAL_HOSTS)
    return [f"{option}=false"] if local else []


@dataclass(frozen=True)
class Registry:
    """skopeo against one repository."""

    repository: str
    runner: Runner = run_process

    def _skopeo(self, *args: str) -> Completed:
        return self.runner(["skopeo", *args], None)

    def digest(self, reference: str) -> str | None:
        """The manifest digest `reference` (':tag' or '@sha256:...') points to; None if unknown; RegistryError if down."""
        done = self._skopeo("inspect", "--raw", *tls_flag(self.repository), f"docker://{self.repository}{reference}")
        if done.returncode != 0:
            if _unknown(done.stderr):
                return None
            raise RegistryError(f"{self.repository}: registry unreachable or failing: {_last_line(done.stderr)}")
        return "sha256:" + hashlib.sha256(done.stdout.encode("utf-8")).hexdigest()

    def labels(self, digest: str) -> dict[str, str]:
        done = self._skopeo("inspect", "--config", *tls_flag(self.repository), f"docker://{self.repository}@{digest}")
        if done.returncode != 0:
            if _unknown(done.stderr):
                raise MlciError(f"{self.repository}@{digest}: no such image in the registry")
            raise RegistryError(f"{self.repository}: registry unreachable or failing: {_last_line(done.stderr)}")
        config = json.loads(done.stdout)
        return dict((config.get("config") or {}).get("Labels") or {})

    def copy(self, digest: str, tag: str) -> Completed:
        return self._skopeo(
            "copy",
            "--preserve-digests",
            *tls_flag(self.repository, "--src-tls-verify"),
            *tls_flag(self.repository, "--dest-tls-verify"),
            f"docker://{self.repository}@{digest}",
            f"docker://{self.repository}:{tag}",
        )


def _unknown(stderr: str) -> bool:
    text = stderr.lower()
    return "manifest unknown" in text or "not found" in text or "name unknown" in text


@dataclass(frozen=True)
class Moved:
    reference: str
    digest: str
    previous: str | None


def promote(registry: Registry, digest: str, tag: str, governance: Path) -> Moved:
    """Point `tag` at an existing `digest` that passed governance; the digest is read back afterwards."""
    if not DIGEST.fullmatch(digest):
        raise MlciError(f"--digest {digest!r}: expected sha256: followed by 64 hex digits")
    labels = registry.labels(digest)
    require_passed(governance, labels.get(MODEL_LABEL))
    target = f"{registry.repository}:{tag}"
    previous = registry.digest(f":{tag}")
    done = registry.copy(digest, tag)
    if done.returncode != 0:
        raise RegistryError(f"{target}: promotion failed, no tag moved ({_state(previous)}): {_last_line(done.stderr)}")
    after = registry.digest(f":{tag}")
    if after != digest:
        raise RegistryError(f"{target}: points at {after} after the copy, expected {digest}; check the registry")
    return Moved(target, digest, previous)


def _state(previous: str | None) -> str:
    return f"still at {previous}" if previous else "it did not exist before"


def push(image: str, reference: str, governance: Path, runner: Runner = run_process) -> Moved:
    """Push a local, governed image as `reference` (REPOSITORY:TAG) and return the digest the registry holds."""
    docker = docker_binary()
    repository, tag = split_reference(reference)
    inspected = runner([docker, "image", "inspect", "--format", "{{json .Config.Labels}}", image], None)
    if inspected.returncode != 0:
        raise MlciError(f"{image}: no such local image: {_last_line(inspected.stderr)}")
    labels = json.loads(inspected.stdout or "null") or {}
    require_passed(governance, labels.get(MODEL_LABEL))
    registry = Registry(repository, runner)
    previous = registry.digest(f":{tag}")
    for args in ([docker, "tag", image, reference], [docker, "push", reference]):
        done = runner(args, None)
        if done.returncode != 0:
            raise RegistryError(
                f"{reference}: push failed, no tag moved ({_state(previous)}): {_last_line(done.stderr or done.stdout)}"
            )
    digest = registry.digest(f":{tag}")
    if digest is None:
        raise RegistryError(f"{reference}: pushed but the registry does not list it")
    pushed = re.search(f"digest: ({DIGEST_PATTERN})", done.stdout)
    if pushed and pushed.group(1) != digest:
        raise RegistryError(f"{reference}: registry holds {digest}, docker pushed {pushed.group(1)}")
    return Moved(reference, digest, previous)
