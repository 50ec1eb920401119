"""Prometheus text exposition by hand: a few counters and one latency histogram (no client library needed).

Each uvicorn worker keeps its own numbers; with WEB_CONCURRENCY > 1 a scrape sees one worker at a time.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
KNOWN_PATHS = frozenset({"/health", "/ready", "/metadata", "/predict", "/metrics", "/docs", "/openapi.json"})


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds


@dataclass
class Metrics:
    requests: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    latency: dict[str, Histogram] = field(default_factory=lambda: defaultdict(Histogram))
    rows: int = 0

    def record(self, path: str, status: int, seconds: float) -> None:
        label = path if path in KNOWN_PATHS else "other"
        self.requests[(label, status)] += 1
        self.latency[label].observe(seconds)

    def render(self, model_sha256: str) -> str:
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
            cumulative = 0
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), histogram.counts, strict=True):
                cumulative += count
                lines.append(f'mlci_request_duration_seconds_bucket{{path="{path}",le="{bound}"}} {cumulative}')
            lines.append(f'mlci_request_duration_seconds_sum{{path="{path}"}} {histogram.total:.6f}')
            lines.append(f'mlci_request_duration_seconds_count{{path="{path}"}} {cumulative}')
        return "\n".join(lines) + "\n"
