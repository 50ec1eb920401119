"""Benchmark a new checkout: `make setup` with an empty uv cache, and `make run` with the cache warm.

Usage: python bench/bench_setup.py [REF ...]   (default: HEAD; figures go to docs/benchmarks.md)

Each ref gets two fresh clones in a temp folder: in the first `make setup` runs with UV_CACHE_DIR pointing at an
empty folder (every wheel downloaded and unpacked: the first run on a new machine or a CI cache miss), in the
second `make run` with the usual, warm cache (the environments from the locks, then training on the bundled
data). Both include installing uv into .tools/ when it is not on PATH. The cold figure depends on the network.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def clone(ref: str, target: Path) -> None:
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    subprocess.run(["git", "-C", str(target), "checkout", "--quiet", ref], check=True)


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {cwd}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("refs", nargs="*", default=["HEAD"])
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    print("| ref | `make setup`, empty uv cache | `make run` in a fresh clone, warm cache |")
    print("|---|---:|---:|")
    for ref in args.refs:
        name = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=12", ref], capture_output=True, text=True, check=True
        ).stdout.strip()
        with tempfile.TemporaryDirectory(prefix="mlci-bench-setup-") as temp:
            cold, warm, cache = Path(temp) / "cold", Path(temp) / "warm", Path(temp) / "uv-cache"
            clone(ref, cold)
            setup = timed(["make", "setup"], cold, {**env, "UV_CACHE_DIR": str(cache)})
            clone(ref, warm)
            run = timed(["make", "run"], warm, env)
        print(f"| {ref} ({name}) | {setup:.1f} s | {run:.1f} s |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
