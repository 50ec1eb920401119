"""`mlci image smoke`: run the image, wait for /ready, and hold its answers against the offline predictions.

The comparison and the payload list are pure; `run_smoke` is the part that talks to Docker (SDK) and HTTP.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mlci.config import Params
from mlci.core.artifacts import PREDICTIONS, read_run
from mlci.core.errors import ArtifactError, GateFailed, MlciError

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Holdout:
    """The holdout rows as /predict records, and what `mlci run` predicted for them."""

    records: list[dict[str, Any]]
    expected: pd.DataFrame  # predictions.csv, as text


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is None:
        return None
    return value.item() if hasattr(value, "item") else value


def holdout(params: Params, artifacts: Path) -> Holdout:
    from mlci.data.dataset import load_dataset

    path = artifacts / PREDICTIONS
    if not path.is_file():
        raise ArtifactError(f"{path}: missing; run `mlci run` first")
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    data = load_dataset(params)
    position = {str(row_id): index for index, row_id in enumerate(data.ids.astype(str))}
    missing = [row_id for row_id in expected["id"] if row_id not in position]
    if missing:
        raise ArtifactError(f"{path}: row id {missing[0]!r} is not in {params.data.path}; data and artifacts disagree")
    rows = data.X.iloc[[position[row_id] for row_id in expected["id"]]]
    records = [
        {column: _json_value(value) for column, value in zip(rows.columns, values, strict=True)}
        for values in rows.itertuples(index=False, name=None)
    ]
    return Holdout(records=records, expected=expected)


def compare(
    expected: pd.DataFrame, predictions: list[Any], probabilities: list[list[float]] | None, classes: list[Any]
) -> list[str]:
    """Differences between served and offline answers (empty when they agree); labels exact, floats within 1e-9."""
    if len(predictions) != len(expected):
        return [f"served {len(predictions)} predictions for {len(expected)} holdout rows"]
    problems: list[str] = []
    ids, offline = expected["id"].tolist(), expected["y_pred"].tolist()
    classification = any(column.startswith("proba_") for column in expected.columns)
    for row_id, want, served in zip(ids, offline, predictions, strict=True):
        same = (
            want == str(served)
            if classification
            else math.isclose(float(want), float(served), rel_tol=TOLERANCE, abs_tol=TOLERANCE)
        )
        if not same:
            problems.append(f"row id {row_id}: served prediction {served!r}, offline {want!r}")
    if classification:
        if probabilities is None or len(probabilities) != len(expected):
            return [*problems, "served no probabilities (or too few) for a classification model"]
        for position, label in enumerate(classes):
            column = f"proba_{label}"
            if column not in expected.columns:
                problems.append(f"served class {label!r} has no {column} column offline")
                continue
            for row_id, want, served in zip(ids, expected[column].astype(float), probabilities, strict=True):
                if abs(want - served[position]) > TOLERANCE:
                    problems.append(f"row id {row_id}: served P({label}) {served[position]!r}, offline {want!r}")
    return problems[:5]


def bad_payloads(record: dict[str, Any]) -> Iterator[tuple[str, bytes, str]]:
    """(name, body, content type) that a correct server answers with 4xx."""
    first = next(iter(record))
    yield "invalid JSON", b'{"records": [', "application/json"
    yield "empty body", b"", "application/json"
    yield "empty records", b'{"records": []}', "application/json"
    yield (
        "missing field",
        json.dumps({"records": [{k: v for k, v in record.items() if k != first}]}).encode(),
        "application/json",
    )
    yield "wrong type", json.dumps({"records": [{**record, first: [1, 2]}]}).encode(), "application/json"
    yield "unknown field", json.dumps({"records": [{**record, "not_a_feature": 1}]}).encode(), "application/json"
    yield "NaN", json.dumps({"records": [{**record, first: float("nan")}]}).encode(), "application/json"
    yield "wrong content type", json.dumps({"records": [record]}).encode(), "text/plain"


@dataclass
class SmokeReport:
    image: str
    size_mb: float
    user: str
    ready_seconds: float
    rows: int
    bad_payloads: dict[str, int] = field(default_factory=dict)


def _http(
    url: str, body: bytes | None = None, content_type: str = "application/json", timeout: float = 30
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")  # noqa: S310 - 127.0.0.1 only
    if body is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def wait_ready(base: str, container: Any, timeout: float) -> float:
    """Seconds until /ready answers 200; MlciError with the container's last log line if it exits or times out."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        container.reload()
        if container.status in ("exited", "dead"):
            logs = container.logs().decode("utf-8", "replace").strip().splitlines()
            raise GateFailed(
                f"container exited ({container.attrs['State']['ExitCode']}) before /ready: {logs[-1] if logs else 'no output'}"
            )
        try:
            status, _ = _http(f"{base}/ready", timeout=1)
            if status == 200:
                return time.monotonic() - start
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise GateFailed(f"container not ready after {timeout:.0f}s")


def check_image(image: str, attrs: dict[str, Any], max_size_mb: float) -> tuple[float, str]:
    """(size in MB, user) of an image that runs as non-root within the size budget; GateFailed otherwise."""
    size_mb = float(attrs["Size"]) / 1e6
    user = str(attrs["Config"].get("User") or "")
    if user.split(":", maxsplit=1)[0] in ("", "0", "root"):
        raise GateFailed(f"{image}: runs as root (USER {user or 'unset'}); the image must set a non-root user")
    if size_mb > max_size_mb:
        raise GateFailed(f"{image}: {size_mb:.0f} MB, over the image.max_size_mb budget of {max_size_mb:.0f} MB")
    return size_mb, user


def served_holdout(base: str, data: Holdout, batch: int) -> tuple[list[Any], list[list[float]] | None, list[Any]]:
    """Predictions, probabilities and classes the server gives for every holdout record, in batches."""
    predictions: list[Any] = []
    probabilities: list[list[float]] | None = None
    classes: list[Any] = []
    for offset in range(0, len(data.records), batch):
        body = json.dumps({"records": data.records[offset : offset + batch]}, allow_nan=False).encode()
        status, raw = _http(f"{base}/predict", body)
        if status != 200:
            raise GateFailed(f"/predict answered {status} to holdout rows: {raw[:300].decode('utf-8', 'replace')}")
        answer = json.loads(raw)
        predictions += answer["predictions"]
        classes = answer.get("classes") or []
        if answer.get("probabilities") is not None:
            probabilities = (probabilities or []) + answer["probabilities"]
    return predictions, probabilities, classes


def recorded_model_sha256(artifacts: Path) -> str:
    """run.json's model.sha256: ArtifactError naming the file and key if it is missing or does not match its
    model (read before the container starts, so no traceback mid-smoke)."""
    return read_run(artifacts, "run `mlci run` before building the image").model.sha256


def _check_serving(
    image: str, base: str, container: Any, *, data: Holdout, recorded: str, batch: int
) -> dict[str, int]:
    uid = container.exec_run(["python3", "-c", "import os; print(os.getuid())"]).output.decode().strip()
    if uid == "0":
        raise GateFailed(f"{image}: the server process runs as uid 0")
    status, raw = _http(f"{base}/metadata")
    served_sha = json.loads(raw).get("model_sha256") if status == 200 else None
    if served_sha != recorded:
        raise GateFailed(f"{image}: serves model {served_sha}, artifacts record {recorded}")
    problems = compare(data.expected, *served_holdout(base, data, batch))
    if problems:
        raise GateFailed(f"{image}: served predictions differ from predictions.csv: {'; '.join(problems)}")
    codes: dict[str, int] = {}
    for name, body, content_type in bad_payloads(data.records[0]):
        codes[name], _ = _http(f"{base}/predict", body, content_type)
        if not 400 <= codes[name] < 500:
            raise GateFailed(f"{image}: bad payload '{name}' answered {codes[name]}, expected 4xx")
    return codes


def run_smoke(image: str, params: Params, artifacts: Path) -> SmokeReport:
    """Start the image on 127.0.0.1 (host network), check it end to end, always remove the container."""
    import docker
    from docker.errors import DockerException, ImageNotFound

    settings = params.image
    data = holdout(params, artifacts)
    recorded = recorded_model_sha256(artifacts)
    try:
        client = docker.from_env()
        found = client.images.get(image)
    except ImageNotFound:
        raise MlciError(f"{image}: no such local image; build it with `mlci image build`") from None
    except DockerException as exc:
        raise MlciError(f"cannot reach the Docker engine: {exc}") from None
    size_mb, user = check_image(image, found.attrs, settings.max_size_mb)
    base = f"http://127.0.0.1:{settings.smoke.port}"
    container = client.containers.run(
        image, detach=True, network_mode="host", environment={"HOST": "127.0.0.1", "PORT": str(settings.smoke.port)}
    )
    try:
        ready = wait_ready(base, container, settings.smoke.ready_timeout_seconds)
        codes = _check_serving(image, base, container, data=data, recorded=recorded, batch=settings.serve.max_batch)
    finally:
        container.remove(force=True)
    return SmokeReport(
        image=image, size_mb=size_mb, user=user, ready_seconds=ready, rows=len(data.records), bad_payloads=codes
    )
