"""Benchmark `mlci run` on the bundled data, and optionally `make run` / `make test` from a fresh clone.

    .venv/bin/python bench/bench_run.py                  # mlci run, 3 repeats (deps installed)
    .venv/bin/python bench/bench_run.py --fresh-clone    # also make run and make test in a new clone

Prints a markdown table for docs/benchmarks.md. Goals: mlci run <= 20 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fresh-clone", action="store_true", help="also time make run and make test in a new clone")
    args = parser.parse_args()
    mlci = str(Path(sys.executable).parent / "mlci")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "artifacts"
        walls, stage_sums = [], []
        for _ in range(args.repeats):
            walls.append(timed([mlci, "run", "--out", str(out)], ROOT))
            stage_sums.append(sum(json.loads((out / "run.json").read_text())["durations_seconds"].values()))
        wall, stages = statistics.median(walls), statistics.median(stage_sums)
        rows.append((f"`mlci run` (bundled data, wall, median of {args.repeats})", f"{wall:.1f} s", "<= 20 s"))
        rows.append(("  of which stages load..evaluate (median)", f"{stages:.1f} s", ""))
        rows.append(("  of which interpreter start, imports, writing", f"{wall - stages:.1f} s", ""))
        if args.fresh_clone:
            clone = Path(scratch) / "clone"
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
            env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
            rows.append(
                (
                    "`make run` in a fresh clone (venv from lock + run)",
                    f"{timed(['make', 'run'], clone, env):.1f} s",
                    "",
                )
            )
            rows.append(
                ("`make test` right after (lint, types, tests)", f"{timed(['make', 'test'], clone, env):.1f} s", "")
            )
    print("| what | measured | goal |\n|---|---|---|")
    for what, value, goal in rows:
        print(f"| {what} | {value} | {goal} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
