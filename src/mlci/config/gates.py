"""Quality gates: absolute floors (model checks, governance) and tolerated regressions (PR compare)."""

from __future__ import annotations

from pydantic import Field

from mlci.config.base import Section


class GatesParams(Section):
    min: dict[str, float] = Field(
        default_factory=dict,
        description="metric floors on the holdout (for lower-is-better metrics: ceilings), e.g. {roc_auc: 0.85}",
    )
    min_class_recall: float | None = Field(
        default=None, ge=0.0, le=1.0, description="classification: every class's recall must reach this"
    )
    max_regression: dict[str, float] = Field(
        default_factory=dict,
        description="PR compare: a significant drop larger than this (in metric units) against main fails the gate",
    )
