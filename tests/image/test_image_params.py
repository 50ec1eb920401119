"""The `image:` section of params.yaml: defaults, validation errors naming key and line, CLI round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlci.cli import main
from mlci.config import load_params, parse_params
from mlci.errors import ConfigError
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


@pytest.mark.parametrize(
    ("image", "needle"),
    [
        ({"max_size_mb": -1}, "image.max_size_mb: Input should be greater than 0"),
        ({"serve": {"max_batch": 0}}, "image.serve.max_batch: Input should be greater than 0"),
        ({"serve": {"max_rows": 5}}, "image.serve.max_rows: unknown key 'max_rows'"),
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
    from mlci.image import ARTIFACT_FILES
    from mlci.serve.bundle import load_bundle

    out = tmp_path / "artifacts"
    assert main(["run", "--params", str(make_project("multiclass")), "--out", str(out)]) == 0
    assert "model sha256" in capsys.readouterr().out
    assert all((out / name).is_file() for name in ARTIFACT_FILES)
    bundle = load_bundle(out, environ={})
    assert sorted(bundle.classes) == ["high", "low", "mid"]
    assert bundle.metadata["limits"]["max_batch"] == 1000
