"""A governed project on disk built from fixture JSON: no training, every file under the test's control.

A plain module, not a conftest.py: a second conftest would shadow `from synthetic import ...` in other tests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MODEL_BYTES = b"stand-in model bytes: governance hashes the file, it never loads it"
DATA_BYTES = b"row_id,x1,x2,noise,colour,target\n1,0.1,0.2,0.3,red,yes\n"
LICENSED_CARD = "# Data card\n\n| | |\n|---|---|\n| Licence | Creative Commons Attribution 4.0 (CC BY 4.0) |\n"


def sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def passing_suite(suite: str, *names: str) -> dict[str, Any]:
    """The shape `mlci check` writes (mlci.checks.outcome), trimmed to what matters here."""
    checks = [
        {"check": n, "header": n, "condition": "no issue found", "status": "passed", "value": "0", "optional": False}
        for n in names
    ]
    return {"format_version": 1, "suite": suite, "passed": True, "checks": checks, "skipped": []}


@dataclass
class Governed:
    root: Path
    params: Path
    artifacts: Path

    def write_json(self, relative: str, payload: Any) -> Path:
        path = self.artifacts / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload), encoding="utf-8")
        return path

    def read_json(self, relative: str) -> Any:
        return json.loads((self.artifacts / relative).read_text(encoding="utf-8"))

    def set_metrics(self, values: dict[str, float | None]) -> None:
        """Replace the metric values of metrics.json, keeping the rest of the file as `mlci run` wrote it."""
        self.write_json("metrics.json", {**self.read_json("metrics.json"), "metrics": values})

    def edit_params(self, edit: Callable[[dict[str, Any]], None]) -> None:
        params = yaml.safe_load(self.params.read_text(encoding="utf-8"))
        edit(params)
        self.params.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")

    def args(self, *extra: str) -> list[str]:
        return ["govern", "--params", str(self.params), "--artifacts", str(self.artifacts), *extra]

    @property
    def record(self) -> dict[str, Any]:
        data: dict[str, Any] = self.read_json("governance.json")
        return data

    model_bytes = MODEL_BYTES
    data_bytes = DATA_BYTES

    def rule(self, name: str) -> dict[str, Any]:
        return next(rule for rule in self.record["rules"] if rule["name"] == name)


def write_passing_evidence(artifacts: Path) -> None:
    """What the checks and the comparison write, all passing."""
    governed = Governed(artifacts.parent, artifacts.parent / "params.yaml", artifacts)
    suites = {
        "schema": ["column:x1", "column:colour"],
        "data_integrity": ["MixedNulls", "StringMismatch"],
        "train_test_validation": ["LabelDrift"],
        "model_evaluation": ["RocReport", "WeakSegmentsPerformance"],
        "gates": ["gates.min.roc_auc"],
    }
    for suite, names in suites.items():
        governed.write_json(f"checks/{suite}.json", passing_suite(suite, *names))
    governed.write_json("comparison.json", {"status": "compared", "gate": {"status": "passed", "failures": []}})


CI_VARIABLES = (
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_TOKEN",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_EVENT_PATH",
    "MLCI_SCAN_REPORT",
    "MLCI_PR_NUMBER",
)


def build_governed(tmp_path: Path) -> Governed:
    """A project whose run passes every local rule; CI-only evidence (approvals, scan) is absent."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data.csv").write_bytes(DATA_BYTES)
    (root / "data" / "README.md").write_text(LICENSED_CARD, encoding="utf-8")
    params = {
        "data": {"path": "data.csv", "id_column": "row_id", "target": "target", "task": "classification"},
        "model": {"estimator": "hist_gradient_boosting"},
        "metrics": {"primary": "roc_auc", "report": ["roc_auc", "accuracy"]},
        "gates": {"min": {"roc_auc": 0.8}},
    }
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    artifacts = root / "artifacts"
    artifacts.mkdir()
    model_sha, data_sha = sha(MODEL_BYTES), sha(DATA_BYTES)
    (artifacts / "model.skops").write_bytes(MODEL_BYTES)
    (artifacts / "model.sha256").write_text(f"{model_sha}  model.skops\n", encoding="utf-8")
    (artifacts / "model_card.md").write_text(f"# Model card\n\n- Model sha256: `{model_sha}`\n", encoding="utf-8")
    governed = Governed(root, root / "params.yaml", artifacts)
    rows = {"total": 1, "train": 1, "test": 0}
    governed.write_json(
        "run.json",
        {
            "format_version": 1,
            "commit": "a" * 40,
            "data": {"path": "data.csv", "sha256": data_sha, "rows": rows},
            "features": {"numeric": ["x1", "x2", "noise"], "categorical": ["colour"]},
            "id_column": "row_id",
            "target": "target",
            "task": "classification",
            "classes": ["yes"],
            "params_hash": "b" * 64,
            "model": {"file": "model.skops", "sha256": model_sha, "bytes": len(MODEL_BYTES)},
            "packages": {},
            "durations_seconds": {},
        },
    )
    governed.write_json(
        "metrics.json",
        {
            "format_version": 1,
            "task": "classification",
            "primary": "roc_auc",
            "metrics": {"roc_auc": 0.91, "accuracy": 0.8},
            "per_class": {},
            "rows": rows,
            "evaluation_sample": {"sample_rows": 0, "sampled": False, "seed": 0},
        },
    )
    write_passing_evidence(artifacts)
    return governed
