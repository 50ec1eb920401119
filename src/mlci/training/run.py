"""`mlci run`: load -> validate -> split -> train -> predict -> evaluate -> write, one progress line each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from threadpoolctl import threadpool_limits

from mlci.config import Params
from mlci.core import artifacts, model_io, provenance
from mlci.core.artifacts import FORMAT_VERSION, MetricsFile, RunFile, staged
from mlci.core.errors import ConfigError
from mlci.core.progress import StageTimer
from mlci.data.dataset import load_dataset
from mlci.data.split import split_dataset
from mlci.training import card, plots, train
from mlci.training.evaluate import compute_metrics, sample_positions


@dataclass(frozen=True)
class RunResult:
    out: Path
    primary: str
    primary_value: float | None
    model_sha256: str


def run_pipeline(
    params: Params, out: Path, timer: StageTimer | None = None, finish: Callable[[Path], None] | None = None
) -> RunResult:
    """Train and write `out` atomically. `finish` (compare + report) runs on the staged folder before it
    replaces `out`: if it raises, `out` is left exactly as it was."""
    timer = timer or StageTimer()
    task = params.data.task
    with timer.stage("load", str(params.data.path)):
        data = load_dataset(params)
    with timer.stage("split", f"test_size {params.split.test_size}"):
        split = split_dataset(data, params.split, classification=task == "classification")
    # Every stage runs with one OpenMP thread. Training: HistGradientBoosting's model bytes depend on the
    # thread count (1 vs 2 threads gave different models on the bundled data), so a pinned count is what
    # makes "same data and params, same model sha256" hold on any runner, which rebuilding main's baseline
    # relies on; and on a busy 2-core machine the default pool was 8-30x slower (bundled data 0.3 s vs
    # 10 s, 100,000 rows 4.8 s vs 37 s). Predicting and permutation importance are many short calls, where
    # the pool spun 4x longer than one thread took (54 s vs 12 s for importance on 10,000 rows).
    with threadpool_limits(limits=1), timer.stage("train", f"{params.model.estimator} on {split.train.rows} rows"):
        pipeline = train.fit(train.build(params, data), split.train, params)
    with threadpool_limits(limits=1), timer.stage("predict", f"{split.test.rows} holdout rows"):
        predictions = train.predict(pipeline, split.test, task)
    sample = sample_positions(split.test.ids, params.evaluate.sample_rows, params.evaluate.seed)
    sampled_rows = split.test.rows if sample is None else len(sample)
    with timer.stage("evaluate", f"metrics on {split.test.rows} rows, importance and plots on {sampled_rows}"):
        metrics, per_class = compute_metrics(task, predictions)
        scored_by = train.importance_metric(params.metrics.primary, task, metrics)
        # Importance and plots cost grows with the rows they see, and a sample of thousands ranks features
        # and draws curves as well as the whole holdout does: they get a bounded sample, metrics every row.
        evaluated = split.test if sample is None else split.test.take(sample)
        shown = predictions if sample is None else predictions.take(sample)
        with threadpool_limits(limits=1):
            importances = train.feature_importance(pipeline, evaluated, params.train.seed, scored_by, task)
        pngs = plots.render_all(task, shown, importances, sampled_of=None if sample is None else split.test.rows)
    with staged(out) as folder:
        with timer.stage("write", str(out)):
            blob = model_io.dumps(pipeline)
            unknown = model_io.untrusted(blob)
            if unknown:
                raise ConfigError(
                    f"the trained model holds types outside the load allowlist ({', '.join(unknown)}); add them to TRUSTED_TYPES in mlci/model.py"
                )
            model_sha = model_io.sha256_bytes(blob)
            commit = provenance.git_commit(params.root)
            rows = {"total": data.rows, "train": split.train.rows, "test": split.test.rows}
            evaluation = {"sample_rows": sampled_rows, "sampled": sample is not None, "seed": params.evaluate.seed}
            folder.write(artifacts.MODEL, blob)
            folder.write(artifacts.MODEL_SHA256, f"{model_sha}  {artifacts.MODEL}\n")
            metrics_file = MetricsFile(
                format_version=FORMAT_VERSION,
                task=task,
                primary=params.metrics.primary,
                metrics=metrics,
                per_class=per_class,
                rows=artifacts.Rows(**rows),
                evaluation_sample=artifacts.EvaluationSample(**evaluation),
            )
            folder.write_json(artifacts.METRICS, metrics_file.dump())
            predictions.frame().to_csv(
                folder.path(artifacts.PREDICTIONS), index=False, float_format="%.17g", lineterminator="\n"
            )
            importances.to_csv(
                folder.path(artifacts.FEATURE_IMPORTANCE), index=False, float_format="%.10g", lineterminator="\n"
            )
            for name, png in pngs.items():
                folder.write(f"{artifacts.PLOTS}/{name}", png)
            folder.write_json(artifacts.PARAMS, params.canonical())
            folder.write(
                artifacts.MODEL_CARD,
                card.render(
                    params=params.canonical(),
                    data_file=str(params.data.path),
                    data_sha256=data.sha256,
                    rows=rows,
                    numeric=list(data.numeric),
                    categorical=list(data.categorical),
                    primary=params.metrics.primary,
                    metrics=metrics,
                    per_class=per_class,
                    top_features=list(
                        zip(importances["feature"].head(5), importances["importance_mean"].head(5), strict=True)
                    ),
                    importance_metric=scored_by,
                    evaluation_sample=evaluation,
                    model_sha256=model_sha,
                    params_hash=params.params_hash(),
                    commit=commit,
                ),
            )
            durations = dict(timer.durations)
            run_file = RunFile(
                format_version=FORMAT_VERSION,
                commit=commit,
                data=artifacts.DataFacts(path=str(params.data.path), sha256=data.sha256, rows=artifacts.Rows(**rows)),
                features=artifacts.Features(numeric=list(data.numeric), categorical=list(data.categorical)),
                id_column=params.data.id_column,
                target=params.data.target,
                task=task,
                classes=[str(c) for c in predictions.classes],
                params_hash=params.params_hash(),
                model=artifacts.ModelFacts(file=artifacts.MODEL, sha256=model_sha, bytes=len(blob)),
                packages=provenance.package_versions(),
                durations_seconds=durations,
            )
            folder.write_json(artifacts.RUN, run_file.dump())
        if finish is not None:
            finish(folder.root)
    return RunResult(
        out=out,
        primary=params.metrics.primary,
        primary_value=metrics.get(params.metrics.primary),
        model_sha256=model_sha,
    )
