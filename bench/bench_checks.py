"""Benchmark `mlci check data` and `mlci check model`: bundled data, then 1,000,000 generated rows of its schema.

Usage: python bench/bench_checks.py [--rows 1000000]   (--rows 0: the bundled data only; figures go to
docs/benchmarks.md)

Each command runs as a subprocess (import time included, as in CI). The big file is generated into a temp
folder (never committed): bundled rows resampled with <= 1 % multiplicative noise, clipped to the observed
range, fresh unique ids. The model check on it reuses the model trained on the bundled data (same columns):
what is measured is the checks' cost with `checks.sample_rows`, not training.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mlci.checks.suites import checks_python

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "example"  # the bundled example, whatever data the project has adopted
MLCI = str(Path(sys.executable).with_name("mlci"))


# As in CI, Python may write its bytecode caches (some machines set PYTHONDONTWRITEBYTECODE=1: every
# import then recompiles, which adds seconds to deepchecks' import alone).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(args: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds of the child, exit code, last stdout lines)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tail = " / ".join(line for line in done.stdout.splitlines() if not line.startswith("reports in"))
    return wall, cpu, done.returncode, tail


def generate(rows: int, source: Path, target: Path, seed: int = 0) -> None:
    frame = pd.read_csv(source)
    rng = np.random.default_rng(seed)
    big = frame.iloc[rng.integers(0, len(frame), size=rows)].reset_index(drop=True)
    numeric = [c for c in big.columns if c not in ("id", "sex", "rings")]
    for column in numeric:
        noisy = big[column].to_numpy() * rng.uniform(0.99, 1.01, size=rows)
        big[column] = np.clip(noisy, frame[column].min(), frame[column].max()).round(4)
    big["id"] = np.arange(1, rows + 1)
    big.to_csv(target, index=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    results: list[tuple[str, float, float, int, str]] = []
    with tempfile.TemporaryDirectory(prefix="mlci-bench-checks-") as temp:
        work = Path(temp)
        shutil.copy(EXAMPLE / "params.yaml", work / "params.yaml")
        shutil.copytree(EXAMPLE / "data", work / "data")
        subprocess.run([MLCI, "run", "--out", "artifacts"], cwd=work, check=True, capture_output=True, env=ENV)
        # Bytecode caches warm in both environments: the core's and deepchecks' own, which `mlci check` hands to.
        core = "import pandera.pandas, mlci.commands.check"
        subprocess.run([sys.executable, "-W", "ignore", "-c", core], check=True, capture_output=True, env=ENV)
        checks = "import deepchecks.tabular.suites, plotly.express"
        subprocess.run([str(checks_python()), "-W", "ignore", "-c", checks], check=True, capture_output=True, env=ENV)
        for kind in ("data", "model"):
            wall, cpu, code, tail = timed([MLCI, "check", kind], work)
            results.append(
                (
                    f"bundled ({len(pd.read_csv(work / 'data' / 'abalone.csv'))} rows): check {kind}",
                    wall,
                    cpu,
                    code,
                    tail,
                )
            )
        if args.rows == 0:
            return report(results)
        start = time.perf_counter()
        generate(args.rows, work / "data" / "abalone.csv", work / "data" / "big.csv")
        print(f"generated {args.rows} rows in {time.perf_counter() - start:.1f}s", file=sys.stderr)
        text = (work / "params.yaml").read_text().replace("path: data/abalone.csv", "path: data/big.csv")
        (work / "params.yaml").write_text(text)
        for kind in ("data", "model"):
            wall, cpu, code, tail = timed([MLCI, "check", kind], work)
            results.append((f"generated ({args.rows} rows): check {kind}", wall, cpu, code, tail))
    return report(results)


def report(results: list[tuple[str, float, float, int, str]]) -> int:
    print(f"cores: {os.cpu_count()}, load average after: {os.getloadavg()[0]:.2f}")
    print("| case | wall s | CPU s | exit | summary |")
    print("|---|---:|---:|---:|---|")
    for name, wall, cpu, code, tail in results:
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {code} | {tail} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
