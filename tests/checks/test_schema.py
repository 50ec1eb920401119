"""The pandera schema: inference, validation of bad tables, schema-file errors, `mlci check data --infer`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlci.checks.schema import dump_schema, infer_schema, load_schema, validate
from mlci.cli import main
from mlci.config import load_params
from mlci.config.checks import SchemaSpec
from mlci.core.errors import ConfigError
from synthetic import ProjectFactory, synthetic_frame


@pytest.fixture
def params_path(make_project: ProjectFactory) -> Path:
    return make_project("binary")


def _failures(frame: pd.DataFrame, spec: SchemaSpec) -> dict[tuple[str, str], str]:
    return {(o.check, str(o.condition)): o.value for o in validate(frame, spec, "row_id") if o.status == "failed"}


def test_inferred_schema_accepts_its_data_and_round_trips(params_path: Path) -> None:
    params = load_params(params_path)
    frame = synthetic_frame("binary")
    spec = infer_schema(frame, params)
    assert spec.columns["row_id"].unique and spec.columns["row_id"].dtype == "int"
    assert spec.columns["colour"].allowed == ["blue", "green", "red"]
    assert spec.columns["x1"].min is not None and spec.columns["x1"].min < frame["x1"].min()
    assert _failures(frame, spec) == {}
    assert SchemaSpec.model_validate(yaml.safe_load(dump_schema(spec, "data.csv"))) == spec


@pytest.fixture
def spec(params_path: Path) -> SchemaSpec:
    return infer_schema(synthetic_frame("binary"), load_params(params_path))


def test_duplicated_rows_break_id_uniqueness(spec: SchemaSpec) -> None:
    frame = synthetic_frame("binary")
    frame = pd.concat([frame, frame.iloc[:50]], ignore_index=True)
    failures = _failures(frame, spec)
    assert failures == {("column:row_id", "field_uniqueness"): "100 rows fail, e.g. 1000 at row id 1000"}


def test_all_nan_column_is_not_nullable(spec: SchemaSpec) -> None:
    frame = synthetic_frame("binary").assign(noise=np.nan)
    failures = _failures(frame, spec)
    assert failures[("column:noise", "not_nullable")].startswith("400 rows fail")


def test_renamed_column_is_missing_and_undeclared(spec: SchemaSpec) -> None:
    frame = synthetic_frame("binary").rename(columns={"x2": "x2_renamed"})
    failures = _failures(frame, spec)
    assert failures[("column:x2", "column_in_dataframe")] == "column not found in the data"
    assert failures[("column:x2_renamed", "column_in_schema")] == "column not declared in the schema (strict: true)"


def test_numeric_column_turned_into_text_names_a_value(spec: SchemaSpec) -> None:
    frame = synthetic_frame("binary")
    frame["x1"] = frame["x1"].astype(object)
    frame.loc[3, "x1"] = "twelve"
    failures = _failures(frame, spec)
    assert failures[("column:x1", "coerce_dtype('float64')")] == "1 row fail, e.g. 'twelve' at row id 1003"


def test_unseen_category_and_out_of_range(spec: SchemaSpec) -> None:
    frame = synthetic_frame("binary")
    frame.loc[0, "colour"] = "purple"
    frame.loc[1, "x2"] = 1e6
    failures = _failures(frame, spec)
    assert failures[("column:colour", "isin(['blue', 'green', 'red'])")] == "1 row fail, e.g. 'purple' at row id 1000"
    assert ("column:x2", f"less_than_or_equal_to({spec.columns['x2'].max})") in failures


def test_clean_columns_are_listed_as_passed(spec: SchemaSpec) -> None:
    outcomes = validate(synthetic_frame("binary"), spec, "row_id")
    assert {o.check for o in outcomes} == {f"column:{c}" for c in spec.columns}
    assert {o.status for o in outcomes} == {"passed"}


def test_missing_schema_file_says_how_to_make_one(params_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"schema\.yaml: schema file not found .*mlci check data --infer"):
        load_schema(load_params(params_path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: [", r"schema\.yaml:\d+: YAML syntax error"),
        ("columns: {a: {dtype: decimal}}", r"schema\.yaml: columns\.a\.dtype: Input should be"),
        ("columns: {a: {dtype: str, colour: red}}", r"schema\.yaml: columns\.a\.colour: unknown key"),
    ],
)
def test_bad_schema_file(params_path: Path, text: str, message: str) -> None:
    (params_path.parent / "data").mkdir()
    (params_path.parent / "data" / "schema.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_schema(load_params(params_path))


def test_no_schema_declared(make_project: ProjectFactory) -> None:
    path = make_project("binary", edit=lambda p: p.update(checks={"schema_file": None}))
    with pytest.raises(ConfigError, match="no schema declared"):
        load_schema(load_params(path))


def test_infer_writes_then_refuses_to_overwrite(params_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", "data", "--infer", "--params", str(params_path)]
    assert main(args) == 0
    written = params_path.parent / "data" / "schema.yaml"
    assert load_schema(load_params(params_path)).columns["colour"].allowed == ["blue", "green", "red"]
    assert "wrote" in capsys.readouterr().out
    before = written.read_text()
    assert main(args) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert written.read_text() == before


def test_infer_refuses_with_inline_schema(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_project(
        "binary",
        edit=lambda p: p.update(checks={"schema_file": None, "schema": {"columns": {"x1": {"dtype": "float"}}}}),
    )
    assert main(["check", "data", "--infer", "--params", str(path)]) == 2
    assert "--infer writes a schema file" in capsys.readouterr().err
