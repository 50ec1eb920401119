"""The serving image end to end: build, smoke, push, promote by digest, failure modes."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from mlci.config import Params
from mlci.core.errors import GateFailed
from mlci.release import image
from mlci.release.smoke import run_smoke
from synthetic import EXAMPLE

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def skopeo_digest(reference: str) -> str:
    repository = reference.rsplit(":", 1)[0] if "@" not in reference else reference.split("@", maxsplit=1)[0]
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", *image.tls_flag(repository), f"docker://{reference}"],
        capture_output=True,
        check=True,
    ).stdout
    import hashlib

    return "sha256:" + hashlib.sha256(raw).hexdigest()


def test_image_is_slim_labelled_and_non_root(engine: Any, built: Any) -> None:
    found = engine.images.get(built.tag)
    assert found.attrs["Size"] / 1e6 <= 400
    labels = found.attrs["Config"]["Labels"]
    assert labels[image.MODEL_LABEL] == built.model_sha256
    assert labels[image.REVISION_LABEL] == "test" and labels[image.SOURCE_LABEL]
    assert found.attrs["Config"]["User"] == "10001:10001"
    assert found.attrs["Config"]["Healthcheck"]["Test"][0] == "CMD"
    listing = engine.containers.run(
        built.tag,
        ["sh", "-c", "ls /opt/venv/bin; python3 -c 'import pytest' || echo no-pytest"],
        remove=True,
        network_mode="none",
    )
    assert b"no-pytest" in listing and b"pip" not in listing


def dockerfile_base() -> str:
    found = re.search(r"^FROM\s+(\S+)", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert found is not None
    return found.group(1)


def test_image_runs_the_python_its_dockerfile_names(engine: Any, built: Any) -> None:
    minor = re.match(r"python:(3\.\d+)-", dockerfile_base())
    assert minor is not None, dockerfile_base()
    script = "import ssl, sys; print('%d.%d' % sys.version_info[:2], sys.base_prefix, ssl.OPENSSL_VERSION)"
    for tag in (built.tag, dockerfile_base()):
        out = engine.containers.run(tag, ["python3", "-c", script], remove=True, network_mode="none")
        version, prefix, _ = out.decode().split(" ", 2)
        assert (version, prefix) == (minor.group(1), "/usr/local"), tag


def test_base_standin_script_finds_the_base_the_build_used(engine: Any, built: Any) -> None:
    # The build ran on whatever the local store holds under the Dockerfile's name; the script `make
    # base-standin` runs must read that same name and leave an image already there alone.
    env = {**os.environ, "MLCI_DOCKER": image.docker_binary()}
    script = str(ROOT / "scripts" / "base-standin.sh")
    done = subprocess.run([script], capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert f"{dockerfile_base()} is already in the local image store" in done.stdout


def test_smoke_passes(built: Any, bundled_params: Params) -> None:
    report = run_smoke(built.tag, bundled_params, built.artifacts)
    assert report.rows > 100
    assert all(400 <= status < 500 for status in report.bad_payloads.values())
    assert len(report.bad_payloads) == 8


def test_smoke_cli_and_unknown_image(built: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from mlci.cli import main

    params = str(EXAMPLE / "params.yaml")
    assert main(["image", "smoke", "--params", params, "--artifacts", str(built.artifacts), built.tag]) == 0
    assert "holdout rows identical to predictions.csv" in capsys.readouterr().out
    assert main(["image", "smoke", "--params", params, "--artifacts", str(built.artifacts), "mlci-test:absent"]) == 2
    assert "no such local image" in capsys.readouterr().err


def test_tampered_model_container_refuses_to_start(engine: Any, built: Any, tmp_path: Path) -> None:
    tampered = tmp_path / "model.skops"
    blob = bytearray((built.artifacts / "model.skops").read_bytes())
    blob[100] ^= 0xFF
    tampered.write_bytes(bytes(blob))
    tampered.chmod(0o644)
    container = engine.containers.run(
        built.tag,
        detach=True,
        network_mode="host",
        environment={"HOST": "127.0.0.1", "PORT": "8766"},
        volumes={str(tampered): {"bind": "/app/artifacts/model.skops", "mode": "ro"}},
    )
    try:
        result = container.wait(timeout=120)
        logs = container.logs().decode()
    finally:
        container.remove(force=True)
    assert result["StatusCode"] == 2
    assert "refusing to load a tampered or wrong model" in logs
    assert "Uvicorn running" not in logs


def test_push_then_promote_keeps_the_digest(built: Any, registry: str) -> None:
    repository = f"{registry}/mlci-test"
    governance = built.artifacts / "governance.json"
    pushed = image.push(built.tag, f"{repository}:{built.model_sha256[:12]}", governance)
    assert pushed.digest == skopeo_digest(f"{repository}:{built.model_sha256[:12]}")
    moved = image.promote(image.Registry(repository), pushed.digest, "staging", governance)
    assert moved.digest == pushed.digest == skopeo_digest(f"{repository}:staging")
    with pytest.raises(GateFailed, match="no governance record"):
        image.promote(image.Registry(repository), pushed.digest, "production", governance.parent / "absent.json")
    with pytest.raises(Exception, match="no such image in the registry"):
        image.promote(image.Registry(repository), "sha256:" + "0" * 64, "production", governance)


def test_registry_stopped_mid_promote_moves_no_tag(engine: Any, built: Any, own_registry: Any) -> None:
    repository = f"{own_registry.address}/mlci-test"
    governance = built.artifacts / "governance.json"
    first = image.push(built.tag, f"{repository}:first", governance)
    image.promote(image.Registry(repository), first.digest, "staging", governance)
    variant, _ = engine.images.build(
        fileobj=__import__("io").BytesIO(f"FROM {built.tag}\nLABEL variant=2\n".encode()),
        tag="mlci-test:variant",
        rm=True,
    )
    second = image.push("mlci-test:variant", f"{repository}:second", governance)
    assert second.digest != first.digest

    def stop_before_copy(args: Sequence[str], env: dict[str, str] | None = None) -> image.Completed:
        if list(args)[:2] == ["skopeo", "copy"]:
            own_registry.stop()
        return image.run_process(args, env)

    started = time.monotonic()
    with pytest.raises(image.RegistryError, match=f"promotion failed, no tag moved \\(still at {first.digest}\\)"):
        image.promote(image.Registry(repository, stop_before_copy), second.digest, "staging", governance)
    assert time.monotonic() - started < 120
    own_registry.start()
    assert skopeo_digest(f"{repository}:staging") == first.digest
    engine.images.remove(variant.id, force=True)
