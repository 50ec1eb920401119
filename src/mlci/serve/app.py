"""The FastAPI app: health, readiness, metadata, predict, metrics; one JSON log line per request."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlci.serve.batching import BatchDone, Batcher, QueueFull, Records, Scored
from mlci.serve.bundle import Bundle, load_bundle, one_thread_per_worker, same_threads_in_this_thread
from mlci.serve.metrics import Metrics, QueueState
from mlci.serve.request import RequestError, parse_records, to_frame

LOG = logging.getLogger("mlci.serve")


class AccessLog:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware): one JSON line and the metrics per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        state = scope.setdefault("state", {})

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - start
            path = str(scope.get("path", ""))
            self.metrics.record(path, status, elapsed)
            entry: dict[str, Any] = {
                "ts": round(time.time(), 3),
                "method": scope.get("method"),
                "path": path,
                "status": status,
                "duration_ms": round(elapsed * 1000, 3),
            }
            if "rows" in state:
                entry["rows"] = state["rows"]
            if "error" in state:
                entry["error"] = state["error"]
            LOG.info(json.dumps(entry, separators=(",", ":")))


def _error(
    request: Request, status: int, message: str, errors: tuple[str, ...] = (), headers: dict[str, str] | None = None
) -> JSONResponse:
    request.state.error = message
    content: dict[str, Any] = {"detail": message}
    if errors:
        content["errors"] = list(errors)  # every field at fault (capped), one message each
    return JSONResponse(content, status_code=status, headers=headers)


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"body: {int(declared)} bytes, over the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"body: over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(bundle: Bundle) -> FastAPI:
    """An app serving an already verified bundle (the model is loaded before the server listens)."""
    metrics = Metrics()
    classes = list(bundle.classes)  # the same for every response: built once, not per request
    served = bundle.metadata
    described = served.model_dump(mode="json")

    def score(records: Records) -> Scored:
        return bundle.predict(to_frame(records, bundle.schema))

    def batch_done(done: BatchDone) -> None:
        metrics.batch(done.rows, done.requests, done.waits_s, done.score_s)

    batcher = Batcher(score, bundle.limits.batching, on_batch=batch_done, thread_setup=same_threads_in_this_thread)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await batcher.aclose()

    app = FastAPI(
        title="mlci model",
        description=f"Serves model sha256 {served.model_sha256} (commit {served.commit}).",
        version=served.model_sha256[:12],
        lifespan=lifespan,
    )
    app.state.batcher = batcher

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Alive: the process answers."""
        return {"status": "ok"}

    @app.get("/ready")
    async def ready() -> dict[str, str]:
        """Ready: the model is loaded and its sha256 matched the record (the app is never built otherwise)."""
        return {"status": "ready", "model_sha256": served.model_sha256}

    @app.get("/metadata")
    async def metadata() -> dict[str, Any]:
        """Model and data hashes, params hash, commit, metrics, feature schema, limits."""
        return described

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> Response:
        queue = QueueState(batcher.queued_rows, batcher.queued_requests, batcher.scoring_requests)
        return PlainTextResponse(metrics.render(served.model_sha256, queue), media_type="text/plain; version=0.0.4")

    @app.post(
        "/predict",
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": bundle.schema.json_schema()}}}
        },
    )
    async def predict(request: Request) -> Response:
        """{"records": [{feature: value, ...}, ...]} -> {"predictions": [...], "probabilities": [[...], ...] | null}."""
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            return _error(request, 415, f"content-type: expected application/json, got {content_type or 'none'}")
        try:
            with batcher.arriving():
                body = await _read_limited(request, bundle.limits.max_body_bytes)
                records = parse_records(body, bundle.schema, bundle.limits.max_batch)
        except RequestError as exc:
            return _error(request, exc.status, exc.message, exc.errors)
        try:
            predictions, probabilities = await batcher.submit(records)
        except QueueFull as exc:
            metrics.rejected += 1
            # Refuse now rather than queue without bound: the client retries (or goes to another replica).
            return _error(request, 503, str(exc), headers={"Retry-After": "1"})
        request.state.rows = len(predictions)
        metrics.rows += len(predictions)
        return JSONResponse({"predictions": predictions, "probabilities": probabilities, "classes": classes})

    app.add_middleware(AccessLog, metrics=metrics)
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory for WEB_CONCURRENCY > 1: each worker verifies and loads MLCI_ARTIFACTS itself."""
    from mlci.serve.server import freeze_startup_heap

    one_thread_per_worker()
    app = create_app(load_bundle(Path(os.environ.get("MLCI_ARTIFACTS", "artifacts"))))
    freeze_startup_heap()
    return app
