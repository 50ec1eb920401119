"""The `gates:` floors of params.yaml applied to a run's metrics.json: pure, no deepchecks."""

from __future__ import annotations

import math

from mlci.config.gates import GatesParams
from mlci.core.artifacts import CheckEntry, CheckStatus, MetricsFile
from mlci.metrics import lower_is_better


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


def gate_outcomes(gates: GatesParams, metrics: MetricsFile) -> tuple[CheckEntry, ...]:
    """gates.min floors (ceilings for lower-is-better metrics) and gates.min_class_recall, one outcome each."""
    outcomes: list[CheckEntry] = []
    for name, floor in sorted(gates.min.items()):
        value = _number(metrics.metrics.get(name))
        lower = lower_is_better(name)
        condition = f"{name} {'<=' if lower else '>='} {floor:g}"
        status: CheckStatus
        if value is None:
            status, shown = "failed", f"{name} was not computed on the holdout"
        else:
            ok = value <= floor if lower else value >= floor
            status, shown = ("passed" if ok else "failed"), f"{name} = {value:.4f}"
        outcomes.append(
            CheckEntry(check=f"gates.min.{name}", name=f"Gate {name}", condition=condition, status=status, value=shown)
        )
    if gates.min_class_recall is not None:
        floor = gates.min_class_recall
        if not metrics.per_class:
            outcomes.append(
                CheckEntry(
                    check="gates.min_class_recall",
                    name="Gate class recall",
                    condition=f"recall >= {floor:g} for every class",
                    status="failed",
                    value="metrics.json has no per-class metrics",
                )
            )
        for label, row in sorted(metrics.per_class.items()):
            value = _number(row.get("recall"))
            ok = value is not None and value >= floor
            shown = (
                f"recall of class {label} = {value:.4f}" if value is not None else f"recall of class {label} missing"
            )
            outcomes.append(
                CheckEntry(
                    check="gates.min_class_recall",
                    name=f"Gate recall of class {label}",
                    condition=f"recall >= {floor:g}",
                    status="passed" if ok else "failed",
                    value=shown,
                )
            )
    return tuple(outcomes)
