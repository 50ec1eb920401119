"""The `image:` section of params.yaml: defaults, validation errors naming key and line, CLI round trip."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlci.cli import main
from mlci.config import load_params, parse_params
from mlci.core.errors import ArtifactError, ConfigError
from synthetic import EXAMPLE


def bundled(**image: Any) -> str:
    raw = yaml.safe_load((EXAMPLE / "params.yaml").read_text())
    raw["image"] = image
    return yaml.safe_dump(raw, sort_keys=False)


def test_bundled_image_section_and_defaults(bundled_params: Any) -> None:
    assert bundled_params.image.max_size_mb == 400
    assert bundled_params.image.serve.max_batch == 1000
    defaults = parse_params(bundled())
    assert defaults.image.name == "mlci-model" and defaults.image.smoke.port == 8765
    assert defaults.canonical()["image"]["serve"]["max_body_bytes"] == 2_000_000  # reaches params.json
    serve = bundled_params.image.serve
    assert (serve.max_batch_rows, serve.max_wait_ms, serve.max_queue_rows) == (128, 2, 2000)
    assert parse_params(bundled(serve={"max_wait_ms": 0})).image.serve.max_wait_ms == 0  # 0: batching off


def test_batching_limits_reach_the_server_and_env_overrides_them() -> None:
    from mlci.core.artifacts import ParamsFile
    from mlci.serve.batching import BatchSettings
    from mlci.serve.bundle import limits_from

    raw = {"image": {"serve": {"max_batch_rows": 64, "max_wait_ms": 0.5, "max_queue_rows": 1000}}}
    params = ParamsFile.model_validate(raw).image.serve
    assert limits_from(params, {}).batching == BatchSettings(64, 0.5, 1000)
    old = ParamsFile.model_validate({"image": {"serve": {}}}).image.serve
    assert limits_from(old, {}).batching == BatchSettings()  # artifacts from before these keys
    env = {"MLCI_MAX_WAIT_MS": "0", "MLCI_MAX_BATCH_ROWS": "32", "MLCI_MAX_QUEUE_ROWS": "5000"}
    assert limits_from(params, env).batching == BatchSettings(32, 0, 5000)
    for bad, needle in [
        ({"MLCI_MAX_WAIT_MS": "-1"}, "MLCI_MAX_WAIT_MS / image.serve.max_wait_ms: expected a number >= 0"),
        ({"MLCI_MAX_BATCH_ROWS": "0"}, "MLCI_MAX_BATCH_ROWS / image.serve.max_batch_rows: expected a positive"),
        ({"MLCI_MAX_BATCH_ROWS": "1.5"}, "expected a positive integer, got 1.5"),
        ({"MLCI_MAX_QUEUE_ROWS": "10"}, "10 is below max_batch (1000)"),
    ]:
        with pytest.raises(ArtifactError, match=re.escape(needle)):
            limits_from(params, bad)


@pytest.mark.parametrize(
    ("image", "needle"),
    [
        ({"max_size_mb": -1}, "image.max_size_mb: Input should be greater than 0"),
        ({"serve": {"max_batch": 0}}, "image.serve.max_batch: Input should be greater than 0"),
        ({"serve": {"max_rows": 5}}, "image.serve.max_rows: unknown key 'max_rows'"),
        ({"serve": {"max_batch_rows": 0}}, "image.serve.max_batch_rows: Input should be greater than 0"),
        ({"serve": {"max_wait_ms": -1}}, "image.serve.max_wait_ms: Input should be greater than or equal to 0"),
        ({"serve": {"max_queue_rows": 10}}, "max_queue_rows (10) is below max_batch (1000)"),
        ({"name": "Not A Name"}, "image.name: String should match pattern"),
        ({"smoke": {"port": 70000}}, "image.smoke.port: Input should be less than 65536"),
    ],
)
def test_bad_image_values_name_key_and_line(image: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_params(bundled(**image))
    assert needle in error.value.message
    assert error.value.message.startswith("params.yaml:")  # the YAML line of the key


@pytest.mark.parametrize(
    ("text", "needle"),
    [("image: [", "YAML syntax error"), ("", "file is empty"), ("- image\n", "top level must be a mapping")],
)
def test_unreadable_params(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_params(text)


def test_params_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="params file not found"):
        load_params(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="cannot read params file: IsADirectoryError"):
        load_params(tmp_path)


def test_config_check_and_schema_include_image(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "ImageParams" in schema["$defs"] and "ServeParams" in schema["$defs"]
    assert main(["config", "--check", "--params", str(EXAMPLE / "params.yaml")]) == 0
    assert ": ok (" in capsys.readouterr().out


def test_mlci_run_output_is_servable(make_project: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What `mlci run` writes is exactly what `mlci serve` and the image need."""
    from mlci.release.image import ARTIFACT_FILES
    from mlci.serve.bundle import load_bundle

    out = tmp_path / "artifacts"
    assert main(["run", "--params", str(make_project("multiclass")), "--out", str(out)]) == 0
    assert "model sha256" in capsys.readouterr().out
    assert all((out / name).is_file() for name in ARTIFACT_FILES)
    bundle = load_bundle(out, environ={})
    assert sorted(bundle.classes) == ["high", "low", "mid"]
    assert bundle.metadata.limits["max_batch"] == 1000
