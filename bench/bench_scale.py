"""Scaling table: `mlci run`, `mlci compare` (and the checks) at 10k / 100k / 1M rows, 10M for load and run.

    .venv/bin/python bench/bench_scale.py [--rows 10000,100000,1000000] [--big 10000000] [--checks] [--repeats 1]
                                          [--sample 100000]

Each step runs as its own subprocess (interpreter start and imports included, as in CI), and its peak
memory is the child's maximum resident set size (`wait4`). The data are the bundled rows resampled with
<= 1 % multiplicative noise, clipped to the observed ranges, with fresh unique ids, written to a temp
folder and deleted. `compare` scores a copy of the run's own model as the baseline: the full paired
comparison of two models, whose verdict is "no significant change". `--big` rows are only loaded and
trained (skipped when the machine has less than 8 GB available). Above `--sample` rows a pull request's
run is timed too: `mlci run --sample ROWS` (data.sample's pick) and, except at `--big`, its compare with a
copy of itself, as a baseline of main's code on the same sample. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "example"  # the bundled example, whatever data the project has adopted
MLCI = str(Path(sys.executable).with_name("mlci"))
# As in CI, Python may write its bytecode caches (some machines set PYTHONDONTWRITEBYTECODE=1).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
LOAD = "import sys; from pathlib import Path; from mlci.config import load_params; from mlci.data.dataset import load_dataset; load_dataset(load_params(Path(sys.argv[1])))"


def measured(args: list[str], cwd: Path) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak resident MB of the child, exit code).

    CPU time is reported too: on a shared machine the wall time mostly measures the other jobs.
    """
    start = time.perf_counter()
    child = subprocess.Popen(args, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        assert child.stderr is not None
        sys.stderr.write(child.stderr.read().decode(errors="replace"))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code


def generate(rows: int, source: Path, target: Path, seed: int = 0) -> None:
    frame = pd.read_csv(source)
    rng = np.random.default_rng(seed)
    numeric = [c for c in frame.columns if c not in ("id", "sex", "rings")]
    chunk = 2_000_000  # bounded memory while writing 10M rows
    with target.open("w", encoding="utf-8", newline="") as handle:
        for start in range(0, rows, chunk):
            size = min(chunk, rows - start)
            big = frame.iloc[rng.integers(0, len(frame), size=size)].reset_index(drop=True)
            for column in numeric:
                noisy = big[column].to_numpy() * rng.uniform(0.99, 1.01, size=size)
                big[column] = np.clip(noisy, frame[column].min(), frame[column].max()).round(4)
            big["id"] = np.arange(start + 1, start + size + 1)
            big.to_csv(handle, index=False, header=start == 0, lineterminator="\n")


def _available_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


Row = tuple[str, float, float, float, str]


def bench_size(rows: int, work: Path, repeats: int, checks: bool, full: bool, sample: int = 0) -> list[Row]:
    """(step, median wall s, median CPU s, max peak MB, note) for one data size."""
    data = work / "data" / "abalone.csv"
    generate(rows, EXAMPLE / "data" / "abalone.csv", data)
    out: list[Row] = []

    def step(name: str, args: list[str], note: str = "") -> None:
        runs = [measured(args, work) for _ in range(repeats)]
        codes = ",".join(sorted({str(r[3]) for r in runs}))
        wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        out.append((name, wall, cpu, max(r[2] for r in runs), note or f"exit {codes}"))

    def run_and_compare(label: str, folder: str, *flags: str) -> None:
        shutil.rmtree(work / folder, ignore_errors=True)  # a failed run must not show the last size's stages
        step(f"`mlci run{label}`", [MLCI, "run", "--out", folder, *flags])
        if not (work / folder / "run.json").is_file():
            return
        durations = json.loads((work / folder / "run.json").read_text())["durations_seconds"]
        out[-1] = (*out[-1][:4], ", ".join(f"{k} {v:.1f}" for k, v in durations.items()))
        if not full:
            return
        baseline = f"{folder}-baseline"
        shutil.rmtree(work / baseline, ignore_errors=True)
        shutil.copytree(work / folder, work / baseline)
        compare = [MLCI, "compare", "--artifacts", folder, "--baseline", baseline]
        step(f"`mlci compare{label}` (its own model as the baseline)", compare)
        comparison = json.loads((work / folder / "comparison.json").read_text())
        methods = sorted({str(m.get("interval")) for m in comparison.get("metrics", [])})
        out[-1] = (*out[-1][:4], f"{comparison['verdict']}; intervals: {', '.join(methods)}")

    step("load (read + validate, no training)", [sys.executable, "-c", LOAD, str(work / "params.yaml")], "exit 0")
    run_and_compare("", "artifacts")
    if full and checks and (work / "artifacts" / "run.json").is_file():
        step("`mlci check data`", [MLCI, "check", "data"])
        step("`mlci check model`", [MLCI, "check", "model"])
    if sample and rows > sample:
        # A pull request's run with data.sample: the same file, `sample` rows of it picked by row key.
        run_and_compare(f" --sample {sample}", "pr-sampled", "--sample", str(sample))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000,1000000", help="comma-separated data sizes")
    parser.add_argument("--big", type=int, default=10_000_000, help="load and run only at this size (0: skip)")
    parser.add_argument("--checks", action="store_true", help="also time mlci check data / model")
    parser.add_argument("--repeats", type=int, default=1, help="median of this many runs per step")
    parser.add_argument(
        "--sample", type=int, default=100_000, help="also time a pull request's run on this data.sample (0: skip)"
    )
    args = parser.parse_args()
    sizes = [(int(r), True) for r in args.rows.split(",") if r]
    if args.big and _available_gb() >= 8:
        sizes.append((args.big, False))
    elif args.big:
        print(f"skipping {args.big:,} rows: {_available_gb():.1f} GB available (< 8 GB)", file=sys.stderr)
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}, repeats: {args.repeats}")
    print("| rows | step | wall s | CPU s | peak MB | notes |")
    print("|---:|---|---:|---:|---:|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlci-bench-scale-") as temp:
        work = Path(temp)
        shutil.copy(EXAMPLE / "params.yaml", work / "params.yaml")
        shutil.copytree(EXAMPLE / "data", work / "data")
        for rows, full in sizes:
            print(f"{rows:,} rows ...", file=sys.stderr, flush=True)
            for name, wall, cpu, peak, note in bench_size(rows, work, args.repeats, args.checks, full, args.sample):
                print(f"| {rows:,} | {name} | {wall:.1f} | {cpu:.1f} | {peak:,.0f} | {note} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
