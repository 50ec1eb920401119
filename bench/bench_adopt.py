"""Benchmark adopting the template: `mlci init` on a large generated table, and the template self-test's steps
per data shape (the same steps tests/adopt/test_template_selftest.py runs).

    .venv/bin/python bench/bench_adopt.py              # init at 100,000 rows (median of 3) + every shape
    .venv/bin/python bench/bench_adopt.py --rows 1000000 --no-shapes

Prints a markdown table for docs/benchmarks.md. Goal: `mlci init` on 100,000 rows <= 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "adopt"))

from adoption import SHAPES, Adoption, adopt_and_run, copy_repository, example_baseline, multiclass_messy  # noqa: E402


def time_init(rows: int, repeats: int, scratch: Path) -> list[float]:
    table = scratch / "big.csv"
    multiclass_messy(rows=rows, seed=5).to_csv(table, index=False)
    walls = []
    for attempt in range(repeats):
        project = Adoption(copy_repository(scratch / f"init-{attempt}"))
        start = time.perf_counter()
        project.mlci("init", "init", str(table), "--target", "segment")
        walls.append(time.perf_counter() - start)
    return walls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-shapes", action="store_true", help="only time mlci init")
    args = parser.parse_args()
    print("| what | wall s |")
    print("|---|---:|")
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        walls = time_init(args.rows, args.repeats, scratch)
        print(
            f"| `mlci init` on {args.rows:,} rows (median of {args.repeats}; min {min(walls):.2f}, max {max(walls):.2f}) "
            f"| **{statistics.median(walls):.2f}** |"
        )
        if args.no_shapes:
            return 0
        baseline = example_baseline(scratch / "main")
        for shape in SHAPES:
            project = adopt_and_run(shape, scratch / shape.name, baseline)
            steps = ", ".join(f"{name} {seconds:.1f}" for name, seconds in project.durations.items() if name != "total")
            print(f"| self-test, {shape.name}: {steps} | **{project.durations['total']:.1f}** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
