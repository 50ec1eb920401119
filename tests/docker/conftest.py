"""Docker tests: a real engine, BuildKit and a registry on 127.0.0.1 (`.ci/run` sets them up).

Without an engine they skip with the reason; with MLCI_REQUIRE_DOCKER=1 (as in .ci/run) they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlci.release import image
from synthetic import governance_record, governance_rule

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = os.environ.get("MLCI_TEST_REGISTRY", "127.0.0.1:5000")


def unavailable(reason: str) -> None:
    if os.environ.get("MLCI_REQUIRE_DOCKER") == "1":
        pytest.fail(f"MLCI_REQUIRE_DOCKER=1 but {reason}")
    pytest.skip(reason)


def registry_up(address: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{address}/v2/", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


def engine_up(binary: str) -> bool:
    """Ask the CLI first: the SDK leaks its socket when the engine is down (an unraisable warning in pytest)."""
    try:
        return subprocess.run([binary, "info"], capture_output=True, check=False, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    for tool in ("skopeo", image.docker_binary()):
        if shutil.which(tool) is None:
            unavailable(f"{tool} not on PATH")
    if not engine_up(image.docker_binary()):
        unavailable("no Docker engine reachable; run .ci/run or start dockerd")
    if not buildkit_client(image.docker_binary()):
        unavailable(
            f"{image.docker_binary()} cannot build with BuildKit (no buildx); set MLCI_DOCKER to a client that can"
        )
    import docker

    client = docker.from_env()
    client.ping()
    yield client
    client.close()


def buildkit_client(binary: str) -> bool:
    """buildx present, or a client older than 23 whose built-in builder still honours DOCKER_BUILDKIT=1."""
    buildx = subprocess.run([binary, "buildx", "version"], capture_output=True, check=False, timeout=30)
    if buildx.returncode == 0:
        return True
    client = [binary, "version", "--format", "{{.Client.Version}}"]
    version = subprocess.run(client, capture_output=True, text=True, check=False, timeout=30).stdout.strip()
    major = version.split(".", 1)[0]
    return major.isdigit() and int(major) < 23


@pytest.fixture(scope="session")
def local_registry() -> str:
    """The registry on 127.0.0.1:5000 alone: plain registry content (release records) needs no engine."""
    if not registry_up(REGISTRY):
        unavailable(f"no registry at {REGISTRY}; .ci/run starts one")
    return REGISTRY


@pytest.fixture(scope="session")
def registry(engine: Any, local_registry: str) -> str:
    return local_registry


@dataclass(frozen=True)
class Built:
    tag: str
    artifacts: Path
    model_sha256: str


def write_governance(artifacts: Path, decision: str = "passed") -> None:
    """A stand-in for `mlci govern`'s record: the decision on this run's model."""
    sha = json.loads((artifacts / "run.json").read_text())["model"]["sha256"]
    record = governance_record(decision, sha, [governance_rule("model_hash", decision)])
    (artifacts / "governance.json").write_text(json.dumps(record))


@pytest.fixture(scope="session")
def built(engine: Any, trained_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    artifacts = Path(shutil.copytree(trained_run, tmp_path_factory.mktemp("image") / "artifacts"))
    write_governance(artifacts)
    sha = json.loads((artifacts / "run.json").read_text())["model"]["sha256"]
    ca = os.environ.get("MLCI_CA_BUNDLE")
    spec = image.BuildSpec(
        tag=f"mlci-test:{sha[:12]}",
        revision="test",
        source="https://example.invalid/mlci",
        model_sha256=sha,
        ca_bundle=Path(ca) if ca else None,
    )
    image.build(spec, ROOT, artifacts)
    return Built(spec.tag, artifacts, sha)


@pytest.fixture
def own_registry(engine: Any, tmp_path: Path) -> Iterator[Any]:
    """A registry this test may stop and start again (same storage), on 127.0.0.1:5001."""
    binary = shutil.which("docker-registry") or shutil.which("registry")
    if binary is None:
        unavailable("docker-registry not on PATH (Debian package docker-registry)")
    config = tmp_path / "registry.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'data'}\nhttp:\n  addr: 127.0.0.1:5001\n"
    )

    class Controller:
        address = "127.0.0.1:5001"
        process: subprocess.Popen[bytes] | None = None

        def start(self) -> None:
            self.process = subprocess.Popen(
                [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            deadline = time.monotonic() + 20
            while not registry_up(self.address):
                if time.monotonic() > deadline:
                    raise AssertionError("test registry did not start on 127.0.0.1:5001")
                time.sleep(0.1)

        def stop(self) -> None:
            if self.process is not None:
                self.process.terminate()
                self.process.wait(timeout=20)
                self.process = None

    controller = Controller()
    controller.start()
    yield controller
    controller.stop()
