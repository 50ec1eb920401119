"""Adaptive micro-batching: concurrent /predict requests are queued and scored together, then split again.

Why: a single-row predict_proba is mostly fixed cost per call (DataFrame, ColumnTransformer, estimator set-up):
1 row and 32 rows cost about the same, so a server scoring each request alone tops out at the single-row call
rate however many cores sit idle in the model. Here one scoring thread takes everything queued (up to
max_batch_rows) whenever it is free; while it scores, new requests queue up and form the next batch. The load
decides the batch size: a lone client's request is scored at once, fifty clients' requests ride together.

`plan_wait`, `batch_size` and `admit` are the policy (pure); `Batcher` is the asyncio and thread plumbing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

Records = list[dict[str, Any]]
Scored = tuple[list[Any], list[list[float]] | None]  # predictions, probabilities (None for regression)


@dataclass(frozen=True)
class BatchSettings:
    """image.serve.max_batch_rows / max_wait_ms / max_queue_rows; max_wait_ms == 0 scores each request alone."""

    max_batch_rows: int = 128
    max_wait_ms: float = 2.0
    max_queue_rows: int = 2000

    @property
    def enabled(self) -> bool:
        return self.max_wait_ms > 0


def batch_size(queued_rows: Sequence[int], settings: BatchSettings) -> int:
    """How many queued requests (oldest first) the next batch takes: as many as fit in max_batch_rows, at least
    one (a request larger than that is scored alone, never split), exactly one when batching is off."""
    if not queued_rows:
        return 0
    if not settings.enabled:
        return 1
    taken, rows = 1, queued_rows[0]
    for size in queued_rows[1:]:
        if rows + size > settings.max_batch_rows:
            break
        taken, rows = taken + 1, rows + size
    return taken


def plan_wait(*, queued_rows: int, oldest_age_s: float, arriving: int, settings: BatchSettings) -> float:
    """Seconds the oldest queued request should still wait for company before scoring; 0 means score now.

    Waiting only pays when other requests are already on their way in (`arriving`: being read or parsed), so a
    lone request is never held; and no request waits beyond max_wait_ms from the moment it was queued.
    """
    if not settings.enabled or arriving <= 0 or queued_rows >= settings.max_batch_rows:
        return 0.0
    return max(0.0, settings.max_wait_ms / 1000 - oldest_age_s)


def admit(queued_rows: int, rows: int, settings: BatchSettings) -> bool:
    """Whether a request of `rows` fits in the queue; otherwise it is refused (503) rather than left to wait."""
    return queued_rows + rows <= settings.max_queue_rows


class QueueFull(Exception):
    """The bounded queue has no room for a request's rows."""


@dataclass
class _Pending:
    records: Records
    future: asyncio.Future[Scored]
    queued_at: float


@dataclass(frozen=True)
class BatchDone:
    """What /metrics learns about one scored batch."""

    rows: int
    requests: int
    waits_s: tuple[float, ...]  # per request: queued until its batch started scoring
    score_s: float


class Batcher:
    """One scoring thread per worker process, fed by an asyncio queue bounded in rows.

    `score` gets the concatenated records of a batch and returns one prediction per row, in order; each caller
    gets back the slice of its own rows. If a batch fails, each of its requests is scored alone again, so one
    request's bad rows cannot fail the others.
    """

    def __init__(
        self,
        score: Callable[[Records], Scored],
        settings: BatchSettings,
        on_batch: Callable[[BatchDone], None] = lambda done: None,
        thread_setup: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self._score = score
        self._on_batch = on_batch
        self._thread_setup = thread_setup
        self._queue: deque[_Pending] = deque()
        self._queued_rows = 0
        self._arriving = 0
        self._scoring = 0  # requests in the batch being scored now
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        # A lone request (nothing else queued or arriving) is scored on the event loop, as without batching:
        # there is nothing to overlap with, and the two thread hand-offs cost milliseconds on a busy host.
        self.inline_lone = True

    @property
    def queued_rows(self) -> int:
        return self._queued_rows

    @property
    def queued_requests(self) -> int:
        return len(self._queue)

    @property
    def scoring_requests(self) -> int:
        return self._scoring

    @contextlib.contextmanager
    def arriving(self) -> Iterator[None]:
        """Around reading and parsing a request: while any are in here, a small batch may wait for them."""
        self._arriving += 1
        try:
            yield
        finally:
            self._arriving -= 1
            if self._wakeup is not None:
                self._wakeup.set()

    async def submit(self, records: Records) -> Scored:
        """This request's predictions; QueueFull at once if its rows do not fit in the queue."""
        self._ensure_started()
        if not admit(self._queued_rows, len(records), self.settings):
            raise QueueFull(
                f"queue full: {self._queued_rows} rows waiting, limit {self.settings.max_queue_rows}; retry later"
            )
        future: asyncio.Future[Scored] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(records, future, time.perf_counter()))
        self._queued_rows += len(records)
        assert self._wakeup is not None  # set by _ensure_started
        self._wakeup.set()
        return await future

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _ensure_started(self) -> None:
        """Start the scoring loop in the running event loop (lazily: also works without a lifespan)."""
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._task.get_loop() is loop:
            return
        self._queue.clear()  # anything left belongs to a loop that is gone
        self._queued_rows = 0
        self._wakeup = asyncio.Event()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, "mlci-score", initializer=self._thread_setup)
        self._task = loop.create_task(self._run(), name="mlci-batcher")

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            delay = plan_wait(
                queued_rows=self._queued_rows,
                oldest_age_s=time.perf_counter() - self._queue[0].queued_at,
                arriving=self._arriving,
                settings=self.settings,
            )
            if delay > 0:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), delay)
                continue
            taken = batch_size([len(item.records) for item in self._queue], self.settings)
            batch = [self._queue.popleft() for _ in range(taken)]
            self._queued_rows -= sum(len(item.records) for item in batch)
            inline = self.inline_lone and len(batch) == 1 and not self._queue and self._arriving == 0
            try:
                await self._score_batch(batch, inline=inline)
            except Exception as exc:  # a bug here must fail these callers, not stop the loop
                for item in batch:
                    _settle(item.future, error=exc)

    async def _score_batch(self, batch: list[_Pending], *, inline: bool = False) -> None:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        self._scoring = len(batch)
        records = [record for item in batch for record in item.records]
        try:
            if inline:
                scored = self._score(records)
            else:
                scored = await loop.run_in_executor(self._executor, self._score, records)
            parts = split(scored, [len(item.records) for item in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0].future, error=exc)
            else:
                for item in batch:  # find the culprit: the others still get their answers
                    try:
                        _settle(item.future, await loop.run_in_executor(self._executor, self._score, item.records))
                    except Exception as alone:
                        _settle(item.future, error=alone)
        else:
            for item, part in zip(batch, parts, strict=True):
                _settle(item.future, part)
        finally:
            self._scoring = 0
        self._on_batch(
            BatchDone(
                rows=len(records),
                requests=len(batch),
                waits_s=tuple(started - item.queued_at for item in batch),
                score_s=time.perf_counter() - started,
            )
        )


def split(scored: Scored, sizes: Sequence[int]) -> list[Scored]:
    """Cut a batch's predictions back into each request's own rows, in order."""
    predictions, probabilities = scored
    if len(predictions) != sum(sizes):
        raise RuntimeError(f"the model returned {len(predictions)} predictions for {sum(sizes)} rows")
    parts: list[Scored] = []
    start = 0
    for size in sizes:
        end = start + size
        parts.append((predictions[start:end], None if probabilities is None else probabilities[start:end]))
        start = end
    return parts


def _settle(future: asyncio.Future[Scored], result: Scored | None = None, error: BaseException | None = None) -> None:
    if future.done():  # the caller went away (cancelled)
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert result is not None
        future.set_result(result)
