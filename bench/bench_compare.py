"""Time `mlci compare` + `mlci report` on the bundled data (identical baseline, 1,000 paired bootstrap resamples).

    .venv/bin/python bench/bench_compare.py [--repeats 5] [--resamples 1000]

Trains once into bench/results/ (git-ignored) unless that run exists, copies it as the baseline, then
reports (a) compare + report in process (what the work costs) and (b) the two CLI calls as subprocesses
(what CI pays, including interpreter start-up and imports). Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from mlci.comparison.compare import compare_folders
from mlci.comparison.report import write_report
from mlci.config import load_params
from mlci.core.progress import StageTimer
from mlci.training.run import run_pipeline

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml")
    params = params.model_copy(
        update={"report": params.report.model_copy(update={"bootstrap_resamples": args.resamples})}
    )
    candidate, baseline = RESULTS / "artifacts", RESULTS / "baseline"
    if not (candidate / "run.json").is_file():
        run_pipeline(params, candidate, StageTimer(quiet=True))
    shutil.rmtree(baseline, ignore_errors=True)
    shutil.copytree(candidate, baseline, ignore=shutil.ignore_patterns("comparison.json", "report.md"))

    in_process = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        comparison = compare_folders(params, candidate, baseline, "bench").dump()
        _, text = write_report(params, candidate)
        in_process.append(time.perf_counter() - start)
    assert comparison["verdict"] == "no-significant-change", comparison["verdict"]

    mlci = str(Path(sys.executable).with_name("mlci"))
    cli = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        common = ["--params", str(ROOT / "params.yaml"), "--artifacts", str(candidate)]
        subprocess.run([mlci, "compare", *common, "--baseline", str(baseline)], check=True, capture_output=True)
        subprocess.run([mlci, "report", *common], check=True, capture_output=True)
        cli.append(time.perf_counter() - start)

    rows = comparison["rows_compared"]["candidate"]
    metrics = len(comparison["metrics"])
    print(f"holdout rows {rows}, metrics {metrics}, resamples {args.resamples}, report {len(text):,} characters")
    print(
        f"compare + report in process: median {statistics.median(in_process):.2f} s (min {min(in_process):.2f}, max {max(in_process):.2f})"
    )
    print(
        f"mlci compare + mlci report CLI: median {statistics.median(cli):.2f} s (min {min(cli):.2f}, max {max(cli):.2f})"
    )


if __name__ == "__main__":
    main()
