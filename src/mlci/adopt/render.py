"""Text of the files `mlci init` writes: params.yaml, the data card, the behavioral tests. Pure: Plan in, str out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from mlci.adopt.plan import Plan

LICENCE_PLACEHOLDER = "TODO: state the licence of this data (e.g. CC BY 4.0) and its source"


def _flow(values: Iterable[str]) -> str:
    """A YAML flow list; JSON strings are valid YAML and quote whatever a column name holds."""
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _mapping(values: Mapping[str, float]) -> str:
    return "{" + ", ".join(f"{k}: {v:g}" for k, v in values.items()) + "}"


# The serving image's settings when the project has none to keep (they are not about the data).
DEFAULT_IMAGE_BLOCK = """\
image:
  name: mlci-model
  registry: ghcr.io/OWNER/mlci-model
"""


def image_block(current_params: str) -> str:
    """The `image:` section of the current params.yaml as written (comments and all), else the default: the
    image name, registry and serving limits are the team's choices, kept across `mlci init`."""
    lines = current_params.splitlines(keepends=True)
    for start, line in enumerate(lines):
        if line.rstrip() == "image:":
            end = start + 1
            while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
                end += 1
            return "".join(lines[start:end]).rstrip("\n") + "\n"
    return DEFAULT_IMAGE_BLOCK


def params_yaml(plan: Plan, *, image_block: str) -> str:
    id_line = (
        f"  id_column: {json.dumps(plan.id_column)}  # stable row id, read as text: the split and the PR comparison key on it"
        if plan.id_column
        else "  # id_column: none given; rows are keyed on a hash of their values plus their occurrence number.\n"
        "  # Editing a row (or adding/removing a column) re-draws its side of the split: add a stable id column\n"
        "  # and name it here once the data has one."
    )
    ignored = "".join(f"\n    # {name}: {why}" for name, why in plan.ignored.items())
    task_note = (
        f"{len(plan.classes)} classes: {', '.join(plan.classes[:6])}{' ...' if len(plan.classes) > 6 else ''}"
        if plan.task == "classification"
        else "numeric target"
    )
    classification = plan.task == "classification"
    recall_line = (
        "" if not classification else "  # min_class_recall: 0.5        # every class's recall must reach this\n"
    )
    return f"""\
# Every knob of the pipeline, written by `mlci init` from {plan.data_file}. `mlci config --check` validates this
# file against the data; `mlci config --schema` prints its schema. Edit freely: nothing here is generated twice.
data:
  path: data/{plan.data_file}
{id_line}
  target: {json.dumps(plan.target)}
  task: {plan.task}                # {task_note}
  ignore_columns: {_flow(plan.ignored)}{ignored}
  categorical: {_flow(plan.categorical)}

split:
  test_size: {0.2 if plan.rows >= 20000 else 0.25}
  seed: 20240601
  stratify: false               # false keeps every row's side stable when rows are added

model:
  estimator: hist_gradient_boosting
  params:
    learning_rate: 0.05
    max_iter: 200
    max_leaf_nodes: 15
    min_samples_leaf: 20
    l2_regularization: 1.0
    early_stopping: true        # stop adding trees when a held-out tenth of the training rows stops improving

train:
  seed: 42

evaluate:
  sample_rows: 10000            # permutation importance and plots on at most this many holdout rows; metrics on all
  seed: 42

metrics:
  primary: {plan.primary}
  report: {_flow(plan.report).replace('"', "")}

# Floors any model that learned something clears (better than chance). Raise them to what your model must
# reach once you know it: they gate `mlci check model` and governance.
gates:
  min: {_mapping(plan.gates_min)}
{recall_line}  max_regression: {_mapping(plan.max_regression)}   # PR compare: a significant drop larger than this fails
  incomparable: pass            # a PR that changes the target, task or classes cannot be compared: pass with a warning

# Data and model checks (`mlci check data|model|drift`). Each suite lists only what differs from deepchecks'
# defaults: a check name maps to `false` (off) or to {{optional, conditions, params}}.
checks:
  sample_rows: 10000            # deepchecks sees at most this many rows per data set; the schema sees all
  seed: 42
  fail_on_warning: true
  feature_importance_timeout: 60
  weak_segments: {{n_top_features: 5, n_samples: 2000}}
  schema_file: data/schema.yaml # written by `mlci init`; review its ranges and allowed values
  data_integrity:
    PercentOfNulls:             # the largest share of empty values in a feature today, plus room
      conditions: {{percent_of_nulls_not_greater_than: {{threshold: {plan.null_threshold:g}}}}}
    DataDuplicates:             # the share of repeated rows today, plus room
      conditions: {{ratio_less_or_equal: {{max_ratio: {plan.duplicate_ratio:g}}}}}
    OutlierSampleDetection: false  # slow and has no condition
  train_test_validation: {{}}
  model_evaluation:             # set for a first run on a new table: tighten once you know your model
    TrainTestPerformance:       # the train/test gap is shown, not gated: boosting fits its training rows closely
      conditions: {{}}
    WeakSegmentsPerformance:    # segments of at least a fifth of the holdout: smaller ones are a handful of rows;
      optional: true            # a holdout too small to find segments in is reported, not failed
      params: {{segment_minimum_size_ratio: 0.2}}
      conditions: {{segments_relative_performance_greater_than: {{max_ratio_change: 0.4}}}}
    RocReport:                  # every class's one-vs-rest AUC, better than chance (deepchecks' default is 0.7)
      conditions: {{auc_greater_than: {{min_auc: 0.6}}}}
    ModelInferenceTime:         # per-row time of a batch; deepchecks' 1 ms default flakes on a busy CI runner
      conditions: {{inference_time_less_than: {{value: 0.01}}}}
  drift: {{}}

# What must hold before a model ships (`mlci govern`). required: true | ci (only in CI) | false (reported).
governance:
  data_checks: {{required: true, suites: [schema, data_integrity, train_test_validation]}}
  model_checks: {{required: true, suites: [model_evaluation, gates]}}
  compare_gate: {{required: true}}
  primary_metric: {{required: true}}    # floor: gates.min.{plan.primary}
  data_card: {{required: true, path: data/README.md}}   # fails until data/README.md states the licence
  model_card: {{required: true}}
  data_hash: {{required: true}}
  model_hash: {{required: true}}
  approvals: {{required: ci, min: 1}}
  image_scan: {{required: ci, fail_on: high, ignore: []}}

report:
  bootstrap_resamples: 1000
  bootstrap_max_rows: 10000     # larger holdouts use DeLong / paired normal / delta-method intervals
  confidence: 0.95
  seed: 20240601
  max_chars: 65536
  publish_images: false         # true uploads plots to asset.cml.dev (a third-party host)

{image_block}"""


def data_card(plan: Plan, *, source_name: str, sha256: str) -> str:
    rows = [
        "| column | role | type | empty | distinct | values |",
        "|---|---|---|---|---|---|",
    ]
    for column in plan.columns:
        role = f"{column.role} ({column.why})" if column.why else column.role
        summary = column.summary.replace("|", "\\|")
        rows.append(f"| `{column.name}` | {role} | {column.dtype} | {column.nulls} | {column.distinct} | {summary} |")
    key = (
        f"`{plan.id_column}` (read as text, exactly as written)"
        if plan.id_column
        else "none: rows are keyed on a hash of their values plus their occurrence number"
    )
    notes = "".join(f"- {note}\n" for note in plan.notes)
    return f"""\
# Data card: {plan.data_file}

Written by `mlci init` from `{source_name}`. The facts below were read from the file; the rows marked TODO
are yours to state. **`mlci govern` fails (rule `data_card`) until the table's TODO terms-of-use row is filled in.**

| | |
|---|---|
| File | `{plan.data_file}` |
| Rows | {plan.rows:,} |
| Columns | {len(plan.columns)} |
| sha256 | `{sha256}` |
| Target | `{plan.target}`: {plan.class_word} |
| Row key | {key} |
| Source | TODO: where the data comes from, who collected it, when |
| Licence | {LICENCE_PLACEHOLDER} |

## Columns
{chr(10).join(rows)}

## Notes
{notes or "- none"}
## Changes from the source
- TODO: say what was changed (rows dropped, columns added), or "none".
"""


BEHAVIOR_TESTS = '''\
"""Behavioral tests of the trained model: the place for your domain's expectations.

`mlci init` wrote this file with tests that hold for any data set; they read params.yaml, the data and the
trained model, never hard-coded values. Add the cases only you know, in three kinds:
- minimum functionality: hand-written rows whose answer any usable model gets right;
- invariance: a change that must not move the prediction (a typo in a name, a unit-preserving nudge);
- directional: a change with a known direction (e.g. a larger loan never lowers the risk).
They run against `MLCI_ARTIFACTS` (CI, after `mlci run`) or a model trained once on params.yaml.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlci.config import Params
from mlci.data.dataset import Dataset


def test_the_most_confident_answers_are_the_most_accurate(model: Any, project: Params, holdout: Dataset) -> None:
    """Higher confidence must mean more often right (classification), or a prediction that tracks the truth."""
    if project.data.task == "regression":
        predicted = np.asarray(model.predict(holdout.X), dtype=float)
        assert float(pd.Series(predicted).corr(holdout.y.reset_index(drop=True), method="spearman")) > 0
        return
    proba = np.asarray(model.predict_proba(holdout.X))
    right = np.asarray(model.classes_)[proba.argmax(axis=1)] == holdout.y.to_numpy()
    order = np.argsort(-proba.max(axis=1), kind="stable")
    half = len(order) // 2
    assert right[order[:half]].mean() >= right[order[half:]].mean()
'''
