"""The `governance` section of params.yaml: which rules gate a promotion, and how strictly.

Every rule has `enabled` (on/off) and `required`:
- `true`: the decision fails unless the rule passed. A rule whose evidence is missing is "not evaluated",
  and a required rule that is not evaluated fails the decision too (no evidence, no promotion).
- `ci`: required when running in CI (`GITHUB_ACTIONS` or `CI` is "true", or `mlci govern --ci`),
  reported but not deciding elsewhere. For evidence only CI has: PR approvals, the image scan.
- `false`: reported only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, model_validator

from mlci.config.base import Section

Required = bool | Literal["ci"]
Severity = Literal["negligible", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = get_args(Severity)  # lowest to highest


class RuleParams(Section):
    enabled: bool = Field(default=True, description="evaluate this rule at all")
    required: Required = Field(
        default=True,
        description="true: the decision fails unless it passed; ci: required only in CI; false: reported only",
    )


class ChecksRule(RuleParams):
    suites: list[str] = Field(default_factory=list, description="suites whose checks/<suite>.json must pass")
    allow_not_run: bool = Field(
        default=False, description="a check that could not run (status not-run) does not fail the rule"
    )

    @model_validator(mode="after")
    def _suites_named(self) -> ChecksRule:
        if self.enabled and not self.suites:
            raise ValueError("suites: list at least one check suite, or set enabled: false")
        if len(set(self.suites)) != len(self.suites):
            raise ValueError("suites: names must be unique")
        return self


class DataChecksRule(ChecksRule):
    suites: list[str] = Field(
        default_factory=lambda: ["schema", "data_integrity", "train_test_validation"],
        description="data suites whose artifacts/checks/<suite>.json must exist and pass",
    )


class ModelChecksRule(ChecksRule):
    suites: list[str] = Field(
        default_factory=lambda: ["model_evaluation", "gates"],
        description="model suites whose artifacts/checks/<suite>.json must exist and pass",
    )


class MetricFloorRule(RuleParams):
    floor: float | None = Field(
        default=None,
        description="floor of the primary metric (a ceiling for lower-is-better metrics); null: gates.min.<primary>",
    )


class DataCardRule(RuleParams):
    path: Path = Field(
        default=Path("data/README.md"), description="data card, relative to params.yaml; must state a licence"
    )


class ApprovalsRule(RuleParams):
    required: Required = "ci"
    min: int = Field(default=1, ge=0, description="approving reviews the merged pull request needs")


class ImageScanRule(RuleParams):
    required: Required = "ci"
    fail_on: Severity = Field(
        default="high", description="a finding of this severity or worse fails the rule (like grype --fail-on)"
    )
    ignore: list[str] = Field(
        default_factory=list, description="vulnerability ids accepted after review (CVE-..., GHSA-...)"
    )


class GovernanceParams(Section):
    """The policy `mlci govern` evaluates after a merge; promotion refuses unless its decision passed."""

    data_checks: DataChecksRule = Field(default_factory=DataChecksRule, description="data check suites passed")
    model_checks: ModelChecksRule = Field(default_factory=ModelChecksRule, description="model check suites passed")
    compare_gate: RuleParams = Field(
        default_factory=RuleParams, description="artifacts/comparison.json reports a passing gate"
    )
    primary_metric: MetricFloorRule = Field(
        default_factory=MetricFloorRule, description="primary metric reaches its floor"
    )
    data_card: DataCardRule = Field(default_factory=DataCardRule, description="data card present with a licence")
    model_card: RuleParams = Field(
        default_factory=RuleParams, description="artifacts/model_card.md present and naming this model's sha256"
    )
    data_hash: RuleParams = Field(
        default_factory=RuleParams, description="the data file hashes to the sha256 recorded in run.json"
    )
    model_hash: RuleParams = Field(
        default_factory=RuleParams,
        description="model.skops hashes to the sha256 in model.sha256 and run.json",
    )
    approvals: ApprovalsRule = Field(
        default_factory=ApprovalsRule, description="approving reviews on the pull request (GitHub API, CI only)"
    )
    image_scan: ImageScanRule = Field(
        default_factory=ImageScanRule, description="image vulnerability scan (grype or trivy JSON) below a severity"
    )
