"""Quality gates: absolute floors (model checks, governance) and tolerated regressions (PR compare)."""

from __future__ import annotations

from typing import Literal

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
    incomparable: Literal["pass", "fail"] = Field(
        default="pass",
        description="PR compare when the baseline answers another question (other task, target, threshold or classes):"
        " pass (the report warns that nothing was compared) or fail",
    )
