"""A TestClient on the session's trained run (copied, so tests may tamper with their own copy)."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from mlci.serve.app import create_app
from mlci.serve.bundle import Bundle, load_bundle
from synthetic import EXAMPLE


@pytest.fixture(scope="session")
def bundle(trained_run: Path) -> Bundle:
    return load_bundle(trained_run, environ={})


@pytest.fixture(scope="session")
def client(bundle: Bundle) -> Iterator[TestClient]:
    with TestClient(create_app(bundle)) as test_client:
        yield test_client


@pytest.fixture
def artifacts_copy(trained_run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(trained_run, tmp_path / "artifacts"))


@pytest.fixture(scope="session")
def record(bundle: Bundle, trained_run: Path) -> dict[str, Any]:
    """One valid record: the first holdout row of the bundled data."""
    frame = pd.read_csv(EXAMPLE / "data" / "abalone.csv")
    first = int(pd.read_csv(trained_run / "predictions.csv")["id"].iloc[0])
    row = frame[frame["id"] == first].iloc[0]
    return {
        column: row[column].item() if hasattr(row[column], "item") else row[column] for column in bundle.schema.columns
    }


@pytest.fixture(autouse=True)
def _unfreeze_heap() -> Iterator[None]:
    """`mlci serve` freezes the start-up heap for the whole process; give the test session its collector back."""
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _keep_thread_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mlci serve` limits OpenMP to one thread for the whole process; never let it leak into the test session."""
    import threadpoolctl

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", lambda limits=None: None)
    monkeypatch.setenv("OMP_NUM_THREADS", "")  # restored (unset) after each test
