"""Build/push/promote logic against a scripted runner: what is called, and what happens when a step fails."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from mlci.core.artifacts import RUN, RunFile, read_model
from mlci.core.errors import GateFailed, MlciError
from mlci.release import image
from synthetic import governance_record

SHA = "c" * 64
MANIFEST_A, MANIFEST_B = '{"a": 1}', '{"b": 2}'
DIGEST_A = "sha256:" + hashlib.sha256(MANIFEST_A.encode()).hexdigest()
DIGEST_B = "sha256:" + hashlib.sha256(MANIFEST_B.encode()).hexdigest()
REPO = "127.0.0.1:5000/mlci"


class FakeRegistry:
    """A scripted skopeo/docker: tags map to manifests; `down` makes every registry call fail."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {"1234": MANIFEST_A}
        self.manifests = {DIGEST_A: MANIFEST_A, DIGEST_B: MANIFEST_B}
        self.labels = {DIGEST_A: {image.MODEL_LABEL: SHA}, DIGEST_B: {image.MODEL_LABEL: "d" * 64}}
        self.down_on: str | None = None
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str], env: dict[str, str] | None = None) -> image.Completed:
        args = list(args)
        self.calls.append(args)
        if self.down_on and self.down_on in args:
            return image.Completed(1, "", "pinging container registry 127.0.0.1:5000: connect: connection refused")
        if args[:2] == ["skopeo", "inspect"]:
            ref = args[-1].removeprefix(f"docker://{REPO}")
            manifest = self.tags.get(ref[1:]) if ref.startswith(":") else self.manifests.get(ref[1:])
            if manifest is None:
                return image.Completed(1, "", "reading manifest: manifest unknown")
            if "--config" in args:
                digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
                return image.Completed(0, json.dumps({"config": {"Labels": self.labels[digest]}}), "")
            return image.Completed(0, manifest, "")
        if args[:2] == ["skopeo", "copy"]:
            assert "--preserve-digests" in args
            self.tags[args[-1].rsplit(":", 1)[1]] = self.manifests[args[-2].rsplit("@", 1)[1]]
            return image.Completed(0, "", "")
        if args[1:3] == ["image", "inspect"]:
            return image.Completed(0, json.dumps({image.MODEL_LABEL: SHA}), "")
        if args[1] == "push":
            self.tags[args[-1].rsplit(":", 1)[1]] = MANIFEST_A
            return image.Completed(0, f"1234: digest: {DIGEST_A} size: 42", "")
        return image.Completed(0, "", "")


@pytest.fixture
def governance(tmp_path: Path) -> Path:
    path = tmp_path / "governance.json"
    path.write_text(json.dumps(governance_record("passed", SHA)))
    return path


def test_promote_moves_tag_onto_the_digest(governance: Path) -> None:
    fake = FakeRegistry()
    moved = image.promote(image.Registry(REPO, fake), DIGEST_A, "staging", governance)
    assert moved.digest == DIGEST_A and moved.previous is None
    assert fake.tags["staging"] == MANIFEST_A
    assert any(call[:3] == ["skopeo", "copy", "--preserve-digests"] for call in fake.calls)
    assert "--dest-tls-verify=false" in next(c for c in fake.calls if c[1] == "copy")


def test_promote_refuses_a_digest_without_governance(governance: Path) -> None:
    fake = FakeRegistry()
    with pytest.raises(GateFailed, match="another model"):
        image.promote(image.Registry(REPO, fake), DIGEST_B, "staging", governance)
    with pytest.raises(GateFailed, match="no governance record"):
        image.promote(image.Registry(REPO, fake), DIGEST_A, "staging", governance.parent / "none.json")
    assert "staging" not in fake.tags


def test_promote_unknown_and_malformed_digest(governance: Path) -> None:
    fake = FakeRegistry()
    with pytest.raises(MlciError, match="no such image in the registry"):
        image.promote(image.Registry(REPO, fake), "sha256:" + "0" * 64, "staging", governance)
    with pytest.raises(MlciError, match="expected sha256:"):
        image.promote(image.Registry(REPO, fake), "latest", "staging", governance)


def test_registry_failing_mid_promote_moves_no_tag(governance: Path) -> None:
    fake = FakeRegistry()
    fake.tags["staging"] = MANIFEST_B
    fake.down_on = "copy"
    with pytest.raises(image.RegistryError, match=f"no tag moved \\(still at {DIGEST_B}\\)"):
        image.promote(image.Registry(REPO, fake), DIGEST_A, "staging", governance)
    assert fake.tags["staging"] == MANIFEST_B


def test_registry_down_before_promote(governance: Path) -> None:
    fake = FakeRegistry()
    fake.down_on = "inspect"
    with pytest.raises(image.RegistryError, match="registry unreachable"):
        image.promote(image.Registry(REPO, fake), DIGEST_A, "staging", governance)


def test_promote_verifies_the_digest_afterwards(governance: Path) -> None:
    fake = FakeRegistry()
    original = fake.__call__

    def lying(args: Sequence[str], env: dict[str, str] | None = None) -> image.Completed:
        if list(args)[:2] == ["skopeo", "copy"]:
            fake.tags["staging"] = MANIFEST_B  # a registry that stored something else
            return image.Completed(0, "", "")
        return original(args, env)

    with pytest.raises(image.RegistryError, match="after the copy"):
        image.promote(image.Registry(REPO, lying), DIGEST_A, "staging", governance)


def test_push_checks_governance_and_reads_the_digest_back(governance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLCI_DOCKER", "/usr/bin/docker")
    fake = FakeRegistry()
    moved = image.push("mlci-model:1234", f"{REPO}:abc", governance, runner=fake)
    assert moved.digest == DIGEST_A and moved.reference == f"{REPO}:abc"
    assert ["/usr/bin/docker", "push", f"{REPO}:abc"] in fake.calls
    fake.down_on = "push"
    with pytest.raises(image.RegistryError, match="push failed, no tag moved"):
        image.push("mlci-model:1234", f"{REPO}:def", governance, runner=fake)
    with pytest.raises(MlciError, match="expected REPOSITORY:TAG"):
        image.push("mlci-model:1234", "no-tag/here", governance, runner=fake)


def test_build_command_and_context(tmp_path: Path, trained_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[2]
    spec = image.BuildSpec("m:1", "abc", "https://x/y", SHA, ca_bundle=Path("/ca.pem"))
    seen: list[list[str]] = []

    def runner(args: Sequence[str], env: dict[str, str] | None = None) -> image.Completed:
        seen.append(list(args))
        if args[1] == "build":
            assert env == {"DOCKER_BUILDKIT": "1"}
            context = Path(args[-1])
            assert sorted(p.name for p in (context / "artifacts").iterdir()) == sorted(image.ARTIFACT_FILES)
            assert (context / "src" / "mlci" / "serve" / "app.py").is_file()
        return image.Completed(0, "sha256:123\n", "")

    monkeypatch.delenv("MLCI_DOCKER", raising=False)
    assert image.build(spec, root, trained_run, runner) == "sha256:123"
    build = seen[0]
    assert build[:2] == ["docker", "build"] and "--secret" in build and "id=ca_bundle,src=/ca.pem" in build
    assert f"MODEL_SHA256={SHA}" in build and not any(arg.startswith("BASE_IMAGE=") for arg in build)
    with pytest.raises(MlciError, match="docker build failed: boom"):
        image.build(spec, root, trained_run, lambda a, e=None: image.Completed(1, "", "step 3\nboom\n"))
    with pytest.raises(MlciError, match="missing; run `mlci run`"):
        image.build(spec, root, tmp_path, runner)


def test_small_helpers(tmp_path: Path) -> None:
    assert image.default_tag("mlci-model", "0123456789abcdef") == "mlci-model:0123456789ab"
    assert image.default_tag("m", "0123456789abcdef-dirty") == "m:0123456789ab-dirty"
    assert image.short_revision("0123456789abcdef-dirty") == "0123456789ab-dirty"
    assert image.short_revision("") == "unknown" and image.short_revision("a:b/c") == "a-b-c"
    assert image.tls_flag("ghcr.io/o/r") == []
    assert image.tls_flag("localhost:5000/r") == ["--tls-verify=false"]
    assert image.split_reference("host:5000/r:tag") == ("host:5000/r", "tag")
    with pytest.raises(MlciError):
        read_model(RunFile, tmp_path / RUN, "run `mlci run` first")
    with pytest.raises(MlciError, match="not found on PATH"):
        image.run_process(["definitely-not-a-program-mlci"])
    assert image.run_process(["true"]).returncode == 0
