"""Start serving: verify and load the model, then listen. `mlci serve` and the container's `python -m mlci.serve`
both come here; it imports nothing beyond serving, so a container start loads only what it needs."""

from __future__ import annotations

import argparse
import gc
import os
from pathlib import Path

from mlci.core.errors import ConfigError

HELP = "serve the model over HTTP (HOST, PORT, WEB_CONCURRENCY from the environment)"
DESCRIPTION = "Checks the model's sha256 and loads it first; exits 2 without listening if that fails."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--artifacts",
        type=Path,
        default=Path(os.environ.get("MLCI_ARTIFACTS", "artifacts")),
        help="artifacts folder of `mlci run` (default: $MLCI_ARTIFACTS or artifacts)",
    )


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name}: expected a positive integer, got {raw!r}")
    return int(raw)


def freeze_startup_heap() -> None:
    """Move everything alive after start-up (the model, pandas, FastAPI) out of the garbage collector's reach.

    Those are hundreds of thousands of long-lived objects; left in the oldest generation, every full collection
    walks them all, a pause of tens of milliseconds that lands on whichever requests are in flight (the p99).
    Requests allocate short-lived objects only, so nothing frozen would ever have been collected.
    """
    gc.collect()
    gc.freeze()


def serve(artifacts: Path) -> int:
    import uvicorn

    from mlci.serve.app import create_app
    from mlci.serve.bundle import load_bundle, one_thread_per_worker
    from mlci.serve.logs import log_config

    host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104 - a container must listen beyond its loopback
    port = _int_env("PORT", 8000)
    workers = _int_env("WEB_CONCURRENCY", 1)
    one_thread_per_worker()
    bundle = load_bundle(artifacts)  # raises before anything listens on a tampered or missing model
    common = {"host": host, "port": port, "log_config": log_config(), "access_log": False, "server_header": False}
    if workers == 1:
        app = create_app(bundle)
        freeze_startup_heap()
        uvicorn.run(app, **common)  # type: ignore[arg-type]
    else:
        os.environ["MLCI_ARTIFACTS"] = str(artifacts.absolute())
        uvicorn.run("mlci.serve.app:app_from_env", factory=True, workers=workers, **common)  # type: ignore[arg-type]
    return 0
