"""The metric registry: each metric defined once (`catalog.METRICS`), read by every stage.

params.yaml validation takes the names per task from here, evaluation the point values, the PR
comparison the weighted (bootstrap) forms, the interval method, influence values and paired tests,
and gates, governance, the model card and the report whether lower is better.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlci.metrics.catalog import METRICS
from mlci.metrics.spec import BOOTSTRAP, DELONG, DELTA_METHOD, NORMAL, SUBSAMPLE_BOOTSTRAP, Metric, Scores

if TYPE_CHECKING:
    from mlci.config.training import Task

__all__ = [
    "BOOTSTRAP",
    "DELONG",
    "DELTA_METHOD",
    "NORMAL",
    "REGISTRY",
    "SUBSAMPLE_BOOTSTRAP",
    "Metric",
    "Scores",
    "for_task",
    "get",
    "lower_is_better",
    "names",
]

REGISTRY: dict[str, Metric] = {metric.name: metric for metric in METRICS}


def for_task(task: Task | str) -> tuple[Metric, ...]:
    """The metrics of a task, in the registry's order (the order params.yaml's errors list them in)."""
    return tuple(metric for metric in REGISTRY.values() if metric.task == task)


def names(task: Task | str) -> tuple[str, ...]:
    return tuple(metric.name for metric in for_task(task))


def get(name: str) -> Metric:
    """The metric called `name` (KeyError naming it when there is none)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(REGISTRY)}") from None


def lower_is_better(name: str) -> bool:
    return get(name).lower_is_better
