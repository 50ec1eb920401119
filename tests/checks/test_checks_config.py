"""The `checks:` section: defaults, entry forms and the errors a user sees."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from mlci.config import parse_params
from mlci.config.checks import ChecksParams, CheckSpec
from mlci.core.errors import ConfigError
from synthetic import synthetic_params


def _params(checks: dict[str, Any]) -> str:
    body = synthetic_params("binary")
    body["checks"] = checks
    return yaml.safe_dump(body, sort_keys=False)


def test_defaults_need_no_section() -> None:
    config = ChecksParams()
    assert config.sample_rows == 10_000
    assert config.weak_segments.n_top_features == 5
    assert config.suite("data_integrity") == {}


def test_entry_forms_become_specs() -> None:
    params = parse_params(
        _params(
            {
                "data_integrity": {
                    "DataDuplicates": False,
                    "MixedNulls": True,
                    "PercentOfNulls": {"optional": True, "conditions": {"x": {}}},
                }
            }
        )
    )
    specs = params.checks.suite("data_integrity")
    assert specs["DataDuplicates"] == CheckSpec(enabled=False)
    assert specs["MixedNulls"] == CheckSpec()
    assert specs["PercentOfNulls"].optional and specs["PercentOfNulls"].conditions == {"x": {}}


def test_inline_schema_is_read_under_its_yaml_key() -> None:
    params = parse_params(_params({"schema_file": None, "schema": {"columns": {"x1": {"dtype": "float", "min": 0}}}}))
    assert params.checks.inline_schema is not None
    assert params.checks.inline_schema.columns["x1"].min == 0


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ({"sample_rows": 5}, "checks.sample_rows: Input should be greater than or equal to 100"),
        ({"data_integrity": {"DataDuplicates": {"enabeld": False}}}, "unknown key 'enabeld'"),
        (
            {"schema": {"columns": {"a": {"dtype": "float", "min": 2, "max": 1}}}, "schema_file": "s.yaml"},
            "min (2.0) is greater than max (1.0)",
        ),
        ({"schema": {"columns": {"a": {"dtype": "str"}}}, "schema_file": "s.yaml"}, "not both"),
        ({"schema": {"columns": {"a": {"dtype": "str", "min": 1}}}}, "min/max need a numeric dtype"),
        ({"schema": {"columns": {}}}, "declare at least one column"),
        ({"weak_segments": {"n_top_features": 0}}, "checks.weak_segments.n_top_features"),
    ],
)
def test_bad_section_names_key_and_line(checks: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=r"params\.yaml:\d+: ") as error:
        parse_params(_params(checks))
    assert message in error.value.message
