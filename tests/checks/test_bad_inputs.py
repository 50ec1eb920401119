"""Each bad input makes the right `mlci check` command exit 1 naming the failing check (deepchecks: slow).

Every scenario runs its command once (module-scoped) and its tests assert on the JSON summaries and stdout.
Scenarios that share one run put each defect in its own column, so every assertion points at one defect.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from mlci.checks.frames import check_frame, split_masks
from mlci.cli import main
from mlci.config import load_params
from synthetic import EXAMPLE, synthetic_frame, synthetic_params, write_project

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str
    folder: Path

    def summary(self, suite: str) -> dict[str, Any]:
        return json.loads((self.folder / "artifacts" / "checks" / f"{suite}.json").read_text())

    def statuses(self, suite: str, check: str) -> set[str]:
        return {c["status"] for c in self.summary(suite)["checks"] if c["check"] == check}

    def values(self, suite: str, check: str) -> str:
        return " | ".join(c["value"] for c in self.summary(suite)["checks"] if c["check"] == check)

    def failed_line(self, suite: str, check: str) -> bool:
        return any(line.startswith(f"FAILED {suite}: {check}: ") for line in self.out.splitlines())


def run_cli(folder: Path, *args: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--params", str(folder / "params.yaml"), "--artifacts", str(folder / "artifacts")])
    assert "Traceback" not in err.getvalue()
    return Result(code, out.getvalue(), err.getvalue(), folder)


def project(folder: Path, clean: pd.DataFrame, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """A synthetic project whose schema was inferred from `clean` (so a later bad data.csv breaks it)."""
    params = synthetic_params("binary")
    params["gates"] = {"min": {"roc_auc": 0.7}}
    if edit is not None:
        edit(params)
    write_project(folder, clean, params)
    assert main(["check", "data", "--infer", "--params", str(folder / "params.yaml")]) == 0
    return folder


def test_clean_synthetic_data_passes(tmp_path: Path) -> None:
    result = run_cli(project(tmp_path, synthetic_frame("binary")), "check", "data")
    assert result.code == 0, result.out
    assert [line for line in result.out.splitlines() if line.startswith("FAILED")] == []
    assert sorted(p.name for p in (tmp_path / "artifacts" / "checks").iterdir()) == [
        "data_integrity.html",
        "data_integrity.json",
        "schema.json",
        "train_test_validation.html",
        "train_test_validation.json",
    ]


# --- the "Done when" case: bundled data, a third of its rows duplicated, half of one column blanked ---------------


@pytest.fixture(scope="module")
def duplicated_and_blanked(tmp_path_factory: pytest.TempPathFactory) -> Result:
    folder = tmp_path_factory.mktemp("bundled_bad")
    shutil.copy(EXAMPLE / "params.yaml", folder / "params.yaml")
    (folder / "data").mkdir()
    shutil.copy(EXAMPLE / "data" / "schema.yaml", folder / "data" / "schema.yaml")
    frame = pd.read_csv(EXAMPLE / "data" / "abalone.csv")
    frame.loc[frame.sample(frac=0.5, random_state=1).index, "length"] = np.nan
    frame = pd.concat([frame, frame.iloc[: len(frame) // 3]], ignore_index=True)
    frame.to_csv(folder / "data" / "abalone.csv", index=False)
    return run_cli(folder, "check", "data")


def test_duplicates_fail_data_integrity(duplicated_and_blanked: Result) -> None:
    result = duplicated_and_blanked
    assert result.code == 1
    assert result.statuses("data_integrity", "DataDuplicates") == {"warned"}  # deepchecks grades it "warn"; it gates
    assert "25% duplicate data" in result.values("data_integrity", "DataDuplicates")
    assert result.failed_line("data_integrity", "DataDuplicates")
    assert result.statuses("schema", "column:id") == {"failed"}


def test_half_blank_column_fails_nulls_and_schema(duplicated_and_blanked: Result) -> None:
    result = duplicated_and_blanked
    assert result.statuses("data_integrity", "PercentOfNulls") == {"failed"}
    assert "length" in result.values("data_integrity", "PercentOfNulls")
    assert result.failed_line("data_integrity", "PercentOfNulls")
    assert "rows fail" in result.values("schema", "column:length")
    assert result.statuses("schema", "column:diameter") == {"passed"}


# --- broken columns: all-NaN, renamed, numeric turned into text (one run, one column each) ------------------------


@pytest.fixture(scope="module")
def broken_columns(tmp_path_factory: pytest.TempPathFactory) -> Result:
    folder = project(tmp_path_factory.mktemp("broken"), synthetic_frame("binary"))
    frame = synthetic_frame("binary").assign(noise=np.nan).rename(columns={"x2": "x2_renamed"})
    frame["x1"] = np.where(frame["x1"] > 0, "high", "low")
    frame.to_csv(folder / "data.csv", index=False)
    return run_cli(folder, "check", "data")


def test_all_nan_column(broken_columns: Result) -> None:
    assert broken_columns.code == 1
    assert broken_columns.statuses("data_integrity", "PercentOfNulls") == {"failed"}
    assert "noise" in broken_columns.values("data_integrity", "PercentOfNulls")
    assert broken_columns.values("schema", "column:noise").startswith("400 rows fail")
    assert broken_columns.failed_line("schema", "column:noise")


def test_renamed_column(broken_columns: Result) -> None:
    assert broken_columns.values("schema", "column:x2") == "column not found in the data"
    assert broken_columns.statuses("schema", "column:x2_renamed") == {"failed"}


def test_numeric_column_turned_into_text(broken_columns: Result) -> None:
    assert "e.g. 'high'" in broken_columns.values("schema", "column:x1") or "e.g. 'low'" in broken_columns.values(
        "schema", "column:x1"
    )
    assert broken_columns.failed_line("schema", "column:x1")
    assert broken_columns.statuses("schema", "column:colour") == {"passed"}


# --- leakage and an unseen category (one run, different columns) ---------------------------------------------------


@pytest.fixture(scope="module")
def leak_and_new_category(tmp_path_factory: pytest.TempPathFactory) -> Result:
    clean = synthetic_frame("binary")
    folder = project(tmp_path_factory.mktemp("leak"), clean.assign(leak=0.0))
    params = load_params(folder / "params.yaml")
    frame = clean.assign(leak=(clean["target"] == "yes").astype(float))
    test_rows = split_masks(check_frame(frame, params), params)
    frame.loc[np.flatnonzero(test_rows)[:20], "colour"] = "purple"
    frame.to_csv(folder / "data.csv", index=False)
    return run_cli(folder, "check", "data")


def test_feature_equal_to_label(leak_and_new_category: Result) -> None:
    result = leak_and_new_category
    assert result.code == 1
    assert result.statuses("data_integrity", "FeatureLabelCorrelation") == {"failed"}
    assert "leak" in result.values("data_integrity", "FeatureLabelCorrelation")
    assert result.failed_line("data_integrity", "FeatureLabelCorrelation")


def test_unseen_category(leak_and_new_category: Result) -> None:
    result = leak_and_new_category
    assert result.statuses("train_test_validation", "NewCategoryTrainTest") == {"failed"}
    assert "colour" in result.values("train_test_validation", "NewCategoryTrainTest")
    assert "'purple'" in result.values("schema", "column:colour")


# --- train and test from different distributions: in the split, and against a reference ---------------------------


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clean = synthetic_frame("binary")
    folder = project(tmp_path_factory.mktemp("shifted"), clean, edit=lambda p: p.update(checks={"sample_rows": 1000}))
    clean.to_csv(folder / "reference.csv", index=False)
    return folder


def test_split_from_different_distributions(shifted: Path) -> None:
    params = load_params(shifted / "params.yaml")
    frame = synthetic_frame("binary")
    frame.loc[split_masks(check_frame(frame, params), params), "x1"] += 4.0
    frame.to_csv(shifted / "data.csv", index=False)
    result = run_cli(shifted, "check", "data")
    assert result.code == 1
    assert result.statuses("train_test_validation", "FeatureDrift") == {"failed"}
    assert "x1" in result.values("train_test_validation", "FeatureDrift")
    assert result.failed_line("train_test_validation", "FeatureDrift")


def test_drift_against_reference(shifted: Path) -> None:
    synthetic_frame("binary").assign(x1=lambda f: f["x1"] + 4.0).to_csv(shifted / "data.csv", index=False)
    result = run_cli(shifted, "check", "drift", "--reference", str(shifted / "reference.csv"))
    assert result.code == 1
    summary = result.summary("drift")
    assert summary["rows"] == {"train": 400, "test": 400}
    assert result.statuses("drift", "FeatureDrift") == {"failed"}
    assert {"TrainTestSamplesMix", "IndexTrainTestLeakage"} <= set(summary["skipped"])
    assert result.failed_line("drift", "FeatureDrift")


def test_no_drift_against_itself(shifted: Path) -> None:
    synthetic_frame("binary").to_csv(shifted / "data.csv", index=False)
    result = run_cli(shifted, "check", "drift", "--reference", str(shifted / "reference.csv"))
    assert result.code == 0, result.out


# --- an empty holdout ------------------------------------------------------------------------------------------------


def test_empty_holdout_fails_the_split_check(tmp_path: Path) -> None:
    folder = project(tmp_path, synthetic_frame("binary"), edit=lambda p: p["split"].update(test_size=1e-9))
    result = run_cli(folder, "check", "data")
    assert result.code == 1
    assert result.statuses("train_test_validation", "split") == {"failed"}
    assert "test 0 rows" in result.values("train_test_validation", "split")
    assert result.failed_line("train_test_validation", "split")
    assert not (folder / "artifacts" / "checks" / "train_test_validation.html").exists()


def test_empty_holdout_fails_the_model_check(tmp_path: Path, trained_run: Path) -> None:
    shutil.copytree(trained_run, tmp_path / "artifacts")
    text = (EXAMPLE / "params.yaml").read_text().replace("test_size: 0.25", "test_size: 0.000000001")
    text = text.replace("path: data/abalone.csv", f"path: {EXAMPLE / 'data' / 'abalone.csv'}")
    (tmp_path / "params.yaml").write_text(text)
    result = run_cli(tmp_path, "check", "model")
    assert result.code == 1
    assert result.statuses("model_evaluation", "split") == {"failed"}
    assert result.failed_line("model_evaluation", "split")


# --- the label shuffled: performance collapses -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shuffled_label(tmp_path_factory: pytest.TempPathFactory) -> Result:
    frame = synthetic_frame("binary")
    frame["target"] = np.random.default_rng(5).permutation(frame["target"].to_numpy())
    folder = project(tmp_path_factory.mktemp("shuffled"), frame)
    assert main(["run", "--params", str(folder / "params.yaml"), "--out", str(folder / "artifacts")]) == 0
    return run_cli(folder, "check", "model")


def test_shuffled_label_fails_roc_and_gates(shuffled_label: Result) -> None:
    result = shuffled_label
    assert result.code == 1
    assert "failed" in result.statuses("model_evaluation", "RocReport")
    assert result.failed_line("model_evaluation", "RocReport")
    assert result.statuses("gates", "gates.min.roc_auc") == {"failed"}
    assert result.failed_line("gates", "gates.min.roc_auc")


# --- the bundled data and model pass ------------------------------------------------------------------------------


def test_bundled_data_and_model_pass(tmp_path: Path, trained_run: Path) -> None:
    shutil.copytree(trained_run, tmp_path / "artifacts")
    shutil.copy(EXAMPLE / "params.yaml", tmp_path / "params.yaml")
    shutil.copytree(EXAMPLE / "data", tmp_path / "data")
    data = run_cli(tmp_path, "check", "data")
    assert data.code == 0, data.out
    model = run_cli(tmp_path, "check", "model")
    assert model.code == 0, model.out
    summary = model.summary("model_evaluation")
    assert summary["rows"] == {"train": 3136, "test": 1041} and summary["html"] == "model_evaluation.html"
    assert {c["check"] for c in model.summary("gates")["checks"]} == {
        "gates.min.roc_auc",
        "gates.min.accuracy",
        "gates.min_class_recall",
    }
    assert "BoostingOverfit" in summary["skipped"] and "RegressionErrorDistribution" in summary["skipped"]


# --- config mistakes: exit 2 naming the key, before anything runs -----------------------------------------------------


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ({"data_integrity": {"DataDuplicatez": False}}, "unknown deepchecks check 'DataDuplicatez'"),
        (
            {"data_integrity": {"DataDuplicates": {"conditions": {"ratio_below": {}}}}},
            "DataDuplicates has no condition 'ratio_below'; choose from ratio_less_or_equal",
        ),
        (
            {"train_test_validation": {"FeatureDrift": {"conditions": {"drift_score_less_than": {"bogus": 1}}}}},
            "checks.train_test_validation.FeatureDrift.conditions.drift_score_less_than: ",
        ),
        ({"data_integrity": {"DataDuplicates": {"params": {"n_tops": 3}}}}, "DataDuplicates has no argument 'n_tops'"),
    ],
)
def test_config_errors_exit_2(tmp_path: Path, checks: dict[str, Any], message: str) -> None:
    schema = {"columns": {"x1": {"dtype": "float"}}, "strict": False}
    params = synthetic_params("binary") | {"checks": {"schema_file": None, "schema": schema, **checks}}
    write_project(tmp_path, synthetic_frame("binary"), params)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    result = run_cli(tmp_path, "check", "data")
    assert result.code == 2
    assert message in result.err and "params.yaml:" in result.err
    assert not (tmp_path / "artifacts").exists()
