"""params.yaml errors: one line naming the key path and YAML line, exit 2, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlci.cli import main
from mlci.config import load_params, parse_params
from mlci.core.errors import ConfigError
from synthetic import EXAMPLE

BUNDLED = (EXAMPLE / "params.yaml").read_text(encoding="utf-8")


def edited(change: str, to: str) -> str:
    assert change in BUNDLED, change
    return BUNDLED.replace(change, to, 1)


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_params(text, root=EXAMPLE)
    return caught.value.message


def test_bundled_params_are_valid() -> None:
    params = parse_params(BUNDLED, root=EXAMPLE)
    assert params.data.task == "classification"
    assert params.metrics.primary in params.metrics.report


def test_unknown_key_names_key_and_line() -> None:
    message = error_of(edited("  test_size: 0.25", "  test_size: 0.25\n  tset_size: 0.3"))
    line = BUNDLED.splitlines().index("  test_size: 0.25") + 2
    assert message == f"params.yaml:{line}: split.tset_size: unknown key 'tset_size'"


def test_a_key_the_template_no_longer_reads_says_where_it_went() -> None:
    message = error_of(BUNDLED.replace("\nimage:\n", "\nimage:\n  base_image: python:3.11-slim\n", 1))
    assert "image.base_image: 'base_image' is no longer read" in message
    assert "Dockerfile's FROM line" in message


def test_unknown_top_level_section() -> None:
    assert "unknown key 'trian'" in error_of(BUNDLED + "trian:\n  seed: 1\n")


def test_wrong_type_names_key() -> None:
    message = error_of(edited("  seed: 42", "  seed: forty-two"))
    assert "train.seed" in message
    assert "forty-two" in message


@pytest.mark.parametrize("value", ["-0.2", "0", "1.5"])
def test_out_of_range_test_size(value: str) -> None:
    message = error_of(edited("  test_size: 0.25", f"  test_size: {value}"))
    assert "split.test_size" in message
    assert "greater than 0" in message or "less than 1" in message


def test_yaml_syntax_error_has_line() -> None:
    message = error_of(edited("  seed: 42", "  seed: [42"))
    assert message.startswith("params.yaml:")
    assert "YAML syntax error" in message


def test_missing_required_key() -> None:
    message = error_of(edited("  target: rings\n", ""))
    assert "data.target: required key is missing" in message


def test_metric_unknown_for_task() -> None:
    message = error_of(
        edited("  primary: roc_auc", "  primary: rmse").replace("report: [roc_auc,", "report: [rmse, roc_auc,")
    )
    assert "unknown metric 'rmse' for task classification" in message


def test_primary_must_be_reported() -> None:
    message = error_of(
        edited("  primary: roc_auc", "  primary: pr_auc").replace(
            "report: [roc_auc, accuracy, balanced_accuracy, f1_macro, pr_auc,", "report: [roc_auc, accuracy,"
        )
    )
    assert "must also be listed in metrics.report" in message


def test_threshold_only_for_classification() -> None:
    message = error_of(edited("  task: classification", "  task: regression"))
    assert "target_threshold is only valid with task: classification" in message


@pytest.mark.parametrize("text", ["", "- a\n- b\n"])
def test_empty_or_non_mapping_file(text: str) -> None:
    assert error_of(text).startswith("params.yaml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="params file not found"):
        load_params(tmp_path / "nope.yaml")


def test_where_falls_back_to_parent_key() -> None:
    params = parse_params(BUNDLED, root=EXAMPLE)
    assert params.where("model.params.not_there").startswith("params.yaml:")
    assert params.where("model.params.not_there").endswith("model.params.not_there")


def test_params_hash_is_stable_and_sensitive() -> None:
    first = parse_params(BUNDLED, root=EXAMPLE).params_hash()
    assert first == parse_params(BUNDLED + "\n# comment\n", root=EXAMPLE).params_hash()
    assert first != parse_params(edited("  seed: 42", "  seed: 43"), root=EXAMPLE).params_hash()


def test_schema_command_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"data", "split", "model", "metrics"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_check_command_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--check", "--params", str(EXAMPLE / "params.yaml")]) == 0
    assert "ok (4177 rows" in capsys.readouterr().out


def test_check_command_unknown_key_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(edited("model:", "modle:\n  x: 1\nmodel:"), encoding="utf-8")
    assert main(["config", "--check", "--params", str(path)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'modle'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("estimator", "params", "expected"),
    [
        ("xgboost_maybe", {}, "model.estimator: unknown estimator 'xgboost_maybe' for classification"),
        ("ridge", {}, "unknown estimator 'ridge' for classification"),
        ("hist_gradient_boosting", {"max_depthh": 3}, "model.params: Invalid parameter 'max_depthh'"),
        ("hist_gradient_boosting", {"learning_rate": -1}, "model.params.learning_rate: The 'learning_rate' parameter"),
        ("random_forest", {"n_estimators": "many"}, "model.params.n_estimators"),
    ],
)
def test_bad_estimator_or_hyperparameter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], estimator: str, params: dict[str, object], expected: str
) -> None:
    raw = yaml.safe_load(BUNDLED)
    raw["model"] = {"estimator": estimator, "params": params}
    raw["data"]["path"] = str(EXAMPLE / "data" / "abalone.csv")
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert main(["config", "--check", "--params", str(path)]) == 2
    assert expected in capsys.readouterr().err


def test_unknown_pipeline_option_names_its_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = yaml.safe_load(BUNDLED)
    raw["model"]["pipeline"] = {"scale_numerics": True}
    raw["data"]["path"] = str(EXAMPLE / "data" / "abalone.csv")
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert main(["config", "--check", "--params", str(path)]) == 2
    err = capsys.readouterr().err
    assert (
        "model.pipeline.scale_numerics: unknown pipeline option 'scale_numerics'; build_pipeline takes scale_numeric"
        in err
    )
    assert "Traceback" not in err


def test_old_scale_numeric_key_is_read_as_a_pipeline_option(capsys: pytest.CaptureFixture[str]) -> None:
    old = parse_params(
        edited("  estimator: hist_gradient_boosting\n", "  estimator: hist_gradient_boosting\n  scale_numeric: true\n")
    )
    assert "params.yaml:18: model.scale_numeric is deprecated; write it as model.pipeline: {scale_numeric: ...}" in (
        capsys.readouterr().err
    )
    new = parse_params(
        edited(
            "  estimator: hist_gradient_boosting\n",
            "  estimator: hist_gradient_boosting\n  pipeline: {scale_numeric: true}\n",
        )
    )
    assert old.model == new.model
    assert old.model.pipeline == {"scale_numeric": True}
    assert capsys.readouterr().err == ""
    with pytest.raises(ConfigError, match="scale_numeric is given twice"):
        parse_params(
            edited(
                "  estimator: hist_gradient_boosting\n",
                "  estimator: hist_gradient_boosting\n  scale_numeric: true\n  pipeline: {scale_numeric: false}\n",
            )
        )
