"""Serving benchmarks: in-process predict_proba vs served requests, load with wrk, image size/rebuild/start.

    .venv/bin/python bench/bench_serve.py                      # served by a local `mlci serve` (no Docker)
    .venv/bin/python bench/bench_serve.py --image mlci-model:X # served by the container, plus image figures

Needs Debian's `wrk` for the load figures; traffic goes to 127.0.0.1 only and every run is bounded in time.
Prints markdown for docs/benchmarks.md and writes bench/results/serve.json. Goals: served single-row req/s
>= 0.7 x in-process predict_proba calls/s (1 worker); 50 clients for 60 s with 0 errors; image <= 400 MB;
code-only rebuild <= 20 s; start to /ready <= 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mlci import image as mlci_image  # noqa: E402
from mlci.serve.bundle import load_bundle, one_thread_per_worker  # noqa: E402
from mlci.serve.request import to_frame  # noqa: E402


def first_record(artifacts: Path) -> dict[str, Any]:
    from mlci.config import load_params
    from mlci.smoke import holdout

    return holdout(load_params(ROOT / "params.yaml"), artifacts).records[0]


def in_process_calls_per_second(artifacts: Path, record: dict[str, Any], seconds: float) -> float:
    one_thread_per_worker()  # the same setting the server uses
    bundle = load_bundle(artifacts, environ={})
    frame = to_frame([record], bundle.schema)
    bundle.model.predict_proba(frame)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        bundle.model.predict_proba(frame)
        calls += 1
    return calls / (time.perf_counter() - start)


def wait_ready(port: int, timeout: float = 120) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1):
                return time.monotonic() - start
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server on 127.0.0.1:{port} not ready after {timeout}s")


class Server:
    """`mlci serve` as a local process, or the image as a container (host network, 127.0.0.1)."""

    def __init__(self, artifacts: Path, port: int, workers: int, image: str | None) -> None:
        self.env = {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
        self.port, self.image, self.artifacts = port, image, artifacts
        self.process: subprocess.Popen[bytes] | None = None
        self.container = ""

    def __enter__(self) -> Server:
        started = time.monotonic()
        if self.image:
            env_args = [arg for key, value in self.env.items() for arg in ("-e", f"{key}={value}")]
            self.container = subprocess.run(
                [mlci_image.docker_binary(), "run", "-d", "--network", "host", *env_args, self.image],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        else:
            self.process = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "mlci"), "serve", "--artifacts", str(self.artifacts)],
                env={**os.environ, **self.env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        wait_ready(self.port)
        self.ready_seconds = time.monotonic() - started
        return self

    def __exit__(self, *exc: object) -> None:
        if self.container:
            subprocess.run([mlci_image.docker_binary(), "rm", "-f", self.container], capture_output=True, check=False)
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def wrk(port: int, body: str, connections: int, seconds: int, threads: int = 1) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = {json.dumps(body)}\n'
        )
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}/predict",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    Path(script.name).unlink()

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.MULTILINE)
        if not match:
            return float("nan")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = re.search(r"(\d+) requests in", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": float(requests.group(1)) if requests else 0.0,
        "errors": float(errors + (int(non_2xx.group(1)) if non_2xx else 0)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
    }


def image_figures(tag: str, artifacts: Path) -> dict[str, Any]:
    docker = mlci_image.docker_binary()
    size = int(
        subprocess.run(
            [docker, "image", "inspect", "--format", "{{.Size}}", tag], capture_output=True, text=True, check=True
        ).stdout
    )
    history = subprocess.run(
        [docker, "history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", tag],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    layers = [(line.split("\t")[0], line.split("\t")[1][:90]) for line in history if not line.startswith("0B")]
    # A code-only change: the same project with one more line in a module, built on the warm cache.
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        for name in mlci_image.CONTEXT_FILES:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, root / name)
        shutil.copytree(ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
        with (root / "src" / "mlci" / "serve" / "app.py").open("a") as handle:
            handle.write(f"# benchmark edit {time.time()}\n")
        run = json.loads((artifacts / "run.json").read_text())
        spec = mlci_image.BuildSpec(
            tag="mlci-bench:code-change",
            base_image=os.environ.get("MLCI_BASE_IMAGE", "python:3.11-slim"),
            revision="bench",
            source="bench",
            model_sha256=run["model"]["sha256"],
            ca_bundle=Path(os.environ["MLCI_CA_BUNDLE"]) if os.environ.get("MLCI_CA_BUNDLE") else None,
        )
        start = time.perf_counter()
        mlci_image.build(spec, root, artifacts)
        rebuild = time.perf_counter() - start
    subprocess.run([docker, "rmi", "mlci-bench:code-change"], capture_output=True, check=False)
    return {"size_mb": size / 1e6, "layers": layers, "code_only_rebuild_s": rebuild}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts")
    parser.add_argument("--image", help="benchmark this container image instead of a local `mlci serve`")
    parser.add_argument("--port", type=int, default=8777)
    parser.add_argument("--seconds", type=int, default=15, help="length of each single-row run")
    parser.add_argument("--load-seconds", type=int, default=60, help="length of the 50-client run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_serve: wrk not found (Debian: apt-get install wrk)")
    record = first_record(args.artifacts)
    body = json.dumps({"records": [record]})
    results: dict[str, Any] = {
        "in_process_calls_per_s": in_process_calls_per_second(args.artifacts, record, args.seconds)
    }
    if args.image:
        results["image"] = image_figures(args.image, args.artifacts)
    for workers in (1, 2):
        with Server(args.artifacts, args.port, workers, args.image) as server:
            results[f"w{workers}_ready_s"] = server.ready_seconds
            results[f"w{workers}_single"] = wrk(args.port, body, connections=4, seconds=args.seconds)
            load_seconds = args.load_seconds if workers == 1 else max(10, args.load_seconds // 2)
            results[f"w{workers}_50_clients"] = wrk(args.port, body, connections=50, seconds=load_seconds, threads=2)
            results[f"w{workers}_50_clients"]["seconds"] = load_seconds
    ready = []
    for _ in range(3):
        with Server(args.artifacts, args.port, 1, args.image) as server:
            ready.append(server.ready_seconds)
    results["ready_s_median_of_3"] = statistics.median(ready)
    ratio = results["w1_single"]["rps"] / results["in_process_calls_per_s"]
    results["served_over_in_process"] = ratio
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"| in-process single-row predict_proba | {results['in_process_calls_per_s']:.0f} calls/s |")
    for workers in (1, 2):
        single, load = results[f"w{workers}_single"], results[f"w{workers}_50_clients"]
        print(
            f"| {workers} worker(s), 4 connections, single row | {single['rps']:.0f} req/s, p50 {single['p50_ms']:.1f} ms, p99 {single['p99_ms']:.1f} ms, errors {single['errors']:.0f} |"
        )
        print(
            f"| {workers} worker(s), 50 clients {load['seconds']} s | {load['rps']:.0f} req/s, {load['requests']:.0f} requests, p50 {load['p50_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, errors {load['errors']:.0f} |"
        )
    print(f"| served / in-process (1 worker) | {ratio:.2f}x (goal >= 0.7x) |")
    print(f"| start to /ready (median of 3) | {results['ready_s_median_of_3']:.2f} s |")
    if args.image:
        figures = results["image"]
        print(f"| image size | {figures['size_mb']:.0f} MB |")
        print(f"| code-only rebuild | {figures['code_only_rebuild_s']:.1f} s |")
        for size, command in figures["layers"]:
            print(f"| layer {size} | `{command}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
