"""`mlci run`: load -> validate -> split -> train -> predict -> evaluate -> write, one progress line each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from mlci.config import Params
from mlci.config.training import SampleParams
from mlci.core import artifacts, model_io, provenance
from mlci.core.artifacts import FORMAT_VERSION, DataSample, MetricsFile, RunFile, RunFolder, staged
from mlci.core.errors import ConfigError
from mlci.core.progress import StageTimer
from mlci.data import sample as data_sample
from mlci.data.dataset import load_dataset
from mlci.data.split import Split, sample_positions, split_dataset
from mlci.training import card, plots, train
from mlci.training.evaluate import Predictions, compute_metrics


@dataclass(frozen=True)
class RunResult:
    out: Path
    primary: str
    primary_value: float | None
    model_sha256: str


@dataclass(frozen=True)
class Trained:
    """The fitted pipeline and its holdout predictions, on the rows the run used (the sample, when it took one)."""

    data_sha256: str  # the whole file's, sampled or not
    split: Split
    sample: DataSample | None
    pipeline: Pipeline
    predictions: Predictions

    @property
    def rows(self) -> dict[str, int]:
        train_rows, test_rows = self.split.train.rows, self.split.test.rows
        return {"total": train_rows + test_rows, "train": train_rows, "test": test_rows}

    @property
    def features(self) -> artifacts.Features:
        return artifacts.Features(
            numeric=list(self.split.train.numeric), categorical=list(self.split.train.categorical)
        )


@dataclass(frozen=True)
class Evaluated:
    metrics: dict[str, float | None]
    per_class: dict[str, dict[str, float | None]]
    scored_by: str  # the metric importance was scored with
    importances: pd.DataFrame
    plots: dict[str, bytes]
    sample: artifacts.EvaluationSample


def run_pipeline(
    params: Params,
    out: Path,
    timer: StageTimer | None = None,
    finish: Callable[[Path], None] | None = None,
    sample: SampleParams | None = None,
) -> RunResult:
    """Train and write `out` atomically, on every row or on `sample`. `finish` (compare + report) runs on the
    staged folder before it replaces `out`: if it raises, `out` is left exactly as it was."""
    timer = timer or StageTimer()
    trained = _train(params, timer, sample)
    evaluated = _evaluate(params, trained, timer)
    with staged(out) as folder:
        with timer.stage("write", str(out)):
            model_sha = _write(folder, params, trained, evaluated, timer)
        if finish is not None:
            finish(folder.root)
    return RunResult(
        out=out,
        primary=params.metrics.primary,
        primary_value=evaluated.metrics.get(params.metrics.primary),
        model_sha256=model_sha,
    )


def _train(params: Params, timer: StageTimer, sample: SampleParams | None) -> Trained:
    task = params.data.task
    with timer.stage("load", str(params.data.path)):
        data = load_dataset(params)
    record = None if sample is None else DataSample(max_rows=sample.rows, seed=sample.seed, file_rows=data.rows)
    detail = f"test_size {params.split.test_size}" + (
        ""
        if sample is None
        else f"; data.sample: {min(sample.rows, data.rows)} of {data.rows} rows (seed {sample.seed})"
    )
    with timer.stage("split", detail):
        keep = None if sample is None else data_sample.pick(data, sample)
        split = split_dataset(data, params.split, classification=task == "classification", keep=keep)
    sha256 = data.sha256
    del data  # a sampled run trains on a fraction of the rows: the full table need not outlive the split
    # Every stage runs with one OpenMP thread. Training: HistGradientBoosting's model bytes depend on the
    # thread count (1 vs 2 threads gave different models on the bundled data), so a pinned count is what
    # makes "same data and params, same model sha256" hold on any runner, which rebuilding main's baseline
    # relies on; and on a busy 2-core machine the default pool was 8-30x slower (bundled data 0.3 s vs
    # 10 s, 100,000 rows 4.8 s vs 37 s). Predicting and permutation importance are many short calls, where
    # the pool spun 4x longer than one thread took (54 s vs 12 s for importance on 10,000 rows).
    with threadpool_limits(limits=1), timer.stage("train", f"{params.model.estimator} on {split.train.rows} rows"):
        pipeline = train.fit(train.build(params, split.train), split.train, params)
    with threadpool_limits(limits=1), timer.stage("predict", f"{split.test.rows} holdout rows"):
        predictions = train.predict(pipeline, split.test, task)
    return Trained(sha256, split, record, pipeline, predictions)


def _evaluate(params: Params, trained: Trained, timer: StageTimer) -> Evaluated:
    task, test, predictions = params.data.task, trained.split.test, trained.predictions
    sample = sample_positions(test.ids, params.evaluate.sample_rows, params.evaluate.seed)
    sampled_rows = test.rows if sample is None else len(sample)
    with timer.stage("evaluate", f"metrics on {test.rows} rows, importance and plots on {sampled_rows}"):
        metrics, per_class = compute_metrics(task, predictions)
        scored_by = train.importance_metric(params.metrics.primary, task, metrics)
        # Importance and plots cost grows with the rows they see, and a sample of thousands ranks features
        # and draws curves as well as the whole holdout does: they get a bounded sample, metrics every row.
        evaluated = test if sample is None else test.take(sample)
        shown = predictions if sample is None else predictions.take(sample)
        with threadpool_limits(limits=1):
            importances = train.feature_importance(trained.pipeline, evaluated, params.train.seed, scored_by, task)
        pngs = plots.render_all(task, shown, importances, sampled_of=None if sample is None else test.rows)
    record = artifacts.EvaluationSample(sample_rows=sampled_rows, sampled=sample is not None, seed=params.evaluate.seed)
    return Evaluated(metrics, per_class, scored_by, importances, pngs, record)


def _model_blob(pipeline: Pipeline) -> bytes:
    blob = model_io.dumps(pipeline)
    unknown = model_io.untrusted(blob)
    if unknown:
        raise ConfigError(
            f"the trained model holds types outside the load allowlist ({', '.join(unknown)}); add them to TRUSTED_TYPES in mlci/model.py"
        )
    return blob


def _write(folder: RunFolder, params: Params, trained: Trained, evaluated: Evaluated, timer: StageTimer) -> str:
    """Every file of the run into the staging folder; returns the model's sha256."""
    blob = _model_blob(trained.pipeline)
    model_sha = model_io.sha256_bytes(blob)
    commit = provenance.git_commit(params.root)
    folder.write(artifacts.MODEL, blob)
    folder.write(artifacts.MODEL_SHA256, f"{model_sha}  {artifacts.MODEL}\n")
    metrics_file = MetricsFile(
        format_version=FORMAT_VERSION,
        task=params.data.task,
        primary=params.metrics.primary,
        metrics=evaluated.metrics,
        per_class=evaluated.per_class,
        rows=artifacts.Rows(**trained.rows),
        evaluation_sample=evaluated.sample,
    )
    folder.write_json(artifacts.METRICS, metrics_file.dump())
    trained.predictions.frame().to_csv(
        folder.path(artifacts.PREDICTIONS), index=False, float_format="%.17g", lineterminator="\n"
    )
    evaluated.importances.to_csv(
        folder.path(artifacts.FEATURE_IMPORTANCE), index=False, float_format="%.10g", lineterminator="\n"
    )
    for name, png in evaluated.plots.items():
        folder.write(f"{artifacts.PLOTS}/{name}", png)
    folder.write_json(artifacts.PARAMS, params.canonical())
    folder.write(artifacts.MODEL_CARD, _card(params, trained, evaluated, model_sha, commit))
    model = artifacts.ModelFacts(file=artifacts.MODEL, sha256=model_sha, bytes=len(blob))
    folder.write_json(artifacts.RUN, _run_file(params, trained, model, commit, timer).dump())
    return model_sha


def _card(params: Params, trained: Trained, evaluated: Evaluated, model_sha: str, commit: str) -> str:
    top = evaluated.importances.head(5)
    features = trained.features
    return card.render(
        card.CardFacts(
            params=params.canonical(),
            data_file=str(params.data.path),
            data_sha256=trained.data_sha256,
            rows=trained.rows,
            numeric=features.numeric,
            categorical=features.categorical,
            primary=params.metrics.primary,
            metrics=evaluated.metrics,
            per_class=evaluated.per_class,
            top_features=list(zip(top["feature"], top["importance_mean"], strict=True)),
            importance_metric=evaluated.scored_by,
            evaluation_sample=evaluated.sample.dump(),
            data_sample=trained.sample,
            model_sha256=model_sha,
            params_hash=params.params_hash(),
            commit=commit,
        )
    )


def _run_file(params: Params, trained: Trained, model: artifacts.ModelFacts, commit: str, timer: StageTimer) -> RunFile:
    facts = artifacts.DataFacts(
        path=str(params.data.path),
        sha256=trained.data_sha256,
        rows=artifacts.Rows(**trained.rows),
        sample=trained.sample,
    )
    return RunFile(
        format_version=FORMAT_VERSION,
        commit=commit,
        data=facts,
        features=trained.features,
        id_column=params.data.id_column,
        target=params.data.target,
        task=params.data.task,
        classes=[str(c) for c in trained.predictions.classes],
        params_hash=params.params_hash(),
        model=model,
        packages=provenance.package_versions(),
        durations_seconds=dict(timer.durations),
    )
