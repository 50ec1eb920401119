"""The deepchecks runner (in .venv-checks): suite edits from params, not-run checks, HTML that overwrites; the
hand-over files; what the core measures itself. deepchecks is never imported here: those tests run a script
in the checks environment (slow)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.checks import runner
from mlci.checks.frames import check_frame
from mlci.checks.suites import _column, _inference_outcomes, checks_python, measure_inference, place_html
from mlci.cli import main
from mlci.config import parse_params
from mlci.core.errors import ArtifactError, MlciError
from synthetic import synthetic_frame, synthetic_params


def in_checks_env(body: str) -> Any:
    """Run `body` in the checks environment with the runner loaded as `runner`; it prints one JSON line."""
    script = textwrap.dedent(
        f"""
        import importlib.util, json, sys
        spec = importlib.util.spec_from_file_location("runner", {runner.__file__!r})
        runner = sys.modules["runner"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(runner)
        """
    ) + textwrap.dedent(body)
    done = subprocess.run([str(checks_python()), "-I", "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def spec(**entries: Any) -> dict[str, Any]:
    """Check entries as the core hands them over (CheckSpec.model_dump)."""
    base = {"enabled": True, "optional": False, "conditions": None, "params": {}}
    return {name: {**base, **value} for name, value in entries.items()}


CONFIG = {
    "sample_rows": 10_000,
    "seed": 42,
    "feature_importance_timeout": 60,
    "weak_segments": {"n_top_features": 5, "n_samples": 2000},
}


@pytest.mark.slow
def test_suites_are_edited_from_params_in_the_checks_environment() -> None:
    found = in_checks_env(
        f"""
        config = {CONFIG!r}
        names = lambda built: sorted(type(c).__name__ for c in built.suite.checks.values())
        with runner.quiet_deepchecks():
            built = runner.build_suite("model_evaluation", config, {spec(BoostingOverfit={"enabled": False}, WeakSegmentsPerformance={"optional": True})!r}, "classification")
            runner.skip(built, runner.inapplicable(built, has_id=False))
            runner.hand_to_core(built)
            drift = runner.build_suite("drift", config, {spec(TrainTestSamplesMix={})!r}, "regression")
            integrity = runner.build_suite("data_integrity", config, {spec(ClassImbalance={"conditions": {"class_ratio_less_than": {"class_imbalance_ratio_th": 0.2}}, "params": {"n_top_labels": 3}})!r}, "classification")
            weak = next(c for c in built.suite.checks.values() if type(c).__name__ == "WeakSegmentsPerformance")
            imbalance = next(c for c in integrity.suite.checks.values() if type(c).__name__ == "ClassImbalance")
            errors = []
            for suite, entries in (("data_integrity", {spec(DataDuplicatez={})!r}), ("data_integrity", {spec(DataDuplicates={"conditions": {"ratio_below": {}}})!r}), ("data_integrity", {spec(DataDuplicates={"params": {"n_tops": 3}})!r})):
                try:
                    runner.build_suite(suite, config, entries, "classification")
                except runner.SpecError as exc:
                    errors.append([exc.key, exc.message])
        print(json.dumps({{
            "model": names(built), "skipped": built.skipped, "in_core": built.in_core, "optional": built.optional,
            "weak": [weak.n_top_features, weak.n_samples], "drift": names(drift), "drift_skipped": drift.skipped,
            "integrity": names(integrity), "n_top_labels": imbalance.n_top_labels,
            "conditions": [c.name for c in imbalance._conditions.values()], "errors": errors,
        }}))
        """
    )
    assert {"BoostingOverfit", "RegressionErrorDistribution"} <= set(found["skipped"])
    assert "RocReport" in found["model"] and "BoostingOverfit" not in found["model"]
    # the model never crosses: its inference time is measured by the core
    assert found["in_core"] == ["ModelInferenceTime"] and "ModelInferenceTime" not in found["model"]
    assert found["optional"]["WeakSegmentsPerformance"] is True and found["weak"] == [5, 2000]
    assert "TrainTestSamplesMix" in found["drift"]  # named in params: the drift default is overridden
    assert {"IndexTrainTestLeakage", "DateTrainTestLeakageOverlap", "NewLabelTrainTest"} <= set(found["drift_skipped"])
    assert "PercentOfNulls" in found["integrity"] and found["n_top_labels"] == 3
    assert found["conditions"] == [
        "The ratio between least frequent label to most frequent label is less than or equal 0.2"
    ]
    assert found["errors"][0][0] == "checks.data_integrity.DataDuplicatez"
    assert found["errors"][1] == [
        "checks.data_integrity.DataDuplicates.conditions.ratio_below",
        "DataDuplicates has no condition 'ratio_below'; choose from ratio_less_or_equal",
    ]
    assert found["errors"][2] == [
        "checks.data_integrity.DataDuplicates.params.n_tops",
        "DataDuplicates has no argument 'n_tops'",
    ]


@pytest.mark.slow
def test_not_run_checks_fail_unless_optional() -> None:
    outcomes = in_checks_env(
        """
        with runner.quiet_deepchecks():
            from deepchecks.core.check_result import CheckFailure
            from deepchecks.tabular.checks import DataDuplicates, MixedNulls

            class Result:
                results = [CheckFailure(DataDuplicates(), ValueError("no rows\\nmore")), CheckFailure(MixedNulls(), KeyError("x"))]

            outcomes, no_condition = runner.outcomes_of(Result(), {"MixedNulls": True})
        print(json.dumps([[o["check"], o["status"], o["value"], o["optional"]] for o in outcomes] + [no_condition]))
        """
    )
    assert outcomes == [
        ["DataDuplicates", "not-run", "ValueError: no rows", False],
        ["MixedNulls", "not-run", "KeyError: 'x'", True],
        [],
    ]


def test_core_environment_has_no_deepchecks() -> None:
    """deepchecks pins an older stack: it lives in .venv-checks only, and nothing in the core imports it."""
    probe = "import importlib.util, sys; import mlci.cli, mlci.commands.check, mlci.checks.suites; " + (
        "print(importlib.util.find_spec('deepchecks') is None, any(m.startswith('deepchecks') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False"]


def test_frames_cross_with_their_types(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "i": [1, 2, 3],
            "f": [0.1, np.nan, 1e300],
            "s": pd.Series(["a", None, "NA"], dtype="string"),
            "o": ["x", np.nan, "3"],
            "b": [True, False, True],
            "c": pd.Categorical(["u", "v", "u"]),
            "n": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    (tmp_path / "f.json").write_text(json.dumps({"columns": [_column(frame[c]) for c in frame.columns]}))
    back = runner.read_frame(tmp_path / "f.json")
    dtypes = back.dtypes.astype(str).tolist()
    # text is `object` in the checks environment's pandas 2 (`str` under pandas 3, where this test also runs)
    assert [dtypes[i] for i in (0, 1, 4, 6)] == ["int64", "float64", "bool", "float64"]
    assert {dtypes[i] for i in (2, 3, 5)} <= {"object", "str"}
    assert back["f"].iloc[2] == 1e300 and np.isnan(back["f"].iloc[1]) and np.isnan(back["n"].iloc[1])
    assert back["s"].tolist()[::2] == ["a", "NA"] and pd.isna(back["s"].iloc[1])  # "NA" stays text, not empty
    assert back["o"].tolist()[2] == "3" and back["c"].tolist() == ["u", "v", "u"]


class FakeResult:
    """Mimics deepchecks' save_as_html: it never overwrites, it adds a suffix."""

    def save_as_html(self, file: str, as_widget: bool) -> None:
        path = Path(file)
        while path.exists():
            path = path.with_name(path.stem + "_1.html")
        path.write_text(f"report {as_widget}")


def test_html_is_overwritten_in_place(tmp_path: Path) -> None:
    target = tmp_path / "html" / "data_integrity.html"
    runner.save_html(FakeResult(), target)
    target.write_text("old")
    runner.save_html(FakeResult(), target)
    assert target.read_text() == "report False"
    place_html(target, tmp_path / "checks" / "data_integrity.html")
    place_html(target, tmp_path / "checks" / "data_integrity.html")
    assert [p.name for p in (tmp_path / "checks").iterdir()] == ["data_integrity.html"]
    assert [p.name for p in (tmp_path / "html").iterdir()] == ["data_integrity.html"]


def test_unwritable_html_is_an_artifact_error(tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("x")
    (tmp_path / "checks").write_text("a file, not a folder")
    with pytest.raises(ArtifactError, match="cannot write"):
        place_html(tmp_path / "report.html", tmp_path / "checks" / "x.html")


def test_inference_time_keeps_its_params_conditions() -> None:
    def params(entry: Any) -> Any:
        body = synthetic_params("binary")
        body["checks"] = {"model_evaluation": {"ModelInferenceTime": entry}}
        return parse_params(json.dumps(body))

    outcomes, bare = _inference_outcomes(params(True), "model_evaluation", 0.002)
    assert [(o.status, o.condition) for o in outcomes] == [
        ("failed", "Average model inference time for one sample is less than 0.001")
    ] and not bare
    outcomes, _ = _inference_outcomes(
        params({"conditions": {"inference_time_less_than": {"value": 0.01}}}), "model_evaluation", 0.002
    )
    assert [o.status for o in outcomes] == ["passed"] and outcomes[0].value.endswith("0.002")
    assert _inference_outcomes(params({"conditions": {}}), "model_evaluation", 0.002) == ([], True)


def test_inference_time_is_per_row() -> None:
    class Model:
        def predict(self, features: pd.DataFrame) -> None:
            assert len(features) <= 1000

    body = synthetic_params("binary")
    checked = check_frame(synthetic_frame("binary"), parse_params(json.dumps(body)))
    assert 0 < measure_inference(Model(), checked) < 0.001
    assert measure_inference(Model(), checked.subset(np.zeros(checked.rows, dtype=bool))) == 0.0


def test_checks_python_comes_from_the_environment_or_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLCI_CHECKS_PYTHON", sys.executable)
    assert checks_python() == Path(sys.executable)
    monkeypatch.setenv("MLCI_CHECKS_PYTHON", str(tmp_path / "nope"))
    with pytest.raises(MlciError, match="no such interpreter"):
        checks_python()
    monkeypatch.delenv("MLCI_CHECKS_PYTHON")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("mlci.checks.suites.__file__", str(tmp_path / "a" / "b" / "c" / "suites.py"))
    with pytest.raises(MlciError, match="run `make setup`"):
        checks_python()


def _writes_result(folder: Path, result: str) -> str:
    """A stand-in interpreter that answers `python -I runner.py JOB_DIR` with this result.json."""
    script = folder / "fake-python"
    (folder / "result.json").write_text(result)
    script.write_text(f'#!/bin/sh\ncp "{folder / "result.json"}" "$3/result.json"\n')
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("python", "message"),
    [
        ("/nonexistent/python", "no such interpreter"),
        ("/bin/false", "the deepchecks runner failed (exit 1)"),
        ('{"suites": [{"suite": "drift"}]}', "the deepchecks runner wrote an unreadable result"),
        ('{"config_errors": [{"key": 3}]}', "the deepchecks runner wrote an unreadable result"),
    ],
)
def test_a_broken_checks_environment_is_one_line_exit_2(
    make_project: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    python: str,
    message: str,
) -> None:
    params = make_project("binary")
    if python.startswith("{"):
        python = _writes_result(tmp_path, python)
    monkeypatch.setenv("MLCI_CHECKS_PYTHON", python)
    code = main(
        [
            "check",
            "drift",
            "--reference",
            str(params.parent / "data.csv"),
            "--params",
            str(params),
            "--artifacts",
            str(params.parent / "artifacts"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (params.parent / "artifacts").exists()


def test_importance_is_computed_in_the_core_when_the_run_wrote_none() -> None:
    from sklearn.tree import DecisionTreeClassifier

    from mlci.checks.stage import feature_importance

    params = parse_params(json.dumps(synthetic_params("binary")))
    checked = check_frame(synthetic_frame("binary"), params)
    features = checked.frame[["x1", "x2", "noise"]]
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(features, checked.frame["target"])
    narrowed = replace(checked, features=("x1", "x2", "noise"), categorical=())
    importance = feature_importance(model, narrowed, params)
    assert importance is not None and abs(float(importance.sum()) - 1.0) < 1e-9
    assert importance.idxmax() in {"x1", "x2"} and importance["noise"] < importance.max()
    off = parse_params(json.dumps(synthetic_params("binary") | {"checks": {"feature_importance_timeout": 0}}))
    assert feature_importance(model, narrowed, off) is None
