"""Candidate run vs baseline run (main's artifacts) on the same holdout rows, with paired statistics.

Reading and verifying the two folders is here (`compare_folders` is the stage `mlci compare` runs); the
arithmetic is in `mlci.comparison.stats`. The result is `comparison.json` (`mlci.core.artifacts.ComparisonFile`), which
`mlci.comparison.report` renders without touching any other file.

Two ways a comparison can fall short, kept apart on purpose:
- **incomparable** (`comparable: false`): the baseline answers another question (another task, target,
  label threshold or class set), or was trained on other rows than `data.sample` gave this run (main's
  full-data model against a pull request's sample would show a regression that is only the sample). No
  metric means the same on both sides, so nothing is compared and the gate follows `gates.incomparable`;
  a pull request that changes the question can still pass.
- **not like for like** (`like_for_like: false`): the same question, but the baseline model could not
  score this run's holdout rows (a column it needs is gone, a row is missing, the model rejects the
  data). Each model is then judged on its own holdout, unpaired, and the regression gate still applies.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlci import metrics
from mlci import model as user_model
from mlci.comparison import stats
from mlci.config import Params
from mlci.config.report import ReportParams
from mlci.config.training import Task
from mlci.core import artifacts as files
from mlci.core.artifacts import (
    FORMAT_VERSION,
    ComparisonFile,
    DataSample,
    MetricsFile,
    RunFile,
    read_json_object,
)
from mlci.core.errors import ArtifactError, GateFailed
from mlci.core.rowkey import row_keys
from mlci.data.dataset import file_sha256, read_frame
from mlci.metrics import BOOTSTRAP, Scores
from mlci.training.evaluate import point_metrics

CANDIDATE_FILES = (files.MODEL_SHA256, files.METRICS, files.RUN, files.PARAMS, files.PREDICTIONS)
RUN_FILES = (files.MODEL, *CANDIDATE_FILES)
SIGNIFICANT_DIGITS = 10


@dataclass(frozen=True)
class RunRecord:
    """What one artifacts folder says about its run (files parsed, nothing loaded into a model yet)."""

    folder: Path
    run: RunFile
    metrics: MetricsFile
    params: dict[str, Any]
    predictions: pd.DataFrame

    @property
    def task(self) -> Task:
        return self.run.task

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.run.classes)

    @functools.cached_property
    def scores(self) -> Scores:
        """The holdout predictions in numeric form, parsed once (ArtifactError if they do not parse)."""
        return scores_from_predictions(self)


def read_run(folder: Path, role: str, required: tuple[str, ...] = RUN_FILES) -> RunRecord:
    """Parse and sanity-check an artifacts folder; every problem is one line naming the file."""
    if not folder.exists():
        raise ArtifactError(f"{folder}: {role} folder not found")
    if not folder.is_dir():
        raise ArtifactError(f"{folder}: {role} path is not a folder")
    for name in required:
        if not (folder / name).is_file():
            raise ArtifactError(
                f"{folder / name}: missing; the {role} folder is incomplete (expected the artifacts of `mlci run`)"
            )
    incomplete = f"the {role} folder is incomplete"
    metrics = files.read_metrics(folder, incomplete)
    run = files.read_run(folder, incomplete)
    params = read_json_object(folder / files.PARAMS, incomplete)
    recorded = (folder / files.MODEL_SHA256).read_text(encoding="utf-8").split()
    if not recorded or recorded[0] != run.model.sha256:
        raise ArtifactError(
            f"{folder / 'model.sha256'}: does not match the model sha256 in run.json; refusing a tampered or mixed-up folder"
        )
    if files.MODEL in required:
        # Hashing is cheap next to loading: a tampered model is refused before any training or scoring.
        actual = file_sha256(folder / files.MODEL)
        if actual != recorded[0]:
            raise ArtifactError(
                f"{folder / 'model.skops'}: sha256 {actual[:12]}... does not match the recorded {recorded[0][:12]}...; refusing to load a tampered or wrong model"
            )
    classification = run.task == "classification"
    # Ids as written (they are keys, "7" is not "7.0"); class labels as text, "NA" included.
    dtypes: dict[str, type[str]] = {"id": str, **({"y_true": str, "y_pred": str} if classification else {})}
    try:
        predictions = pd.read_csv(folder / files.PREDICTIONS, dtype=dtypes, keep_default_na=not classification)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ArtifactError(f"{folder / 'predictions.csv'}: cannot parse: {exc.__class__.__name__}") from None
    needed = ["id", "y_true", "y_pred"] + [f"proba_{c}" for c in run.classes]
    missing = [c for c in needed if c not in predictions.columns]
    if missing:
        raise ArtifactError(f"{folder / 'predictions.csv'}: column {missing[0]!r} is missing")
    return RunRecord(folder, run, metrics, params, predictions)


def _threshold(record: RunRecord) -> Any:
    return (record.params.get("data") or {}).get("target_threshold")


def incomparable_reason(candidate: RunRecord, baseline: RunRecord) -> str | None:
    """Why the baseline answers another question than this run (one sentence), or None when it does not."""
    if baseline.task != candidate.task:
        return f"the baseline is a {baseline.task} model, this run is {candidate.task}"
    if baseline.run.target != candidate.run.target:
        return f"the baseline predicts {baseline.run.target!r}, this run predicts {candidate.run.target!r}"
    if _threshold(baseline) != _threshold(candidate):
        target = candidate.run.target

        def label(threshold: Any) -> str:
            return f"{target!r} as is" if threshold is None else f"{target!r} >= {threshold}"

        return f"the baseline labels {label(_threshold(baseline))}, this run labels {label(_threshold(candidate))}"
    if candidate.task == "classification" and set(baseline.classes) != set(candidate.classes):
        return f"the baseline model predicts classes {list(baseline.classes)}, this run has {list(candidate.classes)}"
    return sample_difference(candidate.run.data.sample, baseline.run.data.sample)


def _trained_on(sample: DataSample | None) -> str:
    if sample is None:
        return "every row"
    return f"a data.sample of {sample.max_rows:,} rows (seed {sample.seed})"


def sample_difference(candidate: DataSample | None, baseline: DataSample | None) -> str | None:
    """Why two runs' training rows were not chosen alike (one sentence), or None when they were.

    Alike: the same `data.sample` rule (size and seed) or none on both sides, or no row left out on either
    side (a sample at least as large as the file is every row).
    """
    rule = (candidate.max_rows, candidate.seed) if candidate else None
    if rule == ((baseline.max_rows, baseline.seed) if baseline else None):
        return None
    if not any(sample is not None and sample.dropped_rows for sample in (candidate, baseline)):
        return None
    return (
        f"the baseline was trained on {_trained_on(baseline)}, this run on {_trained_on(candidate)};"
        " a fair baseline is main's code trained on the same sample"
    )


def _ids(column: pd.Series) -> pd.Series:
    return column.astype(str)


def scores_from_predictions(record: RunRecord) -> Scores:
    frame = record.predictions
    try:
        if record.task == "classification":
            proba = frame[[f"proba_{c}" for c in record.classes]].to_numpy(dtype=float)
            return stats.classification_scores(
                frame["y_true"].to_numpy(), frame["y_pred"].to_numpy(), proba, record.classes
            )
        return stats.regression_scores(frame["y_true"].to_numpy(dtype=float), frame["y_pred"].to_numpy(dtype=float))
    except ValueError as exc:
        raise ArtifactError(f"{record.folder / 'predictions.csv'}: {str(exc).splitlines()[0]}") from None


def _baseline_features(
    baseline: RunRecord, candidate: RunRecord, frame: pd.DataFrame, data_name: str
) -> pd.DataFrame | str:
    """The baseline model's input columns for the candidate's holdout rows (by id), or why they cannot be built."""
    numeric = list(baseline.run.features.numeric)
    categorical = list(baseline.run.features.categorical)
    id_column = candidate.run.id_column
    gone = [c for c in [*numeric, *categorical, *([id_column] if id_column else [])] if c not in frame.columns]
    if gone:
        return f"column {gone[0]!r} that the baseline model needs is not in {data_name}"
    rows = frame.set_index(row_keys(frame, id_column))
    wanted = _ids(candidate.predictions["id"])
    absent = wanted[~wanted.isin(rows.index)]
    if not absent.empty:
        return f"holdout row id {absent.iloc[0]!r} is not in {data_name}"
    X = rows.loc[wanted.to_numpy(), numeric + categorical].reset_index(drop=True)
    for column in numeric:
        X[column] = pd.to_numeric(X[column], errors="coerce")
    for column in categorical:  # the same text form dataset.prepare gives the training data
        X[column] = X[column].astype("string").astype(object).where(X[column].notna(), np.nan)
    return X


def baseline_on_candidate_rows(
    model: Any, baseline: RunRecord, candidate: RunRecord, frame: pd.DataFrame, data_name: str
) -> Scores | str:
    """Score the baseline model on the candidate's holdout rows (by id), or say why it cannot."""
    X = _baseline_features(baseline, candidate, frame, data_name)
    if isinstance(X, str):
        return X
    target = candidate.scores
    try:
        # One thread: OpenMP workers spinning on a busy 2-core runner made 1k-row predictions take ~1 s.
        with threadpool_limits(limits=1):
            y_pred, proba = user_model.predict(model, X, candidate.task)
    except (ValueError, TypeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        return f"the baseline model cannot score this data ({first[:160]})"
    if proba is None:
        return stats.regression_scores(target.y_true, y_pred)
    model_classes = tuple(str(c) for c in model.classes_)
    if set(model_classes) != set(candidate.classes):
        return f"the baseline model predicts classes {list(model_classes)}, this run has {list(candidate.classes)}"
    order = [model_classes.index(c) for c in candidate.classes]
    return stats.classification_scores(
        candidate.predictions["y_true"].to_numpy(), y_pred.astype(str), proba[:, order], candidate.classes
    )


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def flatten(payload: Any, prefix: str = "") -> dict[str, Any]:
    """Nested params as dotted keys ('model.params.max_iter'); lists stay whole values."""
    if isinstance(payload, dict) and payload:
        out: dict[str, Any] = {}
        for key in sorted(payload):
            out.update(flatten(payload[key], f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): payload}


def params_diff(baseline: Mapping[str, Any], candidate: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Key-by-key changes: `change` is added, removed or changed (an absent side is null)."""
    old, new = flatten(dict(baseline)), flatten(dict(candidate))
    changes = []
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and old[key] == new[key]:
            continue
        change = "changed" if key in old and key in new else ("added" if key in new else "removed")
        changes.append({"key": key, "change": change, "baseline": old.get(key), "candidate": new.get(key)})
    return changes


def _metric_rows(
    *,
    names: list[str],
    candidate_points: Mapping[str, float | None],
    baseline_points: Mapping[str, float | None],
    intervals: Mapping[str, stats.DeltaInterval],
    tests: Mapping[str, tuple[str, float | None]],
    tolerances: Mapping[str, float],
    methods: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        cand, base = candidate_points.get(name), baseline_points.get(name)
        ci = intervals.get(name, stats.DeltaInterval(None, None, None, 0))
        delta = None if cand is None or base is None else cand - base
        method = (methods or {}).get(name)
        test, p_value = tests.get(name, (method or BOOTSTRAP, ci.p_value))
        lower = metrics.lower_is_better(name)
        significant = delta is not None and ci.significant
        direction = "same" if not significant or delta is None else "better" if (delta < 0) == lower else "worse"
        tolerance = tolerances.get(name)
        worse_by = None if delta is None else (delta if lower else -delta)
        if tolerance is None:
            gate = "n/a"
        elif delta is None:
            gate = "not-run"
        else:
            gate = "failed" if direction == "worse" and worse_by is not None and worse_by > tolerance else "passed"
        rows.append(
            {
                "name": name,
                "lower_is_better": lower,
                "baseline": _round(base),
                "candidate": _round(cand),
                "delta": _round(delta),
                "ci_low": _round(ci.low),
                "ci_high": _round(ci.high),
                "interval": method,
                "p_value": _round(p_value),
                "test": test,
                "significant": significant,
                "direction": direction,
                "tolerance": tolerance,
                "gate": gate,
            }
        )
    return rows


def _paired_tests(names: list[str], candidate: Scores, baseline: Scores) -> dict[str, tuple[str, float]]:
    """Each metric's paired test (its registry entry names it), each test run once on these rows."""
    p_values: dict[str, float] = {}
    out = {}
    for name in names:
        test = metrics.get(name).paired_test
        if test is not None:
            if test.name not in p_values:
                p_values[test.name] = test.p_value(candidate, baseline)
            out[name] = (test.name, p_values[test.name])
    return out


def _facts(record: RunRecord) -> dict[str, Any]:
    run = record.run
    return {
        "commit": run.commit,
        "data_sha256": run.data.sha256,
        "data_rows": run.data.rows.total,
        "holdout_rows": len(record.predictions),
        "params_hash": run.params_hash,
        "model_sha256": run.model.sha256,
        "model_bytes": run.model.bytes,
        "train_seconds": run.durations_seconds.get("train"),
        "estimator": (record.params.get("model") or {}).get("estimator"),
        "evaluation_sample": record.metrics.evaluation_sample.dump(),
        "data_sample": None if run.data.sample is None else run.data.sample.dump(),
    }


def metric_list(params: Params) -> list[str]:
    """Reported metrics, primary first, then any metric only a gate names."""
    names = [params.metrics.primary] + [m for m in params.metrics.report if m != params.metrics.primary]
    return names + [m for m in params.gates.max_regression if m not in names]


def no_baseline(candidate: RunRecord, params: Params, source: str) -> ComparisonFile:
    """The first PR (or main without artifacts): nothing to compare against, and the gate passes."""
    return ComparisonFile.model_validate(
        {
            "format_version": FORMAT_VERSION,
            "status": "no-baseline",
            "verdict": "no-baseline",
            "comparable": None,
            "reason": None,
            "gate": {"status": "passed", "failures": []},
            "baseline_source": source,
            "task": candidate.task,
            "primary": params.metrics.primary,
            "candidate": _facts(candidate),
            "candidate_metrics": {m: _round(candidate.metrics.metrics.get(m)) for m in metric_list(params)},
        }
    )


def _intervals(
    names: list[str], candidate: Scores, baseline: Scores, report: ReportParams, paired: bool
) -> tuple[dict[str, str], dict[str, stats.DeltaInterval]]:
    """(method, interval) of each metric's delta, as `report` asks for them."""
    found = stats.delta_intervals(
        names,
        candidate,
        baseline,
        resamples=report.bootstrap_resamples,
        seed=report.seed,
        max_rows=report.bootstrap_max_rows,
        confidence=report.confidence,
        paired=paired,
    )
    return {name: method for name, (method, _) in found.items()}, {name: ci for name, (_, ci) in found.items()}


def _scored(
    candidate: RunRecord, baseline: RunRecord, baseline_on_same_rows: Scores | str, names: list[str]
) -> tuple[Scores, str | None, dict[str, tuple[str, float]]]:
    """(the baseline's scores, why they are not on the candidate's rows or None, the paired tests)."""
    if isinstance(baseline_on_same_rows, Scores):
        return baseline_on_same_rows, None, _paired_tests(names, candidate.scores, baseline_on_same_rows)
    return baseline.scores, baseline_on_same_rows, {}


def _gate_failures(rows: list[dict[str, Any]]) -> list[str]:
    return [
        f"{r['name']} {'rose' if r['lower_is_better'] else 'dropped'} by {abs(r['delta']):.4g} (tolerance {r['tolerance']:g})"
        for r in rows
        if r["gate"] == "failed"
    ]


def _bootstrap_facts(report: ReportParams, paired: bool) -> dict[str, Any]:
    return {
        "resamples": report.bootstrap_resamples,
        "seed": report.seed,
        "confidence": report.confidence,
        "paired": paired,
        "max_rows": report.bootstrap_max_rows,
    }


def compare_runs(
    candidate: RunRecord,
    baseline: RunRecord,
    baseline_on_same_rows: Scores | str,
    params: Params,
    source: str,
) -> ComparisonFile:
    """The full comparison: paired when the baseline scored the candidate's rows, unpaired otherwise."""
    names = metric_list(params)
    cand_scores = candidate.scores
    base_scores, reason, tests = _scored(candidate, baseline, baseline_on_same_rows, names)
    paired = reason is None
    cand_points, base_points = point_metrics(cand_scores), point_metrics(base_scores)
    defined = [m for m in names if cand_points.get(m) is not None and base_points.get(m) is not None]
    methods, intervals = _intervals(defined, cand_scores, base_scores, params.report, paired)
    rows = _metric_rows(
        names=names,
        candidate_points=cand_points,
        baseline_points=base_points,
        intervals=intervals,
        methods=methods,
        tests=tests,
        tolerances=params.gates.max_regression,
    )
    failures = _gate_failures(rows)
    verdict = {"better": "better", "worse": "worse", "same": "no-significant-change"}[rows[0]["direction"]]
    return ComparisonFile.model_validate(
        {
            "format_version": FORMAT_VERSION,
            "status": "compared",
            "verdict": verdict,
            "comparable": True,
            "reason": None,
            "like_for_like": paired,
            "not_like_for_like_reason": reason,
            "baseline_source": source,
            "task": candidate.task,
            "primary": params.metrics.primary,
            "rows_compared": {"candidate": cand_scores.rows, "baseline": base_scores.rows},
            "bootstrap": _bootstrap_facts(params.report, paired),
            "metrics": rows,
            "gate": {"status": "failed" if failures else "passed", "failures": failures},
            **_what_changed(candidate, baseline),
        }
    )


def _what_changed(candidate: RunRecord, baseline: RunRecord) -> dict[str, Any]:
    """Params, data and model facts of both runs: meaningful whether or not the metrics compare."""
    cand_ids, base_holdout = set(_ids(candidate.predictions["id"])), set(_ids(baseline.predictions["id"]))
    baseline_facts, candidate_facts = _facts(baseline), _facts(candidate)
    return {
        "params_diff": params_diff(baseline.params, candidate.params),
        "data": {
            "baseline_sha256": baseline_facts["data_sha256"],
            "candidate_sha256": candidate_facts["data_sha256"],
            "baseline_rows": baseline_facts["data_rows"],
            "candidate_rows": candidate_facts["data_rows"],
            "holdout_ids_added": len(cand_ids - base_holdout),
            "holdout_ids_removed": len(base_holdout - cand_ids),
        },
        "baseline": baseline_facts,
        "candidate": candidate_facts,
    }


def incomparable(candidate: RunRecord, baseline: RunRecord, reason: str, params: Params, source: str) -> ComparisonFile:
    """The baseline answers another question: nothing is compared; `gates.incomparable` decides the gate."""
    setting = params.gates.incomparable
    failures = [] if setting == "pass" else [f"nothing was compared: {reason} (gates.incomparable: fail)"]
    return ComparisonFile.model_validate(
        {
            "format_version": FORMAT_VERSION,
            "status": "incomparable",
            "verdict": "incomparable",
            "comparable": False,
            "reason": reason,
            "gate": {"status": "failed" if failures else "passed", "failures": failures, "incomparable": setting},
            "baseline_source": source,
            "task": candidate.task,
            "primary": params.metrics.primary,
            "candidate_metrics": {m: _round(candidate.metrics.metrics.get(m)) for m in metric_list(params)},
            **_what_changed(candidate, baseline),
        }
    )


def read_baseline(baseline: Path, artifacts: Path) -> RunRecord:
    """The baseline folder parsed and verified (files, format_version, hashes, predictions): cheap, no model load.

    `mlci run --baseline` calls it before training, so a bad baseline costs no training and leaves
    `artifacts` as it was.
    """
    if baseline.exists() and baseline.resolve() == artifacts.resolve():
        raise ArtifactError(f"{baseline}: the baseline is this run's own folder; pass a copy of main's artifacts")
    record = read_run(baseline, "baseline")
    record.scores  # noqa: B018 -- parse (and cache) now: a damaged predictions.csv is refused before any work
    return record


def compare_folders(params: Params, artifacts: Path, baseline: Path | None, source: str | None) -> ComparisonFile:
    """Verify both folders, compare, write comparison.json atomically; returns the comparison."""
    from mlci.core.model_io import load_model_dir

    candidate = read_run(artifacts, "artifacts", CANDIDATE_FILES)
    if candidate.task != params.data.task or candidate.run.target != params.data.target:
        raise ArtifactError(
            f"{artifacts / files.RUN}: written for task {candidate.task} / target {candidate.run.target!r}, but params.yaml says {params.data.task} / {params.data.target!r}; rerun `mlci run`"
        )
    if baseline is None:
        comparison = no_baseline(candidate, params, source or "no baseline artifacts were given")
    else:
        base = read_baseline(baseline, artifacts)
        source = source or f"artifacts folder {baseline}"
        reason = incomparable_reason(candidate, base)
        if reason is not None:
            comparison = incomparable(candidate, base, reason, params, source)
        else:
            path = params.data_path
            frame = read_frame(
                path, params.data.id_column
            )  # also the clear error when the file is missing or unreadable
            if file_sha256(path) != candidate.run.data.sha256:
                raise ArtifactError(
                    f"{path}: changed since {artifacts} was written (sha256 differs from run.json); rerun `mlci run`"
                )
            model = load_model_dir(baseline)  # the slow part (skops import + load): after the cheap checks
            scored = baseline_on_candidate_rows(model, base, candidate, frame, str(params.data.path))
            comparison = compare_runs(candidate, base, scored, params, source)
    files.write_model(artifacts / files.COMPARISON, comparison)
    return comparison


def gate_failure(comparison: Mapping[str, Any]) -> GateFailed | None:
    """The error a failed compare gate exits with (1), or None when the gate passed."""
    gate = comparison.get("gate") or {}
    if gate.get("status") != "failed":
        return None
    what = "compare gate" if comparison.get("comparable") is False else "regression gate"
    return GateFailed(f"{what} failed: " + "; ".join(gate.get("failures") or []))
