"""Prometheus text exposition by hand: a few counters and one latency histogram (no client library needed).

Each uvicorn worker keeps its own numbers; with WEB_CONCURRENCY > 1 a scrape sees one worker at a time.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
WAIT_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
ROW_BUCKETS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0)
KNOWN_PATHS = frozenset({"/health", "/ready", "/metadata", "/predict", "/metrics", "/docs", "/openapi.json"})


@dataclass
class Histogram:
    buckets: tuple[float, ...] = BUCKETS
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = self.counts or [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value

    def lines(self, name: str, labels: str = "") -> list[str]:
        """Prometheus histogram samples; `labels` like 'path="/predict",' (with its trailing comma)."""
        out: list[str] = []
        cumulative = 0
        for bound, count in zip((*(f"{b:g}" for b in self.buckets), "+Inf"), self.counts, strict=True):
            cumulative += count
            out.append(f'{name}_bucket{{{labels}le="{bound}"}} {cumulative}')
        plain = f"{{{labels.rstrip(',')}}}" if labels else ""
        out.append(f"{name}_sum{plain} {self.total:.6f}")
        out.append(f"{name}_count{plain} {cumulative}")
        return out


@dataclass(frozen=True)
class QueueState:
    """The batcher's state at scrape time."""

    rows: int
    requests: int
    scoring: int


@dataclass
class Metrics:
    requests: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    latency: dict[str, Histogram] = field(default_factory=lambda: defaultdict(Histogram))
    rows: int = 0
    batches: int = 0
    rejected: int = 0
    batch_rows: Histogram = field(default_factory=lambda: Histogram(ROW_BUCKETS))
    batch_requests: Histogram = field(default_factory=lambda: Histogram(ROW_BUCKETS))
    queue_wait: Histogram = field(default_factory=lambda: Histogram(WAIT_BUCKETS))
    score_time: Histogram = field(default_factory=lambda: Histogram(WAIT_BUCKETS))

    def batch(self, rows: int, requests: int, waits_s: tuple[float, ...], score_s: float) -> None:
        self.batches += 1
        self.batch_rows.observe(rows)
        self.batch_requests.observe(requests)
        self.score_time.observe(score_s)
        for wait in waits_s:
            self.queue_wait.observe(wait)

    def record(self, path: str, status: int, seconds: float) -> None:
        label = path if path in KNOWN_PATHS else "other"
        self.requests[(label, status)] += 1
        self.latency[label].observe(seconds)

    def render(self, model_sha256: str, queue: QueueState | None = None) -> str:
        lines = [
            "# HELP mlci_model_info The served model (value is always 1).",
            "# TYPE mlci_model_info gauge",
            f'mlci_model_info{{sha256="{model_sha256}"}} 1',
            "# HELP mlci_requests_total HTTP requests by path and status.",
            "# TYPE mlci_requests_total counter",
        ]
        lines += [
            f'mlci_requests_total{{path="{path}",status="{status}"}} {count}'
            for (path, status), count in sorted(self.requests.items())
        ]
        lines += [
            "# HELP mlci_predicted_rows_total Records scored by /predict.",
            "# TYPE mlci_predicted_rows_total counter",
            f"mlci_predicted_rows_total {self.rows}",
            "# HELP mlci_request_duration_seconds Request latency by path.",
            "# TYPE mlci_request_duration_seconds histogram",
        ]
        for path, histogram in sorted(self.latency.items()):
            lines += histogram.lines("mlci_request_duration_seconds", f'path="{path}",')
        lines += [
            "# HELP mlci_rejected_total /predict requests refused with 503 because the queue was full.",
            "# TYPE mlci_rejected_total counter",
            f"mlci_rejected_total {self.rejected}",
            "# HELP mlci_batches_total Batches scored (a batch is one model call).",
            "# TYPE mlci_batches_total counter",
            f"mlci_batches_total {self.batches}",
            "# HELP mlci_batch_rows Rows per scored batch.",
            "# TYPE mlci_batch_rows histogram",
            *self.batch_rows.lines("mlci_batch_rows"),
            "# HELP mlci_batch_requests Requests per scored batch.",
            "# TYPE mlci_batch_requests histogram",
            *self.batch_requests.lines("mlci_batch_requests"),
            "# HELP mlci_queue_wait_seconds Time a request waited in the queue before its batch was scored.",
            "# TYPE mlci_queue_wait_seconds histogram",
            *self.queue_wait.lines("mlci_queue_wait_seconds"),
            "# HELP mlci_batch_score_seconds Time to score one batch.",
            "# TYPE mlci_batch_score_seconds histogram",
            *self.score_time.lines("mlci_batch_score_seconds"),
        ]
        if queue is not None:
            lines += [
                "# HELP mlci_queue_rows Rows waiting to be scored.",
                "# TYPE mlci_queue_rows gauge",
                f"mlci_queue_rows {queue.rows}",
                "# HELP mlci_queue_requests Requests waiting to be scored.",
                "# TYPE mlci_queue_requests gauge",
                f"mlci_queue_requests {queue.requests}",
                "# HELP mlci_scoring_requests Requests in the batch being scored now.",
                "# TYPE mlci_scoring_requests gauge",
                f"mlci_scoring_requests {queue.scoring}",
            ]
        return "\n".join(lines) + "\n"
