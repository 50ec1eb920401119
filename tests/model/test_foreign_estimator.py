"""An estimator class from outside scikit-learn, through the whole life of a model: train, save, load, serve, check.

`Thresholded` decides its labels with a threshold of its own, so its `predict` differs from the class of highest
probability on some rows: training, evaluation, the model checks, the server and the image smoke test must all
answer with its `predict` (mlci.model.predict), never with a label of their own making.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import accuracy_score
from sklearn.utils import ClassifierTags, Tags, TargetTags

from mlci import model as user_model
from mlci.checks.frames import CheckFrame
from mlci.checks.suites import _predictions
from mlci.cli import main
from mlci.config import load_params
from mlci.core.model_io import load_model_dir
from mlci.release import smoke
from mlci.serve.app import create_app
from mlci.serve.bundle import load_bundle
from synthetic import ProjectFactory

pytestmark = pytest.mark.slow


class Thresholded:
    """A linear score squashed to a probability; label `classes_[1]` only where that probability reaches
    `threshold`. No scikit-learn base class: its own get_params/set_params and scikit-learn's public tags."""

    def __init__(self, threshold: float = 0.75, scale: float = 1.0) -> None:
        self.threshold = threshold
        self.scale = scale

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"threshold": self.threshold, "scale": self.scale}

    def set_params(self, **params: Any) -> Thresholded:
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"Invalid parameter {key!r} for Thresholded")
            setattr(self, key, value)
        return self

    def __sklearn_tags__(self) -> Tags:
        return Tags(
            estimator_type="classifier", target_tags=TargetTags(required=True), classifier_tags=ClassifierTags()
        )

    def fit(self, X: Any, y: Any) -> Thresholded:
        if not 0 < self.threshold < 1:
            raise ValueError(f"'threshold' must be between 0 and 1, got {self.threshold!r}")
        features, labels = np.asarray(X, dtype=float), np.asarray(y)
        self.classes_ = np.unique(labels)
        positive = (labels == self.classes_[1]).astype(float)
        self.mean_ = features.mean(axis=0)
        centred = features - self.mean_
        self.coef_ = np.linalg.lstsq(centred, positive - positive.mean(), rcond=None)[0] * 8
        self.intercept_ = float(np.log(positive.mean() / (1 - positive.mean())))
        return self

    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:
        score = (np.asarray(X, dtype=float) - self.mean_) @ self.coef_ * self.scale + self.intercept_
        positive = 1 / (1 + np.exp(-score))
        return np.column_stack([1 - positive, positive])

    def predict(self, X: Any) -> npt.NDArray[Any]:
        return np.asarray(self.classes_[(self.predict_proba(X)[:, 1] >= self.threshold).astype(int)])


def _own_labels(data: user_model.CheckData) -> user_model.CheckResult:
    own = np.asarray(data.model.predict(data.test_features))
    same = int((own == data.y_pred).sum())
    return user_model.CheckResult(
        condition="the labels checked are the model's own", passed=same == len(own), value=f"{same} of {len(own)} agree"
    )


def _no_class_over_90_percent(data: user_model.CheckData) -> list[user_model.CheckResult]:
    share = pd.Series(data.y_pred).value_counts(normalize=True)
    return [
        user_model.CheckResult(
            condition=f"class {label!r} is at most 10% of the predictions",
            passed=float(share.get(label, 0.0)) <= 0.1,
            value=f"{float(share.get(label, 0.0)):.1%}",
        )
        for label in data.classes
    ]


def cli(params: Path, *args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        where = "--out" if args[0] == "run" else "--artifacts"
        code = main([*args, "--params", str(params), where, str(params.parent / "artifacts")])
    return code, out.getvalue() + err.getvalue()


@pytest.fixture
def foreign(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Thresholded registered the way docs/model.md says: a table entry, its type trusted, two model checks."""
    monkeypatch.setitem(user_model.ESTIMATORS, "thresholded", (Thresholded, None))
    monkeypatch.setattr(
        user_model, "TRUSTED_TYPES", (*user_model.TRUSTED_TYPES, f"{Thresholded.__module__}.{Thresholded.__qualname__}")
    )
    monkeypatch.setattr(
        user_model, "MODEL_CHECKS", {"OwnLabels": _own_labels, "NoClassOver10Percent": _no_class_over_90_percent}
    )
    yield


def _thresholded(params: dict[str, Any]) -> None:
    params["model"] = {"estimator": "thresholded", "params": {"threshold": 0.75}}
    params["metrics"] = {"primary": "accuracy", "report": ["accuracy", "roc_auc"]}


def test_a_foreign_estimator_answers_with_its_own_labels_everywhere(
    make_project: ProjectFactory, foreign: None
) -> None:
    params_path = make_project("binary", edit=_thresholded)
    artifacts = params_path.parent / "artifacts"
    code, out = cli(params_path, "run")
    assert code == 0, out
    params = load_params(params_path)

    # training: predictions.csv holds the model's own labels, which differ from argmax(proba) on some rows
    model = load_model_dir(artifacts)
    data = smoke.holdout(params, artifacts)
    rows = pd.DataFrame(data.records)
    own = np.asarray(model.predict(rows)).astype(str)
    argmax = np.asarray(model.classes_)[np.asarray(model.predict_proba(rows)).argmax(axis=1)].astype(str)
    assert (own != argmax).any(), "the test model must disagree with argmax(predict_proba) somewhere"
    assert data.expected["y_pred"].tolist() == own.tolist()

    # evaluation: the metrics score those labels
    metrics = json.loads((artifacts / "metrics.json").read_text())["metrics"]
    assert metrics["accuracy"] == pytest.approx(accuracy_score(data.expected["y_true"], own), abs=1e-9)

    # serving, and the smoke test's comparison of served with offline answers
    with TestClient(create_app(load_bundle(artifacts, environ={}))) as client:
        answer = client.post("/predict", json={"records": data.records}).json()
    assert [str(label) for label in answer["predictions"]] == own.tolist()
    assert smoke.compare(data.expected, answer["predictions"], answer["probabilities"], answer["classes"]) == []

    # model checks: deepchecks is handed the same labels, the registered checks land in the summary and gate
    frame = rows.assign(target=data.expected["y_true"].to_numpy())
    holdout = CheckFrame(
        frame=frame,
        id_column=None,
        label="target",
        features=tuple(rows.columns),
        categorical=("colour",),
        keys=pd.Series(range(len(rows))),
    )
    handed = _predictions(model, holdout, None, "classification")
    assert [str(label) for label in handed["train"]] == own.tolist()
    code, out = cli(params_path, "check", "model")
    assert code == 1, out
    assert "FAILED model_evaluation: NoClassOver10Percent" in out
    summary = json.loads((artifacts / "checks" / "model_evaluation.json").read_text())
    statuses = {(c["check"], c["status"]) for c in summary["checks"]}
    assert ("OwnLabels", "passed") in statuses
    assert ("NoClassOver10Percent", "failed") in statuses
    assert not summary["passed"]
    assert cli(params_path, "compare")[0] == 0
    assert cli(params_path, "report")[0] == 0
    report = (artifacts / "report.md").read_text()
    assert "| OwnLabels | the labels checked are the model's own | passed |" in report


def test_a_foreign_estimator_hyperparameter_error_names_its_key(
    make_project: ProjectFactory, foreign: None, capsys: pytest.CaptureFixture[str]
) -> None:
    params_path = make_project("binary", edit=_thresholded)
    text = params_path.read_text().replace("threshold: 0.75", "threshold: 1.5")
    params_path.write_text(text)
    assert main(["config", "--check", "--params", str(params_path)]) == 2
    err = capsys.readouterr().err
    assert "model.params.threshold: 'threshold' must be between 0 and 1" in err
    assert "Traceback" not in err
