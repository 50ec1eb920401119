"""/predict answers in the user's own class labels, whatever their type (trains two small models: slow)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mlci.config import load_params
from mlci.core.progress import StageTimer
from mlci.release.smoke import compare, holdout
from mlci.serve.app import create_app
from mlci.serve.bundle import load_bundle
from mlci.training.run import run_pipeline
from synthetic import ProjectFactory, synthetic_frame

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("task", "labels", "classes"),
    [("binary", None, ["no", "yes"]), ("multiclass", {"low": 2, "mid": 3, "high": 4}, [2, 3, 4])],
)
def test_predict_returns_the_users_labels(
    make_project: ProjectFactory, tmp_path: Path, task: str, labels: dict[str, int] | None, classes: list[object]
) -> None:
    frame = synthetic_frame(task, rows=300)
    if labels is not None:
        frame["target"] = frame["target"].map(labels)
    params = load_params(make_project(task, frame=frame))
    artifacts = tmp_path / "artifacts"
    run_pipeline(params, artifacts, StageTimer(quiet=True))
    data = holdout(params, artifacts)
    with TestClient(create_app(load_bundle(artifacts, environ={}))) as client:
        answer = client.post("/predict", json={"records": data.records}).json()
    assert answer["classes"] == classes
    assert set(answer["predictions"]) <= set(classes) and len(set(answer["predictions"])) > 1
    assert compare(data.expected, answer["predictions"], answer["probabilities"], answer["classes"]) == []
