"""The whole params.yaml: one typed section per stage, cross-section rules checked here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import Field, PrivateAttr, model_validator

from mlci import metrics
from mlci.config.base import Section
from mlci.config.checks import ChecksParams
from mlci.config.gates import GatesParams
from mlci.config.governance import GovernanceParams
from mlci.config.image import ImageParams
from mlci.config.report import ReportParams
from mlci.config.training import (
    DataParams,
    EvaluateParams,
    MetricsParams,
    ModelParams,
    SplitParams,
    TrainParams,
)


class Params(Section):
    data: DataParams
    split: SplitParams = Field(default_factory=SplitParams)
    model: ModelParams
    train: TrainParams = Field(default_factory=TrainParams)
    evaluate: EvaluateParams = Field(default_factory=EvaluateParams)
    metrics: MetricsParams
    checks: ChecksParams = Field(default_factory=ChecksParams)
    gates: GatesParams = Field(default_factory=GatesParams)
    report: ReportParams = Field(default_factory=ReportParams)
    governance: GovernanceParams = Field(default_factory=GovernanceParams)
    image: ImageParams = Field(default_factory=ImageParams)

    # Where params.yaml lives (relative paths resolve against it) and the YAML line of each key path.
    _root: Path = PrivateAttr(default=Path())
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)
    _source: str = PrivateAttr(default="params.yaml")

    @model_validator(mode="after")
    def _metrics_fit_task(self) -> Params:
        known = metrics.names(self.data.task)
        named = {"metrics.primary": [self.metrics.primary], "metrics.report": self.metrics.report}
        named["gates.min"] = list(self.gates.min)
        named["gates.max_regression"] = list(self.gates.max_regression)
        for where, names in named.items():
            for name in names:
                if name not in known:
                    raise ValueError(
                        f"{where}: unknown metric {name!r} for task {self.data.task}; choose from {', '.join(known)}"
                    )
        if self.metrics.primary not in self.metrics.report:
            raise ValueError(f"metrics.primary: {self.metrics.primary!r} must also be listed in metrics.report")
        if self.gates.min_class_recall is not None and self.data.task != "classification":
            raise ValueError("gates.min_class_recall is only valid with task: classification")
        return self

    @property
    def data_path(self) -> Path:
        return self.resolve(self.data.path)

    @property
    def root(self) -> Path:
        return self._root

    def resolve(self, path: Path) -> Path:
        """Relative paths in params.yaml are relative to the params file's folder."""
        return path if path.is_absolute() else self._root / path

    def where(self, key_path: str) -> str:
        """'params.yaml:12: model.params.max_depth' style locator for error messages."""
        line = self._lines.get(key_path)
        parts = key_path.split(".")
        while line is None and len(parts) > 1:
            parts = parts[:-1]
            line = self._lines.get(".".join(parts))
        return f"{self._source}:{line}: {key_path}" if line else f"{self._source}: {key_path}"

    def canonical(self) -> dict[str, object]:
        """JSON-ready params with defaults filled in: what the params hash and the PR params diff use."""
        return self.model_dump(mode="json")

    def params_hash(self) -> str:
        blob = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()
