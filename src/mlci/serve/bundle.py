"""Load an artifacts folder for serving: the model only after its sha256 checks out, plus the facts /metadata shows."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlci import model as user_model
from mlci.core import model_io
from mlci.core.artifacts import read_json_object
from mlci.core.errors import ArtifactError
from mlci.serve.batching import BatchSettings
from mlci.serve.request import Schema


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 2_000_000
    max_batch: int = 1000
    batching: BatchSettings = field(default_factory=BatchSettings)


@dataclass(frozen=True)
class Bundle:
    """A verified model and what the app needs to serve it."""

    model: Any
    schema: Schema
    task: str
    classes: tuple[Any, ...]
    metadata: dict[str, Any]
    limits: Limits

    def predict(self, frame: Any) -> tuple[list[Any], list[list[float]] | None]:
        """Predictions and (classification) class probabilities in `classes` order, as mlci.model.predict gives them."""
        labels, proba = user_model.predict(self.model, frame, self.task)
        return labels.tolist(), None if proba is None else proba.tolist()


def _read_json(path: Path) -> dict[str, Any]:
    return read_json_object(path, f"is {path.parent} an artifacts folder written by `mlci run`?")


def limits_from(params: dict[str, Any], environ: dict[str, str]) -> Limits:
    """Limits from params.json's image.serve, overridden by MLCI_MAX_BODY_BYTES, MLCI_MAX_BATCH,
    MLCI_MAX_BATCH_ROWS, MLCI_MAX_WAIT_MS (0 turns batching off) and MLCI_MAX_QUEUE_ROWS."""
    serve = params.get("image", {}).get("serve", {}) if isinstance(params.get("image"), dict) else {}

    def number(key: str, env: str, default: float, *, zero_ok: bool = False) -> float:
        raw = environ.get(env) or serve.get(key, default)
        try:
            value: float | None = float(raw)
        except (TypeError, ValueError):
            value = None
        if value is None or not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
            kind = "a number >= 0" if zero_ok else "a positive integer"
            raise ArtifactError(f"{env} / image.serve.{key}: expected {kind}, got {raw!r}")
        return value

    def positive(key: str, env: str, default: int) -> int:
        value = number(key, env, default)
        if value != int(value):
            raise ArtifactError(f"{env} / image.serve.{key}: expected a positive integer, got {value!r}")
        return int(value)

    max_batch = positive("max_batch", "MLCI_MAX_BATCH", Limits.max_batch)
    defaults = BatchSettings()
    batching = BatchSettings(
        max_batch_rows=positive("max_batch_rows", "MLCI_MAX_BATCH_ROWS", defaults.max_batch_rows),
        max_wait_ms=number("max_wait_ms", "MLCI_MAX_WAIT_MS", defaults.max_wait_ms, zero_ok=True),
        max_queue_rows=positive("max_queue_rows", "MLCI_MAX_QUEUE_ROWS", defaults.max_queue_rows),
    )
    if batching.max_queue_rows < max_batch:
        raise ArtifactError(
            f"MLCI_MAX_QUEUE_ROWS / image.serve.max_queue_rows: {batching.max_queue_rows} is below max_batch "
            f"({max_batch}); a request of max_batch records could never be queued"
        )
    return Limits(
        max_body_bytes=positive("max_body_bytes", "MLCI_MAX_BODY_BYTES", Limits.max_body_bytes),
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
    run = _read_json(folder / "run.json")
    recorded = str(run.get("model", {}).get("sha256", ""))
    hash_file = folder / "model.sha256"
    if hash_file.is_file():
        listed = (hash_file.read_text(encoding="utf-8").split() or [""])[0]
        if listed != recorded:
            raise ArtifactError(
                f"{hash_file}: sha256 {listed[:12] or '(empty)'}... differs from run.json's {recorded[:12]}...; refusing to serve an unrecorded model"
            )
    model = model_io.load_model_dir(folder)
    params = _read_json(folder / "params.json") if (folder / "params.json").is_file() else {}
    metrics_file = folder / "metrics.json"
    metrics = _read_json(metrics_file).get("metrics", {}) if metrics_file.is_file() else {}
    names = getattr(model, "feature_names_in_", None)
    features = run.get("features", {})
    numeric = frozenset(features.get("numeric", []))
    columns = (
        tuple(str(c) for c in names)
        if names is not None
        else (*features.get("numeric", []), *features.get("categorical", []))
    )
    task = str(run.get("task", "classification"))
    classes = tuple(np.asarray(model.classes_).tolist()) if task == "classification" else ()
    limits = limits_from(params, environ)
    metadata = {
        "model_sha256": recorded,
        "data_sha256": run.get("data", {}).get("sha256"),
        "params_hash": run.get("params_hash"),
        "commit": run.get("commit"),
        "task": task,
        "classes": list(classes),
        "features": {
            "numeric": [c for c in columns if c in numeric],
            "categorical": [c for c in columns if c not in numeric],
        },
        "metrics": metrics,
        "packages": run.get("packages", {}),
        "limits": {
            "max_body_bytes": limits.max_body_bytes,
            "max_batch": limits.max_batch,
            "max_batch_rows": limits.batching.max_batch_rows,
            "max_wait_ms": limits.batching.max_wait_ms,
            "max_queue_rows": limits.batching.max_queue_rows,
        },
    }
    return Bundle(
        model=model,
        schema=Schema(columns=columns, numeric=numeric),
        task=task,
        classes=classes,
        metadata=metadata,
        limits=limits,
    )
