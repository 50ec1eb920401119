"""The `checks` section of params.yaml: the data schema and which deepchecks checks gate, with what conditions.

Check names are deepchecks class names (`DataDuplicates`, `FeatureDrift`, ...). They are validated when a
check command builds its suite, against the installed deepchecks, so this module never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, model_validator

from mlci.config.base import Section

SuiteName = Literal["data_integrity", "train_test_validation", "model_evaluation", "drift"]


class CheckSpec(Section):
    """One deepchecks check: switch it off, tolerate it not running, set its conditions or its arguments."""

    enabled: bool = Field(default=True, description="false removes the check from its suite")
    optional: bool = Field(default=False, description="a crash or 'cannot run on this data' does not fail the command")
    conditions: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="replace deepchecks' default conditions: {name: {argument: value}} calls add_condition_<name>(**arguments); {} = report only",
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="check arguments (attributes of the check), e.g. {n_top_columns: 5}"
    )


def _entry(value: object) -> object:
    """`false` switches a check off, `true` keeps deepchecks' defaults, a mapping is a CheckSpec."""
    return {"enabled": value} if isinstance(value, bool) else value


CheckEntry = Annotated[CheckSpec, BeforeValidator(_entry)]


class WeakSegmentsParams(Section):
    """WeakSegmentsPerformance dominates model_evaluation time; these bound it."""

    n_top_features: int = Field(default=5, ge=1, description="segments are searched on the N most important features")
    n_samples: int = Field(default=2000, ge=100, description="rows the segment search uses")


ColumnType = Literal["int", "float", "str", "bool"]


class ColumnSchema(Section):
    """What one column must look like. Ranges are inclusive."""

    dtype: ColumnType
    nullable: bool = False
    unique: bool = False
    min: float | None = None
    max: float | None = None
    allowed: list[str | int | float | bool] | None = Field(default=None, description="the only values allowed")

    @model_validator(mode="after")
    def _range_ordered(self) -> ColumnSchema:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if (self.min is not None or self.max is not None) and self.dtype not in ("int", "float"):
            raise ValueError(f"min/max need a numeric dtype, not {self.dtype}")
        return self


class SchemaSpec(Section):
    """Declared once, checked with pandera before anything trains on the data."""

    columns: dict[str, ColumnSchema] = Field(description="column name -> its rules")
    strict: bool = Field(default=True, description="columns not declared here are an error")

    @model_validator(mode="after")
    def _has_columns(self) -> SchemaSpec:
        if not self.columns:
            raise ValueError("declare at least one column")
        return self


class ChecksParams(Section):
    sample_rows: int = Field(
        default=10_000,
        ge=100,
        description="deepchecks sees at most this many rows per data set (a seeded sample); the schema always sees all rows",
    )
    seed: int = Field(default=42, ge=0, description="seed of the row sample and of deepchecks' own sampling")
    fail_on_warning: bool = Field(
        default=True,
        description="a condition deepchecks grades 'warn' (e.g. DataDuplicates) fails the command, as in deepchecks' passed()",
    )
    feature_importance_timeout: int = Field(
        default=60,
        ge=0,
        description="when the run wrote no feature_importance.csv, `mlci check model` computes permutation importance on up to 2,000 holdout rows (deepchecks cannot: the model stays in the core); 0 skips it",
    )
    weak_segments: WeakSegmentsParams = Field(default_factory=WeakSegmentsParams)
    schema_file: Path | None = Field(
        default=Path("data/schema.yaml"),
        description="YAML schema file (relative to params.yaml), written by `mlci check data --infer`",
    )
    # `schema` would shadow a pydantic BaseModel attribute; the YAML key stays `schema`.
    inline_schema: SchemaSpec | None = Field(
        default=None, alias="schema", description="the schema inline instead of schema_file"
    )
    data_integrity: dict[str, CheckEntry] = Field(
        default_factory=dict, description="deepchecks data_integrity on the whole data set"
    )
    train_test_validation: dict[str, CheckEntry] = Field(
        default_factory=dict, description="deepchecks train_test_validation on the split"
    )
    model_evaluation: dict[str, CheckEntry] = Field(
        default_factory=dict, description="deepchecks model_evaluation on the trained model and the holdout"
    )
    drift: dict[str, CheckEntry] = Field(
        default_factory=dict,
        description="train_test_validation between a reference data set and the current one (`mlci check drift`)",
    )

    model_config = ConfigDict(**Section.model_config, populate_by_name=True)

    @model_validator(mode="after")
    def _one_schema_source(self) -> ChecksParams:
        if self.inline_schema is not None and "schema_file" in self.model_fields_set and self.schema_file is not None:
            raise ValueError("give the schema inline (schema) or as a file (schema_file), not both")
        return self

    def suite(self, name: SuiteName) -> dict[str, CheckSpec]:
        """Entries of one suite, in params.yaml order."""
        entries: dict[str, CheckSpec] = getattr(self, name)
        return dict(entries)
