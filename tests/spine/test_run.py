"""`mlci run` end to end: every task, byte-identical reruns, atomic output, verified model loading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlci.cli import main
from mlci.config import load_params
from mlci.core import model_io
from mlci.core.errors import ArtifactError, ConfigError
from mlci.core.progress import StageTimer
from mlci.training.run import run_pipeline
from synthetic import ProjectFactory

EXPECTED_FILES = {
    "model.skops",
    "model.sha256",
    "metrics.json",
    "predictions.csv",
    "feature_importance.csv",
    "model_card.md",
    "run.json",
    "params.json",
}


@pytest.mark.parametrize(
    ("task", "plots", "primary", "floor"),
    [
        ("binary", {"confusion_matrix.png", "roc_curve.png", "pr_curve.png", "feature_importance.png"}, "roc_auc", 0.9),
        (
            "multiclass",
            {"confusion_matrix.png", "roc_curve.png", "pr_curve.png", "feature_importance.png"},
            "roc_auc",
            0.85,
        ),
        ("regression", {"residuals.png", "feature_importance.png"}, "rmse", None),
    ],
)
def test_every_task_writes_complete_artifacts(
    make_project: ProjectFactory, task: str, plots: set[str], primary: str, floor: float | None
) -> None:
    params_path = make_project(task)
    out = params_path.parent / "artifacts"
    result = run_pipeline(load_params(params_path), out, StageTimer(quiet=True))
    assert {p.name for p in out.iterdir()} >= EXPECTED_FILES
    assert {p.name for p in (out / "plots").iterdir()} == plots
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["primary"] == primary == result.primary
    assert metrics["rows"]["total"] == 400
    assert metrics["rows"]["train"] + metrics["rows"]["test"] == 400
    if floor is not None:
        assert metrics["metrics"]["roc_auc"] >= floor
        assert set(metrics["per_class"]) == ({"no", "yes"} if task == "binary" else {"low", "mid", "high"})
    else:
        assert metrics["metrics"]["r2"] > 0.8
        assert metrics["per_class"] == {}
    predictions = pd.read_csv(out / "predictions.csv")
    assert len(predictions) == metrics["rows"]["test"]
    assert predictions["id"].is_unique
    importance = pd.read_csv(out / "feature_importance.csv")
    assert set(importance["metric"]) == {primary}  # scored with the primary metric, not accuracy / r2
    assert importance.iloc[0]["feature"] == "x1"
    change = "rise in rmse" if primary == "rmse" else "drop in roc_auc"
    assert f"Mean {change} on the holdout when the column's values are shuffled." in (out / "model_card.md").read_text()
    run = json.loads((out / "run.json").read_text())
    assert set(run["durations_seconds"]) == {"load", "split", "train", "predict", "evaluate"}
    assert run["model"]["sha256"] == (out / "model.sha256").read_text().split()[0] == result.model_sha256


def test_reloaded_model_reproduces_predictions(trained_run: Path, bundled_params) -> None:  # type: ignore[no-untyped-def]
    from mlci.data.dataset import load_dataset

    model = model_io.load_model_dir(trained_run)
    predictions = pd.read_csv(trained_run / "predictions.csv", dtype={"id": str})
    data = load_dataset(bundled_params)
    rows = data.X[data.ids.isin(predictions["id"])]
    proba = model.predict_proba(rows)
    np.testing.assert_allclose(proba[:, 1], predictions["proba_1"].to_numpy(), rtol=0, atol=1e-12)


def test_bundled_model_quality_and_card(trained_run: Path) -> None:
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["metrics"]["roc_auc"] > 0.85
    card = (trained_run / "model_card.md").read_text()
    for heading in ("## Intended use", "## Data", "## Metrics (holdout)", "## Limitations", "## Provenance"):
        assert heading in card
    assert "fd14a0cc910fb1b629d7f6791049d67d90538408d452b4527df99dd16d729017" in card


@pytest.mark.slow
def test_rerun_is_byte_identical(tmp_path: Path, trained_run: Path, bundled_params) -> None:  # type: ignore[no-untyped-def]
    again = tmp_path / "again"
    run_pipeline(bundled_params, again, StageTimer(quiet=True))
    for name in (
        "metrics.json",
        "model.sha256",
        "model.skops",
        "predictions.csv",
        "feature_importance.csv",
        "params.json",
    ):
        assert (again / name).read_bytes() == (trained_run / name).read_bytes(), name
    for plot in (trained_run / "plots").iterdir():
        assert (again / "plots" / plot.name).read_bytes() == plot.read_bytes(), plot.name


def test_failed_run_keeps_previous_folder(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    params_path = make_project()
    out = params_path.parent / "artifacts"
    assert main(["run", "--params", str(params_path), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (params_path.parent / "data.csv").write_text("", encoding="utf-8")
    assert main(["run", "--params", str(params_path), "--out", str(out)]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert [p.name for p in params_path.parent.iterdir() if p.name.startswith(".")] == []
    assert "file is empty" in capsys.readouterr().err


def test_unwritable_output_folder(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    params_path = make_project()
    blocker = params_path.parent / "blocker"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    assert main(["run", "--params", str(params_path), "--out", str(blocker / "artifacts")]) == 2
    err = capsys.readouterr().err
    assert "cannot write the output folder" in err
    assert "Traceback" not in err
    assert main(["run", "--params", str(params_path), "--out", str(blocker)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


def test_tampered_model_is_refused(tmp_path: Path, trained_run: Path) -> None:
    blob = bytearray((trained_run / "model.skops").read_bytes())
    blob[-100] ^= 0xFF
    expected = (trained_run / "model.sha256").read_text().split()[0]
    with pytest.raises(ArtifactError, match="does not match the recorded"):
        model_io.loads_verified(bytes(blob), expected, "model.skops")


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"model\.skops: missing"):
        model_io.load_model_dir(tmp_path)


def test_types_outside_allowlist_are_refused() -> None:
    from collections import Counter

    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(kw_args={"counts": Counter(a=1)}).fit([[0.0]])
    blob = model_io.dumps(model)
    assert model_io.untrusted(blob) == ["collections.Counter"]
    with pytest.raises(ArtifactError, match=r"outside the allowlist \(collections.Counter\)"):
        model_io.loads_verified(blob, model_io.sha256_bytes(blob), "model.skops")


def test_training_refuses_a_model_it_could_not_load_again(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlci import model as user_model

    monkeypatch.setattr(user_model, "TRUSTED_TYPES", ())
    monkeypatch.setattr(model_io.untrusted, "__defaults__", ((),))
    params_path = make_project()
    with pytest.raises(ConfigError, match="add them to TRUSTED_TYPES"):
        run_pipeline(load_params(params_path), params_path.parent / "artifacts", StageTimer(quiet=True))
    assert not (params_path.parent / "artifacts").exists()


def test_linear_model_with_scaling(make_project: ProjectFactory) -> None:
    def linear(params: dict[str, object]) -> None:
        params["model"] = {
            "estimator": "logistic_regression",
            "params": {"C": 0.5},
            "pipeline": {"scale_numeric": True},
        }

    params_path = make_project(edit=linear)
    out = params_path.parent / "artifacts"
    run_pipeline(load_params(params_path), out, StageTimer(quiet=True))
    assert json.loads((out / "metrics.json").read_text())["metrics"]["roc_auc"] > 0.9
    model_io.load_model_dir(out)


def test_cli_run_prints_summary_and_progress(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    params_path = make_project("regression")
    assert main(["run", "--params", str(params_path), "--out", str(params_path.parent / "out")]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("rmse ")
    for stage in ("load", "split", "train", "predict", "evaluate", "write"):
        assert f"[mlci] {stage} done in " in captured.err


@pytest.mark.slow
def test_console_script_reports_errors_without_traceback(tmp_path: Path) -> None:
    mlci = Path(sys.executable).parent / "mlci"
    result = subprocess.run(
        [str(mlci), "run", "--params", str(tmp_path / "missing.yaml")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"mlci: error: {tmp_path / 'missing.yaml'}: params file not found (pass --params PATH or run from the project root)"
    )


def test_model_with_types_outside_the_allowlist_is_refused_naming_them() -> None:
    import collections

    import skops.io as sio

    blob = sio.dumps({"counts": collections.Counter(a=1)})
    with pytest.raises(ArtifactError, match=r"x\.skops: holds types outside the allowlist \(collections\.Counter\)"):
        model_io.loads_verified(blob, model_io.sha256_bytes(blob), "x.skops")
    assert model_io.untrusted(blob, allowed=["collections.Counter"]) == []


@pytest.mark.parametrize(
    "labels",
    [["no", "yes"], ["low", "mid", "high"], [0, 1], [3, 5, 7], None],
    ids=["binary text", "multiclass text", "binary integers", "multiclass integers", "regression"],
)
def test_importance_scorers_compute_the_metrics_as_evaluate_does(labels: list[object] | None) -> None:
    """Unshuffled, each scorer gives the holdout metric itself (losses negated, so higher is better)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from mlci.metrics import lower_is_better
    from mlci.training import train
    from mlci.training.evaluate import Predictions, compute_metrics

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    signal = (X["a"] * 2 + X["b"]).to_numpy()
    if labels is None:
        task, y = "regression", pd.Series(signal * 3 + 10 + rng.normal(size=300))
        model = HistGradientBoostingRegressor(max_iter=10).fit(X, y)
        proba, classes = None, ()
    else:
        task = "classification"
        bins = np.quantile(signal, np.linspace(0, 1, len(labels) + 1)[1:-1])
        y = pd.Series(np.asarray(labels)[np.digitize(signal, bins)])
        model = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
        proba, classes = model.predict_proba(X), tuple(model.classes_)
    predictions = Predictions(
        ids=pd.Series(range(300)), y_true=y, y_pred=model.predict(X), proba=proba, classes=classes
    )
    metrics, _ = compute_metrics(task, predictions)
    for name, value in metrics.items():
        assert value is not None
        score = train.importance_scorer(name, task, classes)(model, X, y)
        assert score == pytest.approx(-value if lower_is_better(name) else value, abs=1e-9), name


def test_importance_falls_back_when_the_primary_metric_is_undefined() -> None:
    from mlci.training import train

    assert train.importance_metric("roc_auc", "classification", {"roc_auc": 0.9}) == "roc_auc"
    assert train.importance_metric("roc_auc", "classification", {"roc_auc": None}) == "accuracy"
    assert train.importance_metric("mape", "regression", {"mape": None}) == "mae"
