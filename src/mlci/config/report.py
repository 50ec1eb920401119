"""The `report` section of params.yaml: how the PR comparison is computed and rendered."""

from __future__ import annotations

from pydantic import Field

from mlci.config.base import Section

GITHUB_COMMENT_LIMIT = 65_536  # characters in one GitHub issue/PR comment


class ReportParams(Section):
    publish_images: bool = Field(
        default=False,
        description="embed the run's plots in report.md; `cml comment` then uploads them to a third-party host (asset.cml.dev): off by default",
    )
    bootstrap_resamples: int = Field(
        default=1000, ge=100, le=100_000, description="paired bootstrap resamples for the 95 % CI of each metric delta"
    )
    bootstrap_max_rows: int = Field(
        default=10_000,
        ge=100,
        le=1_000_000,
        description="up to this many holdout rows every interval is a paired bootstrap; above it DeLong (roc_auc),"
        " paired normal or delta-method intervals, and a bootstrap of a subsample this size for pr_auc",
    )
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0, description="confidence level of the intervals")
    seed: int = Field(default=20240601, ge=0, description="bootstrap seed: the same runs give the same intervals")
    max_chars: int = Field(
        default=GITHUB_COMMENT_LIMIT,
        ge=4000,
        le=GITHUB_COMMENT_LIMIT,
        description="report.md size limit; the longest sections are truncated to fit, never the verdict",
    )
