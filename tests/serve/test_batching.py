"""Micro-batching: the policy, each caller's own rows back under a full batch, 0 disables it, the 503 path.

No assertion depends on timing: scoring is held on a gate until the queue holds exactly what a test wants.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from mlci.serve.app import create_app
from mlci.serve.batching import (
    BatchDone,
    Batcher,
    BatchSettings,
    Records,
    Scored,
    admit,
    batch_size,
    plan_wait,
    split,
)
from mlci.serve.bundle import Bundle
from mlci.serve.request import to_frame


def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for a state (not a duration): the bound only turns a hang into a failure."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never reached: {what}")
        time.sleep(0.001)


async def until_async(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never reached: {what}")
        await asyncio.sleep(0.001)


# --- the policy (pure) --------------------------------------------------------------------------------------


def test_batch_size_fills_up_to_max_rows_and_never_splits_a_request() -> None:
    settings = BatchSettings(max_batch_rows=10)
    assert batch_size([], settings) == 0
    assert batch_size([1] * 30, settings) == 10
    assert batch_size([4, 4, 4], settings) == 2  # 12 rows would not fit
    assert batch_size([25, 1], settings) == 1  # larger than a batch: scored alone, whole
    assert batch_size([3, 25, 1], settings) == 1  # order is kept: nothing jumps the queue
    assert batch_size([1] * 30, replace(settings, max_wait_ms=0)) == 1


def test_plan_wait_holds_a_small_batch_only_while_others_are_arriving() -> None:
    settings = BatchSettings(max_batch_rows=10, max_wait_ms=5)
    assert plan_wait(queued_rows=1, oldest_age_s=0.0, arriving=0, settings=settings) == 0  # lone request: now
    assert plan_wait(queued_rows=1, oldest_age_s=0.001, arriving=3, settings=settings) == pytest.approx(0.004)
    assert plan_wait(queued_rows=1, oldest_age_s=0.009, arriving=3, settings=settings) == 0  # waited enough
    assert plan_wait(queued_rows=10, oldest_age_s=0.0, arriving=3, settings=settings) == 0  # batch is full
    assert plan_wait(queued_rows=1, oldest_age_s=0.0, arriving=3, settings=replace(settings, max_wait_ms=0)) == 0


def test_admit_bounds_the_queue_in_rows() -> None:
    settings = BatchSettings(max_queue_rows=10)
    assert admit(0, 10, settings) and admit(9, 1, settings)
    assert not admit(9, 2, settings) and not admit(10, 1, settings)


def test_split_gives_each_request_its_rows_in_order() -> None:
    scored: Scored = ([0, 1, 2, 3], [[0.0], [1.0], [2.0], [3.0]])
    assert split(scored, [1, 3]) == [([0], [[0.0]]), ([1, 2, 3], [[1.0], [2.0], [3.0]])]
    assert split(([5.0, 6.0], None), [2]) == [([5.0, 6.0], None)]
    with pytest.raises(RuntimeError, match="3 predictions for 2 rows"):
        split(([1, 2, 3], None), [2])


# --- the Batcher with a stand-in model ------------------------------------------------------------------------


class EchoModel:
    """Scores a row as its own `id` (so a caller can tell whose rows it got); held on a gate when asked."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.calls: list[list[int]] = []
        self.threads: list[str] = []

    def __call__(self, records: Records) -> Scored:
        self.gate.wait()
        self.threads.append(threading.current_thread().name)
        ids = [int(record["id"]) for record in records]
        self.calls.append(ids)
        if any(i < 0 for i in ids):
            raise ValueError("negative id")
        return ids, [[float(i)] for i in ids]


def requests_of(sizes: list[int], first_id: int = 0) -> list[Records]:
    out, next_id = [], first_id
    for size in sizes:
        out.append([{"id": next_id + k} for k in range(size)])
        next_id += size
    return out


async def hold_then_queue(batcher: Batcher, model: EchoModel, queued: list[Records]) -> list[Scored]:
    """One request occupies the scoring thread on a closed gate; `queued` then wait in the queue; release."""
    batcher.inline_lone = False  # a lone request scored on the event loop would hold the loop, not the thread
    model.gate.clear()
    first = asyncio.ensure_future(batcher.submit([{"id": 10_000}]))
    await until_async(lambda: batcher.scoring_requests == 1, "the first request is being scored")
    rest = [asyncio.ensure_future(batcher.submit(records)) for records in queued]
    await until_async(lambda: batcher.queued_requests == len(queued), "every other request is queued")
    model.gate.set()
    answers = await asyncio.gather(first, *rest)
    await batcher.aclose()
    return answers[1:]


def test_concurrent_callers_each_get_their_own_rows_under_a_full_batch() -> None:
    model = EchoModel()
    done: list[BatchDone] = []
    batcher = Batcher(model, BatchSettings(max_batch_rows=8, max_wait_ms=50), on_batch=done.append)
    # 3 + 1 + 4 rows fill one batch of 8 exactly; the next two requests make the following batch.
    queued = requests_of([3, 1, 4, 2, 1])
    answers = asyncio.run(hold_then_queue(batcher, model, queued))
    for records, (predictions, probabilities) in zip(queued, answers, strict=True):
        assert predictions == [r["id"] for r in records]
        assert probabilities == [[float(r["id"])] for r in records]
    assert model.calls == [[10_000], [0, 1, 2, 3, 4, 5, 6, 7], [8, 9, 10]]
    assert [(d.rows, d.requests) for d in done] == [(1, 1), (8, 3), (3, 2)]
    assert batcher.queued_rows == 0 and batcher.queued_requests == 0


def test_max_wait_ms_zero_scores_each_request_alone() -> None:
    model = EchoModel()
    batcher = Batcher(model, BatchSettings(max_batch_rows=8, max_wait_ms=0))
    queued = requests_of([2, 1, 3])
    answers = asyncio.run(hold_then_queue(batcher, model, queued))
    assert [a[0] for a in answers] == [[0, 1], [2], [3, 4, 5]]
    assert model.calls == [[10_000], [0, 1], [2], [3, 4, 5]]


def test_a_failing_request_does_not_fail_its_batch_mates() -> None:
    model = EchoModel()
    batcher = Batcher(model, BatchSettings(max_batch_rows=8, max_wait_ms=50))

    async def scenario() -> list[Any]:
        batcher.inline_lone = False
        model.gate.clear()
        first = asyncio.ensure_future(batcher.submit([{"id": 100}]))
        await until_async(lambda: batcher.scoring_requests == 1, "the first request is being scored")
        rest = [asyncio.ensure_future(batcher.submit(r)) for r in ([{"id": 1}], [{"id": -1}], [{"id": 2}])]
        await until_async(lambda: batcher.queued_requests == 3, "three requests queued")
        model.gate.set()
        answers = await asyncio.gather(first, *rest, return_exceptions=True)
        await batcher.aclose()
        return answers

    answers = asyncio.run(scenario())
    assert answers[1] == ([1], [[1.0]]) and answers[3] == ([2], [[2.0]])
    assert isinstance(answers[2], ValueError)


def test_a_lone_request_is_scored_without_waiting_for_company() -> None:
    """With nothing else arriving the policy says 'now' (plan_wait); here: a long max_wait_ms is not awaited."""
    model = EchoModel()
    batcher = Batcher(model, BatchSettings(max_batch_rows=8, max_wait_ms=60_000))

    async def scenario() -> Scored:
        answer = await asyncio.wait_for(batcher.submit([{"id": 7}]), timeout=30)
        await batcher.aclose()
        return answer

    assert asyncio.run(scenario()) == ([7], [[7.0]])
    assert model.threads == [threading.current_thread().name]  # on the event loop: no hand-off to the thread


# --- the app with the real model, held on a gate --------------------------------------------------------------


class GatedModel:
    """The trained pipeline, paused before each predict_proba until the test opens the gate."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.gate = threading.Event()
        self.gate.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def predict_proba(self, frame: Any) -> Any:
        self.gate.wait()
        return self.model.predict_proba(frame)


@pytest.fixture
def gated(bundle: Bundle) -> Iterator[tuple[TestClient, GatedModel]]:
    model = GatedModel(bundle.model)
    limits = replace(bundle.limits, max_batch=4, batching=BatchSettings(max_batch_rows=6, max_queue_rows=6))
    with TestClient(create_app(replace(bundle, model=model, limits=limits))) as client:
        client.app.state.batcher.inline_lone = False  # type: ignore[attr-defined]  # hold the thread, not the loop
        yield client, model
    model.gate.set()


def variants(record: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """n distinct records (different lengths and sexes), so a mixed-up answer would show."""
    return [
        {**record, "length": round(0.2 + 0.05 * i, 3), "sex": ("M", "F", "I")[i % 3], "height": 0.05 + 0.01 * i}
        for i in range(n)
    ]


def post_json(client: TestClient, records: list[dict[str, Any]]) -> Any:
    return client.post(
        "/predict", content=json.dumps({"records": records}), headers={"content-type": "application/json"}
    )


def test_served_batch_answers_each_caller_with_its_own_rows_bit_identical(
    gated: tuple[TestClient, GatedModel], bundle: Bundle, record: dict[str, Any]
) -> None:
    client, model = gated
    batcher = client.app.state.batcher  # type: ignore[attr-defined]
    rows = variants(record, 7)
    requests = [rows[0:1], rows[1:3], rows[3:4], rows[4:7]]  # 2 + 1 + 3 = a full batch of 6 after the first
    model.gate.clear()
    with ThreadPoolExecutor(len(requests)) as pool:
        first = pool.submit(post_json, client, requests[0])
        until(lambda: batcher.scoring_requests == 1, "the first request is being scored")
        rest = [pool.submit(post_json, client, r) for r in requests[1:]]
        until(lambda: batcher.queued_requests == 3, "three requests queued")
        model.gate.set()
        answers = [first.result().json(), *(f.result().json() for f in rest)]
    for records, answer in zip(requests, answers, strict=True):
        alone_predictions, alone_probabilities = bundle.predict(to_frame(records, bundle.schema))
        assert answer["predictions"] == alone_predictions
        assert answer["probabilities"] == alone_probabilities  # bit-identical (JSON floats round-trip exactly)
    metrics = client.get("/metrics").text
    assert "mlci_batches_total 2" in metrics
    assert 'mlci_batch_rows_bucket{le="4"} 1' in metrics and 'mlci_batch_rows_bucket{le="8"} 2' in metrics
    assert "mlci_queue_wait_seconds_count 4" in metrics and "mlci_queue_rows 0" in metrics


def test_full_queue_is_503_with_retry_after(gated: tuple[TestClient, GatedModel], record: dict[str, Any]) -> None:
    client, model = gated
    batcher = client.app.state.batcher  # type: ignore[attr-defined]
    model.gate.clear()
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(post_json, client, [record])
        until(lambda: batcher.scoring_requests == 1, "the first request is being scored")
        queued = [pool.submit(post_json, client, [record] * 3) for _ in range(2)]
        until(lambda: batcher.queued_rows == 6, "the queue holds its 6 rows")
        refused = post_json(client, [record])
        metrics_while_full = client.get("/metrics").text
        model.gate.set()
        statuses = [first.result().status_code, *(f.result().status_code for f in queued)]
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert "queue full" in refused.json()["detail"]
    assert statuses == [200, 200, 200]
    assert "mlci_queue_rows 6" in metrics_while_full and "mlci_queue_requests 2" in metrics_while_full
    assert "mlci_rejected_total 1" in client.get("/metrics").text
    assert post_json(client, [record]).status_code == 200  # room again once the queue drained


def test_batched_holdout_equals_row_by_row(bundle: Bundle, bundled_params: Any, trained_run: Any) -> None:
    """The bundled pipeline scores each row independently of its batch mates: bit-identical, not just close."""
    from mlci.release.smoke import holdout

    records = holdout(bundled_params, trained_run).records[:300]
    batched = bundle.predict(to_frame(records, bundle.schema))
    alone = [bundle.predict(to_frame([r], bundle.schema)) for r in records]
    assert batched[0] == [a[0][0] for a in alone]
    assert np.array_equal(np.array(batched[1]), np.array([a[1][0] for a in alone if a[1] is not None]))
