"""Load an artifacts folder for serving: the model only after its sha256 checks out, plus the facts /metadata shows."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from mlci import model as user_model
from mlci.config.image import ServeParams
from mlci.config.training import Task
from mlci.core import artifacts as files
from mlci.core import model_io
from mlci.core.artifacts import Features, Number, ParamsFile
from mlci.core.errors import ArtifactError
from mlci.serve.batching import BatchSettings
from mlci.serve.request import Schema


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 2_000_000
    max_batch: int = 1000
    batching: BatchSettings = field(default_factory=BatchSettings)

    def flat(self) -> dict[str, Number]:
        """Every limit by its `image.serve` name, as /metadata shows them."""
        return {
            "max_body_bytes": self.max_body_bytes,
            "max_batch": self.max_batch,
            "max_batch_rows": self.batching.max_batch_rows,
            "max_wait_ms": self.batching.max_wait_ms,
            "max_queue_rows": self.batching.max_queue_rows,
        }


class Metadata(BaseModel):
    """What /metadata answers: which model, trained on which data and code, scoring how, accepting what."""

    model_config = ConfigDict(frozen=True)

    model_sha256: str
    data_sha256: str
    params_hash: str
    commit: str
    task: Task
    classes: list[Any]
    features: Features
    metrics: dict[str, Number | None]  # metrics.json's, empty when the folder has none
    packages: dict[str, str]
    limits: dict[str, Number]  # in effect: params.json's image.serve, then the MLCI_* overrides


@dataclass(frozen=True)
class Bundle:
    """A verified model and what the app needs to serve it."""

    model: Any
    schema: Schema
    task: Task
    classes: tuple[Any, ...]
    metadata: Metadata
    limits: Limits

    def predict(self, frame: Any) -> tuple[list[Any], list[list[float]] | None]:
        """Predictions and (classification) class probabilities in `classes` order, as mlci.model.predict gives them."""
        labels, proba = user_model.predict(self.model, frame, self.task)
        return labels.tolist(), None if proba is None else proba.tolist()


def limits_from(serve: ServeParams, environ: dict[str, str]) -> Limits:
    """Limits from params.json's image.serve, overridden by MLCI_MAX_BODY_BYTES, MLCI_MAX_BATCH,
    MLCI_MAX_BATCH_ROWS, MLCI_MAX_WAIT_MS (0 turns batching off) and MLCI_MAX_QUEUE_ROWS."""

    def number(key: str, env: str, *, zero_ok: bool = False) -> float:
        raw = environ.get(env) or getattr(serve, key)
        try:
            value: float | None = float(raw)
        except (TypeError, ValueError):
            value = None
        if value is None or not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
            kind = "a number >= 0" if zero_ok else "a positive integer"
            raise ArtifactError(f"{env} / image.serve.{key}: expected {kind}, got {raw!r}")
        return value

    def positive(key: str, env: str) -> int:
        value = number(key, env)
        if value != int(value):
            raise ArtifactError(f"{env} / image.serve.{key}: expected a positive integer, got {value!r}")
        return int(value)

    max_batch = positive("max_batch", "MLCI_MAX_BATCH")
    batching = BatchSettings(
        max_batch_rows=positive("max_batch_rows", "MLCI_MAX_BATCH_ROWS"),
        max_wait_ms=number("max_wait_ms", "MLCI_MAX_WAIT_MS", zero_ok=True),
        max_queue_rows=positive("max_queue_rows", "MLCI_MAX_QUEUE_ROWS"),
    )
    if batching.max_queue_rows < max_batch:
        raise ArtifactError(
            f"MLCI_MAX_QUEUE_ROWS / image.serve.max_queue_rows: {batching.max_queue_rows} is below max_batch "
            f"({max_batch}); a request of max_batch records could never be queued"
        )
    return Limits(
        max_body_bytes=positive("max_body_bytes", "MLCI_MAX_BODY_BYTES"),
        max_batch=max_batch,
        batching=batching,
    )


def one_thread_per_worker() -> None:
    """One OpenMP/BLAS thread per worker: a single-row predict gains nothing from threads, and on a busy host
    OpenMP's spinning threads made it ~300x slower (measured: 0.4 vs 130 calls/s on 2 shared cores).
    Scale with WEB_CONCURRENCY instead. An explicit OMP_NUM_THREADS is left alone.

    The variable covers every thread if the OpenMP runtime is not loaded yet; threadpoolctl covers this thread
    if it is (omp_set_num_threads is per thread).
    """
    if os.environ.get("OMP_NUM_THREADS"):
        return
    os.environ["OMP_NUM_THREADS"] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def same_threads_in_this_thread() -> None:
    """Give a scoring thread the worker's OpenMP thread count: omp_set_num_threads is per thread, so a thread
    started after the OpenMP runtime loaded would otherwise use one thread per core again."""
    raw = os.environ.get("OMP_NUM_THREADS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=int(raw))


def load_bundle(folder: Path, environ: dict[str, str] | None = None) -> Bundle:
    """Verify and load; any problem is an ArtifactError naming the file (the server then refuses to start)."""
    environ = dict(os.environ) if environ is None else environ
    missing = f"is {folder} an artifacts folder written by `mlci run`?"
    run = files.read_run(folder, missing)
    recorded = run.model.sha256
    hash_file = folder / files.MODEL_SHA256
    if hash_file.is_file():
        listed = (hash_file.read_text(encoding="utf-8").split() or [""])[0]
        if listed != recorded:
            raise ArtifactError(
                f"{hash_file}: sha256 {listed[:12] or '(empty)'}... differs from run.json's {recorded[:12]}...; refusing to serve an unrecorded model"
            )
    model = model_io.load_model_dir(folder)
    params = files.read_params(folder, missing) if (folder / files.PARAMS).is_file() else ParamsFile()
    metrics = files.read_metrics(folder, missing).metrics if (folder / files.METRICS).is_file() else {}
    names = getattr(model, "feature_names_in_", None)
    numeric = frozenset(run.features.numeric)
    columns = tuple(str(c) for c in names) if names is not None else (*run.features.numeric, *run.features.categorical)
    classes = tuple(np.asarray(model.classes_).tolist()) if run.task == "classification" else ()
    limits = limits_from(params.image.serve, environ)
    metadata = Metadata(
        model_sha256=recorded,
        data_sha256=run.data.sha256,
        params_hash=run.params_hash,
        commit=run.commit,
        task=run.task,
        classes=list(classes),
        features=Features(
            numeric=[c for c in columns if c in numeric],
            categorical=[c for c in columns if c not in numeric],
        ),
        metrics=metrics,
        packages=run.packages,
        limits=limits.flat(),
    )
    return Bundle(
        model=model,
        schema=Schema(columns=columns, numeric=numeric),
        task=run.task,
        classes=classes,
        metadata=metadata,
        limits=limits,
    )
