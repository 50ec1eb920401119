"""model_card.md from the facts of one run. Pure: data in, markdown out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from mlci.metrics import lower_is_better


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def render(
    *,
    params: Mapping[str, Any],
    data_file: str,
    data_sha256: str,
    rows: Mapping[str, int],
    numeric: list[str],
    categorical: list[str],
    primary: str,
    metrics: Mapping[str, float | None],
    per_class: Mapping[str, Mapping[str, float | None]],
    top_features: list[tuple[str, float]],
    importance_metric: str,
    evaluation_sample: Mapping[str, Any] | None = None,
    model_sha256: str,
    params_hash: str,
    commit: str,
) -> str:
    data = params["data"]
    key = f"`{data['id_column']}`" if data.get("id_column") else "each row's values (no id column; derived keys)"
    task = data["task"]
    lines = [
        "# Model card",
        "",
        f"**Task:** {task} of `{data['target']}`"
        + (
            f" (label 1 = `{data['target']} >= {data['target_threshold']}`)"
            if data.get("target_threshold") is not None
            else ""
        )
        + f" with `{params['model']['estimator']}`.",
        "",
        "## Intended use",
        "",
        "Scores rows with the same columns and meaning as the training data, for the task above. It is a",
        "template's reference model: check the data card and the limitations before any real decision.",
        "",
        "## Data",
        "",
        f"- File: `{data_file}` (sha256 `{data_sha256}`)",
        f"- Rows: {rows['total']} ({rows['train']} train, {rows['test']} holdout; split by a hash of {key})",
        f"- Numeric features: {', '.join(f'`{c}`' for c in numeric) or 'none'}",
        f"- Categorical features: {', '.join(f'`{c}`' for c in categorical) or 'none'}",
        "",
        "## Metrics (holdout)",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for name in sorted(metrics):
        marker = " (primary)" if name == primary else ""
        lines.append(f"| {name}{marker} | {_fmt(metrics[name])} |")
    if per_class:
        lines += ["", "| class | precision | recall | f1 | support |", "|---|---|---|---|---|"]
        for label, values in per_class.items():
            support = values["support"]
            lines.append(
                f"| {label} | {_fmt(values['precision'])} | {_fmt(values['recall'])} | {_fmt(values['f1'])} | {int(support or 0)} |"
            )
    change = "rise" if lower_is_better(importance_metric) else "drop"
    sample = evaluation_sample or {}
    where = (
        f"a sample of {sample['sample_rows']} of the {rows['test']} holdout rows (chosen by row key,"
        f" `evaluate.seed` {sample['seed']}; metrics above use every row)"
        if sample.get("sampled")
        else "the holdout"
    )
    lines += [
        "",
        "## Most important features (permutation, holdout)",
        "",
        f"Mean {change} in {importance_metric} on {where} when the column's values are shuffled.",
        "",
    ]
    lines += [f"{i}. `{name}`: {value:.4f}" for i, (name, value) in enumerate(top_features, 1)]
    lines += [
        "",
        "## Parameters",
        "",
        "```yaml",
        yaml.safe_dump(
            {k: params[k] for k in ("data", "split", "model", "train", "evaluate", "metrics") if k in params},
            sort_keys=False,
        ).rstrip(),
        "```",
        "",
        "## Limitations",
        "",
        "- Measured on one holdout drawn from the same file as the training rows: it says nothing about drift,",
        "  other populations or future data. Run `mlci check drift` against production samples.",
        "- Probabilities are not calibrated unless the estimator calibrates them.",
        "- Rows with categories unseen in training are scored with those categories ignored.",
        "",
        "## Provenance",
        "",
        f"- Model sha256: `{model_sha256}`",
        f"- Params hash: `{params_hash}`",
        f"- Commit: `{commit}`",
        "",
    ]
    return "\n".join(lines)
