"""Sections the training spine reads: data, split, model, train, metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, field_validator, model_serializer, model_validator

from mlci.config.base import Section

Task = Literal["classification", "regression"]

# The events a workflow can be triggered by, as GITHUB_EVENT_NAME spells them (`workflow_call` is not one: a
# called workflow sees its caller's event). Listed so a misspelt event is an error, not a sample that never runs.
GITHUB_EVENTS = frozenset(
    {
        "branch_protection_rule",
        "check_run",
        "check_suite",
        "create",
        "delete",
        "deployment",
        "deployment_status",
        "discussion",
        "discussion_comment",
        "fork",
        "gollum",
        "issue_comment",
        "issues",
        "label",
        "merge_group",
        "milestone",
        "page_build",
        "public",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "pull_request_target",
        "push",
        "registry_package",
        "release",
        "repository_dispatch",
        "schedule",
        "status",
        "watch",
        "workflow_dispatch",
        "workflow_run",
    }
)

# Seeds below this keep the sample's hash key apart from the split's (see mlci.data.split.hash_fraction).
MAX_SAMPLE_SEED = 10**12 - 1


class SampleParams(Section):
    """Train on a stable sample of the rows in some runs (pull requests by default); other runs use every row."""

    rows: int = Field(
        ge=100,
        description="rows kept: those whose key hashes lowest under `seed` (a hash of its own, not the split's),"
        " so the sample stays put as data grows; each kept row keeps its side of the split",
    )
    seed: int = Field(default=42, ge=0, le=MAX_SAMPLE_SEED, description="picks the sample (by row key)")
    events: list[str] = Field(
        default_factory=lambda: ["pull_request"],
        description="GitHub events (GITHUB_EVENT_NAME) whose runs train on the sample; other events and local"
        " runs use every row unless `mlci run --sample` or MLCI_SAMPLE asks for it",
    )

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one GitHub event (e.g. [pull_request]), or drop data.sample")
        unknown = [event for event in value if event not in GITHUB_EVENTS]
        if unknown:
            raise ValueError(
                f"unknown GitHub event {unknown[0]!r}; events are spelt as GITHUB_EVENT_NAME gives them"
                " (pull_request, push, merge_group, workflow_dispatch, schedule, ...)"
            )
        if len(set(value)) != len(value):
            raise ValueError("events must be unique")
        return value


class DataParams(Section):
    """Which file, which columns, which task. The template is not tied to the bundled data set."""

    path: Path = Field(
        description="CSV or Parquet (.parquet, .pq; needs pyarrow) file, relative to the params.yaml folder"
    )
    id_column: str | None = Field(
        default=None,
        description="stable, unique row id (read as text); the split and the PR comparison key on it."
        " Omit it to key rows on a hash of their values plus their occurrence number (see the README)",
    )
    target: str = Field(description="column to predict")
    task: Task
    target_threshold: float | None = Field(
        default=None,
        description="classification only: label = 1 where target >= threshold, else 0 (binarises a numeric column)",
    )
    ignore_columns: list[str] = Field(default_factory=list, description="columns never used as features")
    categorical: list[str] | None = Field(
        default=None, description="categorical features; inferred from dtype (text columns) when omitted"
    )
    sample: SampleParams | None = Field(
        default=None,
        description="pull requests train and compare on a stable sample of this many rows, main on every row"
        " (docs/run.md); omitted or null: every run uses every row",
    )

    @model_serializer(mode="wrap")
    def _sample_only_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Absent, not null, when unset: params.json and the params hash of a project without a sample stay
        # what they are, so main's older runs still compare key by key.
        payload: dict[str, Any] = handler(self)
        if payload.get("sample") is None:
            payload.pop("sample", None)
        return payload

    @model_validator(mode="after")
    def _threshold_only_for_classification(self) -> DataParams:
        if self.target_threshold is not None and self.task != "classification":
            raise ValueError("target_threshold is only valid with task: classification")
        return self

    @model_validator(mode="after")
    def _roles_do_not_overlap(self) -> DataParams:
        if self.target in self.ignore_columns:
            raise ValueError(f"ignore_columns lists the target {self.target!r}; the target is never a feature already")
        if self.id_column is not None and self.id_column == self.target:
            raise ValueError(f"id_column and target are the same column {self.target!r}")
        if self.categorical is not None and self.target in self.categorical:
            raise ValueError(f"categorical lists the target {self.target!r}; list feature columns only")
        if self.id_column is not None and self.categorical is not None and self.id_column in self.categorical:
            raise ValueError(f"categorical lists the id column {self.id_column!r}; list feature columns only")
        return self


class SplitParams(Section):
    """Each row goes to test when a hash of (seed, row id) falls under test_size: adding rows never moves old ones."""

    test_size: float = Field(default=0.25, gt=0.0, lt=1.0)
    seed: int = Field(default=42, ge=0)
    stratify: bool = Field(
        default=False,
        description="exact class proportions: rank rows by hash within each class (rows near the cut may move when data grows)",
    )


class ModelParams(Section):
    estimator: str = Field(description="name in mlci.model.ESTIMATORS for the task")
    params: dict[str, Any] = Field(default_factory=dict, description="hyperparameters passed to the estimator")
    pipeline: dict[str, Any] = Field(
        default_factory=dict,
        description="options of mlci.model.build_pipeline (it validates them), e.g. {scale_numeric: true}",
    )

    @model_validator(mode="before")
    @classmethod
    def _scale_numeric_moved(cls, data: Any) -> Any:
        """`model.scale_numeric` is read as `model.pipeline.scale_numeric` (the loader prints a deprecation line)."""
        if not isinstance(data, dict) or DEPRECATED_SCALE_NUMERIC not in data:
            return data
        moved = dict(data)
        value = moved.pop(DEPRECATED_SCALE_NUMERIC)
        pipeline = moved.get("pipeline") or {}
        if not isinstance(pipeline, dict):
            return data  # the pipeline field's own validation reports it
        if DEPRECATED_SCALE_NUMERIC in pipeline:
            raise ValueError(
                "scale_numeric is given twice (model.scale_numeric and model.pipeline.scale_numeric); keep model.pipeline.scale_numeric"
            )
        moved["pipeline"] = {**pipeline, DEPRECATED_SCALE_NUMERIC: value}
        return moved


# The option that was a key of `model:` itself before pipeline options became a free mapping.
DEPRECATED_SCALE_NUMERIC = "scale_numeric"


class TrainParams(Section):
    seed: int = Field(default=42, ge=0, description="random_state given to estimators that take one")


class EvaluateParams(Section):
    """What the evaluate stage computes on every holdout row and what on a bounded sample of them."""

    sample_rows: int = Field(
        default=10_000,
        ge=100,
        description="permutation importance and plots use at most this many holdout rows (the rows whose key"
        " hashes lowest under `seed`, so the sample is stable as data grows); metrics use every row",
    )
    seed: int = Field(default=42, ge=0, description="picks the evaluation sample (by row key)")


class MetricsParams(Section):
    primary: str = Field(description="the metric gates and the PR verdict use")
    report: list[str] = Field(description="metrics compared and shown in the PR report, primary first")

    @field_validator("report")
    @classmethod
    def _non_empty_unique(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one metric")
        if len(set(value)) != len(value):
            raise ValueError("metric names must be unique")
        return value
