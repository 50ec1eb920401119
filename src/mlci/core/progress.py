"""One progress line per stage, with its duration, on stderr (stdout stays for results)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class StageTimer:
    """Collects stage durations so run.json can record them."""

    def __init__(self, quiet: bool = False) -> None:
        self.durations: dict[str, float] = {}
        self.quiet = quiet

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        start = time.perf_counter()
        if not self.quiet:
            suffix = f" ({detail})" if detail else ""
            print(f"[mlci] {name}{suffix} ...", file=sys.stderr, flush=True)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.durations[name] = round(elapsed, 3)
        if not self.quiet:
            print(f"[mlci] {name} done in {elapsed:.2f}s", file=sys.stderr, flush=True)
