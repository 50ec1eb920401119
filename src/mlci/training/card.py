"""model_card.md from the facts of one run. Pure: data in, markdown out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from mlci.core.artifacts import DataSample
from mlci.metrics import lower_is_better


@dataclass(frozen=True)
class CardFacts:
    """Everything the card says about one run."""

    params: Mapping[str, Any]  # canonical params.yaml
    data_file: str
    data_sha256: str  # the whole file's
    rows: Mapping[str, int]  # total, train, test: the rows the run used
    numeric: list[str]
    categorical: list[str]
    primary: str
    metrics: Mapping[str, float | None]
    per_class: Mapping[str, Mapping[str, float | None]]
    top_features: list[tuple[str, float]]
    importance_metric: str
    model_sha256: str
    params_hash: str
    commit: str
    evaluation_sample: Mapping[str, Any] | None = None
    data_sample: DataSample | None = None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _title(params: Mapping[str, Any]) -> list[str]:
    data = params["data"]
    threshold = (
        f" (label 1 = `{data['target']} >= {data['target_threshold']}`)"
        if data.get("target_threshold") is not None
        else ""
    )
    return [
        "# Model card",
        "",
        f"**Task:** {data['task']} of `{data['target']}`{threshold} with `{params['model']['estimator']}`.",
        "",
        "## Intended use",
        "",
        "Scores rows with the same columns and meaning as the training data, for the task above. It is a",
        "template's reference model: check the data card and the limitations before any real decision.",
    ]


def _data(facts: CardFacts) -> list[str]:
    data, rows = facts.params["data"], facts.rows
    key = f"`{data['id_column']}`" if data.get("id_column") else "each row's values (no id column; derived keys)"
    lines = [
        "## Data",
        "",
        f"- File: `{facts.data_file}` (sha256 `{facts.data_sha256}`)",
        f"- Rows: {rows['total']} ({rows['train']} train, {rows['test']} holdout; split by a hash of {key})",
    ]
    if facts.data_sample is not None:
        lines.append(f"- Trained on {facts.data_sample.describe(rows['total'])}")
    return [
        *lines,
        f"- Numeric features: {', '.join(f'`{c}`' for c in facts.numeric) or 'none'}",
        f"- Categorical features: {', '.join(f'`{c}`' for c in facts.categorical) or 'none'}",
    ]


def _metrics(facts: CardFacts) -> list[str]:
    lines = ["## Metrics (holdout)", "", "| metric | value |", "|---|---|"]
    for name in sorted(facts.metrics):
        marker = " (primary)" if name == facts.primary else ""
        lines.append(f"| {name}{marker} | {_fmt(facts.metrics[name])} |")
    if facts.per_class:
        lines += ["", "| class | precision | recall | f1 | support |", "|---|---|---|---|---|"]
        for label, values in facts.per_class.items():
            support = values["support"]
            lines.append(
                f"| {label} | {_fmt(values['precision'])} | {_fmt(values['recall'])} | {_fmt(values['f1'])} | {int(support or 0)} |"
            )
    return lines


def _importance(facts: CardFacts) -> list[str]:
    change = "rise" if lower_is_better(facts.importance_metric) else "drop"
    sample = facts.evaluation_sample or {}
    where = (
        f"a sample of {sample['sample_rows']} of the {facts.rows['test']} holdout rows (chosen by row key,"
        f" `evaluate.seed` {sample['seed']}; metrics above use every row)"
        if sample.get("sampled")
        else "the holdout"
    )
    return [
        "## Most important features (permutation, holdout)",
        "",
        f"Mean {change} in {facts.importance_metric} on {where} when the column's values are shuffled.",
        "",
        *(f"{i}. `{name}`: {value:.4f}" for i, (name, value) in enumerate(facts.top_features, 1)),
    ]


def _parameters(params: Mapping[str, Any]) -> list[str]:
    shown = {k: params[k] for k in ("data", "split", "model", "train", "evaluate", "metrics") if k in params}
    return ["## Parameters", "", "```yaml", yaml.safe_dump(shown, sort_keys=False).rstrip(), "```"]


LIMITATIONS = [
    "## Limitations",
    "",
    "- Measured on one holdout drawn from the same file as the training rows: it says nothing about drift,",
    "  other populations or future data. Run `mlci check drift` against production samples.",
    "- Probabilities are not calibrated unless the estimator calibrates them.",
    "- Rows with categories unseen in training are scored with those categories ignored.",
]


def render(facts: CardFacts) -> str:
    sections = [
        _title(facts.params),
        _data(facts),
        _metrics(facts),
        _importance(facts),
        _parameters(facts.params),
        LIMITATIONS,
        [
            "## Provenance",
            "",
            f"- Model sha256: `{facts.model_sha256}`",
            f"- Params hash: `{facts.params_hash}`",
            f"- Commit: `{facts.commit}`",
        ],
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"
