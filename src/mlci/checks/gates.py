"""The `gates:` floors of params.yaml applied to a run's metrics.json: pure, no deepchecks."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from mlci.checks.outcome import Outcome
from mlci.config.gates import GatesParams
from mlci.core.artifacts import METRICS, CheckStatus, load_json
from mlci.core.errors import ArtifactError
from mlci.metrics import lower_is_better


def read_metrics(artifacts: Path) -> dict[str, Any]:
    path = artifacts / METRICS
    payload = load_json(path, "run `mlci run` first (or pass --artifacts DIR)")
    if not isinstance(payload, dict) or not isinstance(payload.get("metrics"), dict):
        raise ArtifactError(f"{path}: no 'metrics' mapping; rerun `mlci run`")
    return payload


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


def gate_outcomes(gates: GatesParams, metrics: dict[str, Any]) -> tuple[Outcome, ...]:
    """gates.min floors (ceilings for lower-is-better metrics) and gates.min_class_recall, one outcome each."""
    outcomes: list[Outcome] = []
    values = metrics.get("metrics", {})
    for name, floor in sorted(gates.min.items()):
        value = _number(values.get(name))
        lower = lower_is_better(name)
        condition = f"{name} {'<=' if lower else '>='} {floor:g}"
        status: CheckStatus
        if value is None:
            status, shown = "failed", f"{name} was not computed on the holdout"
        else:
            ok = value <= floor if lower else value >= floor
            status, shown = ("passed" if ok else "failed"), f"{name} = {value:.4f}"
        outcomes.append(
            Outcome(check=f"gates.min.{name}", header=f"Gate {name}", condition=condition, status=status, value=shown)
        )
    if gates.min_class_recall is not None:
        floor = gates.min_class_recall
        per_class = metrics.get("per_class") or {}
        if not per_class:
            outcomes.append(
                Outcome(
                    check="gates.min_class_recall",
                    header="Gate class recall",
                    condition=f"recall >= {floor:g} for every class",
                    status="failed",
                    value="metrics.json has no per-class metrics",
                )
            )
        for label, row in sorted(per_class.items()):
            value = _number(row.get("recall") if isinstance(row, dict) else None)
            ok = value is not None and value >= floor
            shown = (
                f"recall of class {label} = {value:.4f}" if value is not None else f"recall of class {label} missing"
            )
            outcomes.append(
                Outcome(
                    check="gates.min_class_recall",
                    header=f"Gate recall of class {label}",
                    condition=f"recall >= {floor:g}",
                    status="passed" if ok else "failed",
                    value=shown,
                )
            )
    return tuple(outcomes)
