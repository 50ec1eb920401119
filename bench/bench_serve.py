"""Serving benchmark: `mlci serve` side by side with MLflow's scoring server on the same model and request.

    make bench-serve                                           # or: .venv/bin/python bench/bench_serve.py
    .venv/bin/python bench/bench_serve.py --image mlci-model:X # plus image size, rebuild and start figures

One run, same single-row request, 1 worker each, at 1, 16 and 50 concurrent clients (wrk, 127.0.0.1 only,
every run bounded in time), repeated and reported as medians, servers interleaved so load drift hits all alike:
- `mlci serve` with micro-batching (the params' image.serve settings),
- `mlci serve` with MLCI_MAX_WAIT_MS=0 (each request scored alone, as before batching),
- `mlflow models serve --env-manager local` on the same fitted pipeline saved with `mlflow.sklearn`
  (pyfunc_predict_fn="predict_proba", a signature inferred from the holdout, OMP_NUM_THREADS=1 like ours),
  installed by uv into bench/results/mlflow-venv: a bench-only environment with the project's own versions of
  scikit-learn, numpy, scipy and pandas, not part of uv.lock;
plus the in-process single-row predict_proba rate and how far batched answers are from row-by-row ones.
Needs Debian's `wrk`. Prints markdown for docs/benchmarks.md and writes bench/results/serve.json.
Goals: 50 clients, 1 worker: >= 5x the unbatched req/s, p99 <= 100 ms, 0 errors over 60 s, >= 10x MLflow;
1 client: p50 no worse than unbatched.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import pickle
import re
import shutil
import signal
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

from mlci.release import image as mlci_image  # noqa: E402
from mlci.serve.bundle import load_bundle, one_thread_per_worker  # noqa: E402
from mlci.serve.request import to_frame  # noqa: E402


def holdout_rows(artifacts: Path) -> list[dict[str, Any]]:
    from mlci.config import load_params
    from mlci.release.smoke import holdout

    return holdout(load_params(ROOT / "params.yaml"), artifacts).records


def first_record(artifacts: Path) -> dict[str, Any]:
    return holdout_rows(artifacts)[0]


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


def wait_ready(port: int, path: str = "/ready", timeout: float = 120) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
                return time.monotonic() - start
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server on 127.0.0.1:{port} not ready after {timeout}s")


class Server:
    """A local server process (mlci or MLflow), or the image as a container (host network, 127.0.0.1)."""

    def __init__(
        self, command: list[str], port: int, env: dict[str, str], image: str | None = None, ready: str = "/ready"
    ) -> None:
        self.command, self.port, self.env, self.image, self.ready = command, port, env, image, ready
        self.process: subprocess.Popen[bytes] | None = None
        self.container = ""
        self.ready_seconds = float("nan")

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
                self.command,
                env={**os.environ, **self.env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # so __exit__ stops the server's own workers too
            )
        try:
            wait_ready(self.port, self.ready)
        except BaseException:
            self.__exit__()
            raise
        self.ready_seconds = time.monotonic() - started
        return self

    def __exit__(self, *exc: object) -> None:
        if self.container:
            subprocess.run([mlci_image.docker_binary(), "rm", "-f", self.container], capture_output=True, check=False)
        if self.process is not None:
            os.killpg(self.process.pid, 15)
            self.process.wait(timeout=30)
            self.process = None


def mlci_server(artifacts: Path, port: int, extra_env: dict[str, str], image: str | None = None) -> Server:
    env = {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1", **extra_env}
    return Server([str(ROOT / ".venv" / "bin" / "mlci"), "serve", "--artifacts", str(artifacts)], port, env, image)


def baseline_server(ref: str, work: Path, artifacts: Path, port: int) -> Server:
    """`mlci serve` as it was at a git ref (e.g. before batching), from `git archive`, on the same venv."""
    source = work / "baseline"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    env = {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1", "PYTHONPATH": str(source / "src")}
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "mlci.serve", "--artifacts", str(artifacts)]
    return Server(command, port, env)


def mlflow_env(cache: Path) -> Path:
    """A bench-only venv with mlflow-skinny and the project's own versions of the model stack (MLflow 3 saves
    scikit-learn models with skops by default, as mlci does). pyarrow too: pandas 3 backs the frame's text columns
    with it when it is installed, as in the project's environment, and the pickled frame needs it to load."""
    python = cache / "bin" / "python"
    pins = [
        f"{name}=={importlib.metadata.version(name)}"
        for name in ("scikit-learn", "numpy", "scipy", "pandas", "pyarrow", "skops")
    ]
    wanted = " ".join(["mlflow-skinny==3.17.*", "uvicorn", *pins])
    marker = cache / "installed.txt"
    if python.exists() and marker.is_file() and marker.read_text() == wanted:
        return cache
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    subprocess.run([uv, "venv", "-q", "--clear", "--python", sys.executable, str(cache)], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(python), *wanted.split()],
        check=True,
        env={**os.environ, "VIRTUAL_ENV": str(cache)},
    )
    marker.write_text(wanted)
    return cache


SAVE_MLFLOW_MODEL = """
import json, pickle, sys
import mlflow.sklearn, pandas as pd
from mlflow.models import infer_signature
model = pickle.load(open(sys.argv[1], "rb"))
frame = pd.read_pickle(sys.argv[2])
mlflow.sklearn.save_model(model, sys.argv[3], pyfunc_predict_fn="predict_proba",
                          signature=infer_signature(frame, model.predict_proba(frame)),
                          skops_trusted_types=json.loads(sys.argv[4]))
"""


def mlflow_server(env_dir: Path, model_dir: Path, port: int) -> Server:
    """`mlflow models serve --env-manager local`; it runs uvicorn from PATH, so the bench venv goes first."""
    command = [str(env_dir / "bin" / "mlflow"), "models", "serve", "-m", str(model_dir), "--env-manager", "local"]
    command += ["-h", "127.0.0.1", "-p", str(port), "-w", "1"]
    env = {
        "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "OMP_NUM_THREADS": "1",
        "MLFLOW_TRACKING_URI": f"file:{model_dir.parent / 'mlruns'}",
    }
    return Server(command, port, env, ready="/ping")


def save_for_mlflow(artifacts: Path, env_dir: Path, work: Path) -> tuple[Path, Any]:
    """The very pipeline `mlci serve` loads, handed over by pickle (same library versions on both sides)."""
    from mlci.model import TRUSTED_TYPES
    from mlci.serve.bundle import load_bundle
    from mlci.serve.request import to_frame

    bundle = load_bundle(artifacts, environ={})
    (work / "model.pkl").write_bytes(pickle.dumps(bundle.model))
    frame = to_frame([first_record(artifacts)], bundle.schema)
    frame.to_pickle(work / "frame.pkl")
    model_dir = work / "mlflow-model"
    subprocess.run(
        [
            str(env_dir / "bin" / "python"),
            "-c",
            SAVE_MLFLOW_MODEL,
            str(work / "model.pkl"),
            str(work / "frame.pkl"),
            str(model_dir),
            json.dumps(list(TRUSTED_TYPES)),  # mlci's own allowlist for the same pipeline
        ],
        check=True,
        cwd=work,  # outside the project, or MLflow spends ~15 s inferring requirements from uv.lock
    )
    return model_dir, bundle


def post(port: int, body: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/{'invocations' if 'dataframe_records' in body else 'predict'}",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status), json.loads(response.read())


def batch_agreement(bundle: Any, records: list[dict[str, Any]], batch_rows: int) -> dict[str, float]:
    """Batched vs row-by-row answers on holdout rows: label mismatches and the largest probability difference."""
    import numpy as np

    from mlci.serve.request import to_frame

    alone = [bundle.predict(to_frame([r], bundle.schema)) for r in records]
    batched_labels: list[Any] = []
    batched_proba: list[list[float]] = []
    for start in range(0, len(records), batch_rows):
        labels, proba = bundle.predict(to_frame(records[start : start + batch_rows], bundle.schema))
        batched_labels += labels
        batched_proba += proba or []
    diff = (
        np.abs(np.array(batched_proba) - np.array([a[1][0] for a in alone if a[1]])) if batched_proba else np.zeros(1)
    )
    return {
        "rows": float(len(records)),
        "label_mismatches": float(sum(a[0][0] != b for a, b in zip(alone, batched_labels, strict=True))),
        "max_abs_proba_diff": float(diff.max()),
    }


def wrk(port: int, path: str, body: str, connections: int, seconds: int) -> dict[str, float]:
    threads = 1 if connections == 1 else 2
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
            f"http://127.0.0.1:{port}{path}",
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


CLIENTS = (1, 16, 50)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts")
    parser.add_argument("--image", help="also: image figures, and the container instead of a local `mlci serve`")
    parser.add_argument("--port", type=int, default=8777, help="first of three 127.0.0.1 ports")
    parser.add_argument("--seconds", type=int, default=10, help="length of each 1- and 16-client run")
    parser.add_argument("--load-seconds", type=int, default=60, help="length of each 50-client run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per server and client count (medians reported)")
    parser.add_argument(
        "--baseline-ref", help="also serve with the code at this git ref (e.g. the commit before batching)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_serve: wrk not found (Debian: apt-get install wrk)")
    if not (args.artifacts / "run.json").is_file():
        sys.exit(f"bench_serve: {args.artifacts} has no run.json; run `mlci run` (make run) first")
    # One OpenMP thread, as every server here has: on a busy host OpenMP's spinning threads slow a single-row
    # call by two orders of magnitude, and the servers inherit this setting.
    one_thread_per_worker()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers started here are stopped too
    results: dict[str, Any] = {"load_before": os.getloadavg(), "cpus": os.cpu_count()}
    record = first_record(args.artifacts)
    env_dir = mlflow_env(ROOT / "bench" / "results" / "mlflow-venv")
    with tempfile.TemporaryDirectory(prefix="mlci-bench-") as temp:
        model_dir, bundle = save_for_mlflow(args.artifacts, env_dir, Path(temp))
        holdout_records = holdout_rows(args.artifacts)[:1000]
        results["batch_agreement"] = batch_agreement(bundle, holdout_records, bundle.limits.batching.max_batch_rows)
        results["batching"] = bundle.metadata.limits
        results["in_process_calls_per_s"] = in_process_calls_per_second(args.artifacts, record, args.seconds)
        mlci_body = json.dumps({"records": [record]})
        mlflow_body = json.dumps({"dataframe_records": [record]})
        servers = {
            "mlci": (mlci_server(args.artifacts, args.port, {}, args.image), "/predict", mlci_body),
            "mlci unbatched": (
                mlci_server(args.artifacts, args.port + 1, {"MLCI_MAX_WAIT_MS": "0"}),
                "/predict",
                mlci_body,
            ),
            "mlflow": (mlflow_server(env_dir, model_dir, args.port + 2), "/invocations", mlflow_body),
        }
        if args.baseline_ref:
            baseline = baseline_server(args.baseline_ref, Path(temp), args.artifacts, args.port + 3)
            servers[f"mlci at {args.baseline_ref}"] = (baseline, "/predict", mlci_body)
        runs: dict[str, dict[int, list[dict[str, float]]]] = {name: {c: [] for c in CLIENTS} for name in servers}
        with contextlib.ExitStack() as running:
            ours = running.enter_context(servers["mlci"][0])
            for name, (server, _, _) in servers.items():
                if name != "mlci":
                    running.enter_context(server)
            results["ready_s"] = ours.ready_seconds
            ours_answer = post(args.port, mlci_body)[1]
            theirs_answer = post(args.port + 2, mlflow_body)[1]
            results["same_answer"] = bool(
                max(
                    abs(a - b)
                    for a, b in zip(ours_answer["probabilities"][0], theirs_answer["predictions"][0], strict=True)
                )
                == 0
            )
            for repeat in range(args.repeats):
                for clients in CLIENTS:
                    seconds = args.load_seconds if clients == 50 else args.seconds
                    for name, (server, path, body) in servers.items():
                        figures = wrk(server.port, path, body, clients, seconds)
                        runs[name][clients].append(figures)
                        print(
                            f"[{repeat + 1}/{args.repeats}] {name:>14} {clients:>2} clients: {figures['rps']:7.0f} req/s "
                            f"p50 {figures['p50_ms']:6.1f} ms p99 {figures['p99_ms']:6.1f} ms errors {figures['errors']:.0f} "
                            f"(load {os.getloadavg()[0]:.1f})",
                            file=sys.stderr,
                        )
            metrics = urllib.request.urlopen(f"http://127.0.0.1:{args.port}/metrics", timeout=5).read().decode()
            results["mlci_batches"] = {
                key: float(value)
                for key, value in re.findall(
                    r"^mlci_(batch_rows_sum|batch_rows_count|rejected_total) (\S+)$", metrics, re.M
                )
            }
    results["load_after"] = os.getloadavg()
    results["runs"] = runs
    results["median"] = {
        name: {clients: {key: statistics.median(r[key] for r in rs) for key in rs[0]} for clients, rs in by_c.items()}
        for name, by_c in runs.items()
    }
    if args.image:
        results["image"] = image_figures(args.image, args.artifacts)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(results, args)
    return 0


def print_table(results: dict[str, Any], args: argparse.Namespace) -> None:
    median = results["median"]
    print(
        f"{os.cpu_count()} cores; load average {results['load_before'][0]:.1f} before, {results['load_after'][0]:.1f} after; "
        f"medians of {args.repeats} runs ({args.seconds} s each, {args.load_seconds} s at 50 clients)\n"
    )
    print(
        f"In-process single-row predict_proba: **{results['in_process_calls_per_s']:.0f} calls/s** (one OpenMP thread)\n"
    )
    baseline = next((name for name in median if name.startswith("mlci at ")), None)
    versus = ["mlci unbatched", *([baseline] if baseline else []), "mlflow"]
    print(
        f"| server (1 worker) | clients | req/s | p50 ms | p99 ms | errors | {' | '.join(f'x {v}' for v in versus)} |"
    )
    print("|---|---:|---:|---:|---:|---:|" + "---:|" * len(versus))
    for name in median:
        for clients, m in median[name].items():
            ratios = " | ".join(f"{m['rps'] / median[v][clients]['rps']:.2f}" for v in versus)
            print(
                f"| {name} | {clients} | {m['rps']:.0f} | {m['p50_ms']:.1f} | {m['p99_ms']:.1f} | {m['errors']:.0f} "
                f"| {ratios} |"
            )
    batches = results["mlci_batches"]
    agreement = results["batch_agreement"]
    print(
        f"\nmlci batching {results['batching']}: mean batch {batches['batch_rows_sum'] / max(batches['batch_rows_count'], 1):.1f} rows "
        f"over the whole run, {batches['rejected_total']:.0f} rejected; batched vs row by row on {agreement['rows']:.0f} holdout rows: "
        f"{agreement['label_mismatches']:.0f} label mismatches, max |probability difference| {agreement['max_abs_proba_diff']:.3g}; "
        f"mlci and MLflow give identical probabilities: {results['same_answer']}; mlci start to /ready {results['ready_s']:.2f} s"
    )
    if args.image:
        figures = results["image"]
        print(
            f"\n| image size | {figures['size_mb']:.0f} MB |\n| code-only rebuild | {figures['code_only_rebuild_s']:.1f} s |"
        )
        for size, command in figures["layers"]:
            print(f"| layer {size} | `{command}` |")


if __name__ == "__main__":
    sys.exit(main())
