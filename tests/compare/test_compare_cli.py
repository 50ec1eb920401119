"""`mlci compare`, `mlci report` and `mlci run --baseline` end to end, and every bad baseline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from mlci.cli import main
from mlci.comparison.report import MARKER
from synthetic import EXAMPLE, synthetic_frame, synthetic_params, write_project

LIMIT = 65_536


def _run(params: Path, out: Path, *extra: str) -> int:
    return main(["run", "--params", str(params), "--out", str(out), *extra])


@pytest.fixture(scope="module")
def binary_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(params.yaml, artifacts) of one small binary run with a regression gate; copy before changing."""
    folder = tmp_path_factory.mktemp("binary")
    params = synthetic_params("binary")
    params["gates"] = {"max_regression": {"roc_auc": 0.01, "accuracy": 0.02}}
    path = write_project(folder / "project", synthetic_frame("binary"), params)
    assert _run(path, folder / "base") == 0
    return path, folder / "base"


def _copy(folder: Path, tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(folder, tmp_path / name))


def _report(folder: Path) -> str:
    return (folder / "report.md").read_text(encoding="utf-8")


def _comparison(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "comparison.json").read_text(encoding="utf-8"))


def _assert_clean_report(text: str) -> None:
    assert text.startswith(MARKER + "\n")
    assert "```mermaid" in text
    assert "![" not in text
    assert len(text) < LIMIT


# --- the "done when" lines on the bundled data ---


@pytest.mark.slow
def test_identical_bundled_model_is_no_significant_change(trained_run: Path, tmp_path: Path) -> None:
    baseline, candidate = _copy(trained_run, tmp_path, "main"), _copy(trained_run, tmp_path, "pr")
    params = str(EXAMPLE / "params.yaml")
    assert main(["compare", "--params", params, "--artifacts", str(candidate), "--baseline", str(baseline)]) == 0
    assert main(["report", "--params", params, "--artifacts", str(candidate)]) == 0
    text = _report(candidate)
    _assert_clean_report(text)
    assert text.splitlines()[1].startswith("**mlci: no significant change**")
    comparison = _comparison(candidate)
    assert comparison["like_for_like"] and comparison["gate"]["status"] == "passed"
    assert all(row["delta"] == 0 and not row["significant"] for row in comparison["metrics"])


@pytest.mark.slow
def test_bundled_model_without_its_best_features_is_a_significant_regression(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = yaml.safe_load((EXAMPLE / "params.yaml").read_text(encoding="utf-8"))
    raw["data"]["path"] = str(EXAMPLE / raw["data"]["path"])
    raw["data"]["ignore_columns"] = ["shell_weight", "whole_weight", "diameter", "length"]
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw), encoding="utf-8")
    baseline = _copy(trained_run, tmp_path, "main")
    assert _run(params, tmp_path / "pr", "--baseline", str(baseline)) == 1
    assert "regression gate failed: roc_auc dropped" in capsys.readouterr().err
    text = _report(tmp_path / "pr")
    _assert_clean_report(text)
    assert text.splitlines()[1].startswith("**mlci: worse**")
    assert "gate **failed**" in text
    primary = _comparison(tmp_path / "pr")["metrics"][0]
    assert primary["significant"] and primary["direction"] == "worse" and primary["ci_high"] < -0.01


# --- small generated projects ---


@pytest.mark.slow
def test_run_with_baseline_on_an_identical_model_passes(binary_base: tuple[Path, Path], tmp_path: Path) -> None:
    params, base = binary_base
    assert _run(params, tmp_path / "pr", "--baseline", str(base), "--baseline-source", "rebuilt from main") == 0
    text = _report(tmp_path / "pr")
    _assert_clean_report(text)
    assert "no significant change" in text and "Baseline: rebuilt from main." in text
    assert "McNemar exact" in text


@pytest.mark.slow
def test_dropping_the_strongest_feature_fails_the_gate(binary_base: tuple[Path, Path], tmp_path: Path) -> None:
    params, base = binary_base
    raw = yaml.safe_load(params.read_text(encoding="utf-8"))
    raw["data"]["ignore_columns"] = ["x1"]
    worse = write_project(tmp_path / "worse", synthetic_frame("binary"), raw)
    assert _run(worse, tmp_path / "pr", "--baseline", str(base)) == 1
    comparison = _comparison(tmp_path / "pr")
    assert comparison["verdict"] == "worse" and comparison["gate"]["status"] == "failed"
    assert {"key": "data.ignore_columns", "change": "changed", "baseline": [], "candidate": ["x1"]} in comparison[
        "params_diff"
    ]
    assert "**mlci: worse**" in _report(tmp_path / "pr")


@pytest.mark.slow
def test_regression_runs_use_paired_error_tests(tmp_path: Path) -> None:
    params = write_project(tmp_path / "p", synthetic_frame("regression"), synthetic_params("regression"))
    assert _run(params, tmp_path / "base") == 0
    raw = synthetic_params("regression")
    raw["model"]["params"]["max_iter"] = 3
    raw["gates"] = {"max_regression": {"rmse": 0.5}}
    worse = write_project(tmp_path / "w", synthetic_frame("regression"), raw)
    assert _run(worse, tmp_path / "pr", "--baseline", str(tmp_path / "base")) == 1
    rows = {row["name"]: row for row in _comparison(tmp_path / "pr")["metrics"]}
    assert rows["rmse"]["test"] == "paired t squared error" and rows["rmse"]["p_value"] < 0.05
    assert rows["mae"]["test"] == "Wilcoxon |error|" and rows["rmse"]["gate"] == "failed"
    assert rows["r2"]["direction"] == "worse" and rows["r2"]["gate"] == "n/a"


@pytest.mark.slow
def test_a_missing_column_falls_back_to_each_own_holdout(tmp_path: Path) -> None:
    frame = synthetic_frame("binary")
    frame["extra"] = frame["x1"] * 2
    params = write_project(tmp_path / "main", frame, synthetic_params("binary"))
    assert _run(params, tmp_path / "base") == 0
    candidate = write_project(tmp_path / "pr", frame.drop(columns=["extra"]), synthetic_params("binary"))
    assert _run(candidate, tmp_path / "out", "--baseline", str(tmp_path / "base")) == 0
    comparison = _comparison(tmp_path / "out")
    assert not comparison["like_for_like"] and not comparison["bootstrap"]["paired"]
    assert comparison["not_like_for_like_reason"] == "column 'extra' that the baseline model needs is not in data.csv"
    assert "**Not like for like:**" in _report(tmp_path / "out")


# --- a baseline that answers another question: nothing compared, gates.incomparable decides ---


def _assert_not_compared(folder: Path, reason: str, gate: str) -> str:
    comparison = _comparison(folder)
    assert comparison["comparable"] is False and comparison["status"] == "incomparable"
    assert comparison["reason"] == reason and comparison["gate"]["status"] == gate
    assert "metrics" not in comparison  # no deltas: no metric means the same for both models
    text = _report(folder)
    _assert_clean_report(text)
    assert text.splitlines()[1] == (
        f"**mlci: not compared** (the baseline answers another question) · {reason} · "
        f"gate **{gate}** (gates.incomparable: {'pass' if gate == 'passed' else 'fail'})"
    )
    assert f"> **Nothing was compared with the baseline:** {reason}." in text
    return text


@pytest.mark.slow
def test_other_class_labels_are_incomparable_and_pass_with_a_warning(
    binary_base: tuple[Path, Path], tmp_path: Path
) -> None:
    _, base = binary_base
    frame = synthetic_frame("binary")
    frame["target"] = frame["target"].map({"yes": "pos", "no": "neg"})
    params = synthetic_params("binary")
    assert _run(write_project(tmp_path / "pr", frame, params), tmp_path / "out", "--baseline", str(base)) == 0
    reason = "the baseline model predicts classes ['no', 'yes'], this run has ['neg', 'pos']"
    text = _assert_not_compared(tmp_path / "out", reason, "passed")
    assert "> [!WARNING]" in text and "`gates.incomparable` is `pass`" in text
    assert "| roc_auc | 0.9" in text  # this run's own metrics are still shown


@pytest.mark.slow
def test_a_pull_request_that_changes_the_target_can_pass_or_fail_by_gates_incomparable(
    binary_base: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, base = binary_base
    frame = synthetic_frame("binary").rename(columns={"target": "label"})
    params = synthetic_params("binary")
    params["data"]["target"] = "label"
    project = write_project(tmp_path / "pr", frame, params)
    assert _run(project, tmp_path / "out", "--baseline", str(base)) == 0
    reason = "the baseline predicts 'target', this run predicts 'label'"
    _assert_not_compared(tmp_path / "out", reason, "passed")
    assert '| `data.target` | "target" | "label" |' in _report(tmp_path / "out")  # what changed is still listed
    params["gates"] = {"incomparable": "fail"}
    strict = write_project(tmp_path / "strict", frame, params)
    capsys.readouterr()
    assert (
        main(["compare", "--params", str(strict), "--artifacts", str(tmp_path / "out"), "--baseline", str(base)]) == 1
    )
    err = capsys.readouterr().err
    assert err == f"mlci: error: compare gate failed: nothing was compared: {reason} (gates.incomparable: fail)\n"
    assert main(["report", "--params", str(strict), "--artifacts", str(tmp_path / "out")]) == 0
    text = _assert_not_compared(tmp_path / "out", reason, "failed")
    assert "> [!CAUTION]" in text and "`gates.incomparable` is `fail`" in text


@pytest.mark.slow
def test_a_baseline_of_another_task_is_incomparable(binary_base: tuple[Path, Path], tmp_path: Path) -> None:
    params, base = binary_base
    regression = write_project(tmp_path / "main", synthetic_frame("regression"), synthetic_params("regression"))
    assert _run(regression, tmp_path / "regression") == 0
    candidate = _copy(base, tmp_path, "pr")
    code = main(
        ["compare", "--params", str(params), "--artifacts", str(candidate), "--baseline", str(tmp_path / "regression")]
    )
    assert code == 0
    assert main(["report", "--params", str(params), "--artifacts", str(candidate)]) == 0
    _assert_not_compared(candidate, "the baseline is a regression model, this run is classification", "passed")


def test_no_baseline_says_so_and_passes(binary_base: tuple[Path, Path], tmp_path: Path) -> None:
    params, base = binary_base
    candidate = _copy(base, tmp_path, "pr")
    assert main(["compare", "--params", str(params), "--artifacts", str(candidate)]) == 0
    assert main(["report", "--params", str(params), "--artifacts", str(candidate)]) == 0
    text = _report(candidate)
    _assert_clean_report(text)
    assert "no baseline to compare with" in text and "gate **passed**" in text


def test_publish_images_embeds_the_plots(binary_base: tuple[Path, Path], tmp_path: Path) -> None:
    params, base = binary_base
    raw = yaml.safe_load(params.read_text(encoding="utf-8"))
    raw["report"] = {"publish_images": True}
    opted = write_project(tmp_path / "p", synthetic_frame("binary"), raw)
    candidate = _copy(base, tmp_path, "pr")
    assert main(["compare", "--params", str(opted), "--artifacts", str(candidate), "--baseline", str(base)]) == 0
    assert main(["report", "--params", str(opted), "--artifacts", str(candidate)]) == 0
    assert "](plots/" in _report(candidate)


# --- bad input: one line naming the file, exit 2, nothing written ---


def _edit_json(path: Path, change: Any) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    change(payload)
    path.write_text(json.dumps(payload), encoding="utf-8")


def _flip_byte(path: Path) -> None:
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))


BAD_BASELINES = {
    "missing folder": (shutil.rmtree, "baseline folder not found"),
    "a file": (lambda b: (shutil.rmtree(b), b.write_text("x")), "baseline path is not a folder"),
    "incomplete": (lambda b: (b / "model.skops").unlink(), "model.skops: missing; the baseline folder is incomplete"),
    "broken json": (lambda b: (b / "metrics.json").write_text("{"), "metrics.json: not valid JSON (line 1"),
    "not an object": (lambda b: (b / "params.json").write_text("[]"), "params.json: expected a JSON object"),
    "newer format": (
        lambda b: _edit_json(b / "metrics.json", lambda p: p.update(format_version=99)),
        "metrics.json: format_version 99 is newer than this mlci understands (1)",
    ),
    "no format": (
        lambda b: _edit_json(b / "run.json", lambda p: p.pop("format_version")),
        "run.json: format_version is missing or not an integer",
    ),
    "run key": (lambda b: _edit_json(b / "run.json", lambda p: p.pop("target")), "run.json: key 'target' is missing"),
    "metrics key": (
        lambda b: _edit_json(b / "metrics.json", lambda p: p.update(metrics=[])),
        "metrics.json: key 'metrics' is missing or not an object",
    ),
    "tampered model": (lambda b: _flip_byte(b / "model.skops"), "refusing to load a tampered or wrong model"),
    "mixed-up hash": (
        lambda b: (b / "model.sha256").write_text("0" * 64 + "  model.skops\n"),
        "model.sha256: does not match the model sha256 in run.json",
    ),
    "predictions column": (
        lambda b: (
            pd.read_csv(b / "predictions.csv").drop(columns=["proba_yes"]).to_csv(b / "predictions.csv", index=False)
        ),
        "predictions.csv: column 'proba_yes' is missing",
    ),
    "predictions label": (
        lambda b: (b / "predictions.csv").write_text(
            (b / "predictions.csv").read_text().replace(",yes,", ",maybe,", 1), encoding="utf-8"
        ),
        "predictions.csv: label 'maybe' is not one of the classes ['no', 'yes']",
    ),
    "predictions unreadable": (
        lambda b: (b / "predictions.csv").write_bytes(b""),
        "predictions.csv: cannot parse: EmptyDataError",
    ),
}


@pytest.mark.parametrize("case", list(BAD_BASELINES))
def test_bad_baselines_are_refused_with_one_line(
    case: str, binary_base: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params, base = binary_base
    baseline, candidate = _copy(base, tmp_path, "main"), _copy(base, tmp_path, "pr")
    damage, message = BAD_BASELINES[case]
    damage(baseline)
    code = main(["compare", "--params", str(params), "--artifacts", str(candidate), "--baseline", str(baseline)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and str(baseline) in err and err.count("\n") == 1
    assert not (candidate / "comparison.json").exists()


@pytest.mark.parametrize("case", ["tampered model", "newer format", "missing folder"])
def test_a_bad_baseline_to_run_fails_before_training_and_keeps_the_folder(
    case: str, binary_base: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params, base = binary_base
    baseline, out = _copy(base, tmp_path, "main"), _copy(base, tmp_path, "out")
    assert main(["compare", "--params", str(params), "--artifacts", str(out)]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    damage, message = BAD_BASELINES[case]
    damage(baseline)
    capsys.readouterr()
    assert _run(params, out, "--baseline", str(baseline)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err  # no "[mlci] train ..." line: it never trained
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert _run(params, out, "--baseline", str(out)) == 2
    assert "the baseline is this run's own folder" in capsys.readouterr().err


@pytest.mark.slow
def test_a_compare_failure_after_training_keeps_the_previous_folder(
    binary_base: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlci.core import model_io
    from mlci.core.errors import ArtifactError

    params, base = binary_base
    out = _copy(base, tmp_path, "out")
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def unloadable(folder: Path) -> None:
        raise ArtifactError(f"{folder / 'model.skops'}: cannot load model: ValueError: bad zip")

    monkeypatch.setattr(model_io, "load_model_dir", unloadable)
    assert _run(params, out, "--baseline", str(base)) == 2
    assert "cannot load model" in capsys.readouterr().err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no staging folder left behind


def test_a_failed_compare_leaves_no_stale_comparison_for_report_or_govern(
    binary_base: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params, base = binary_base
    baseline, candidate = _copy(base, tmp_path, "main"), _copy(base, tmp_path, "pr")
    assert main(["compare", "--params", str(params), "--artifacts", str(candidate)]) == 0
    assert main(["report", "--params", str(params), "--artifacts", str(candidate)]) == 0
    assert "gate **passed**" in _report(candidate)
    _flip_byte(baseline / "model.skops")
    capsys.readouterr()
    assert main(["compare", "--params", str(params), "--artifacts", str(candidate), "--baseline", str(baseline)]) == 2
    assert "refusing to load a tampered or wrong model" in capsys.readouterr().err
    assert not (candidate / "comparison.json").exists() and not (candidate / "report.md").exists()
    assert main(["report", "--params", str(params), "--artifacts", str(candidate)]) == 2
    assert "comparison.json: missing; run `mlci compare`" in capsys.readouterr().err
    assert not (candidate / "report.md").exists()
    main(["govern", "--params", str(params), "--artifacts", str(candidate), "--no-ci"])
    rules = {r["name"]: r for r in _read_json(candidate / "governance.json")["rules"]}
    assert rules["compare_gate"]["status"] == "not evaluated"
    assert rules["compare_gate"]["reason"].startswith("comparison.json missing")


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_run_report_says_how_to_add_the_checks(binary_base: tuple[Path, Path], tmp_path: Path) -> None:
    params, base = binary_base
    assert _run(params, tmp_path / "pr", "--baseline", str(base)) == 0
    text = _report(tmp_path / "pr")
    assert "`mlci check data` and `mlci check model` (`make check`) write them, then `mlci report` adds them" in text


def test_candidate_folder_problems_exit_2(
    binary_base: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params, base = binary_base
    assert main(["compare", "--params", str(params), "--artifacts", str(tmp_path / "none")]) == 2
    assert "artifacts folder not found" in capsys.readouterr().err
    assert main(["compare", "--params", str(params), "--artifacts", str(base), "--baseline", str(base)]) == 2
    assert "the baseline is this run's own folder" in capsys.readouterr().err
    raw = yaml.safe_load(params.read_text(encoding="utf-8"))
    raw["data"]["target"] = "x2"
    other = write_project(tmp_path / "other", synthetic_frame("binary"), raw)
    assert main(["compare", "--params", str(other), "--artifacts", str(base)]) == 2
    assert "but params.yaml says classification / 'x2'; rerun `mlci run`" in capsys.readouterr().err
    changed = write_project(tmp_path / "changed", synthetic_frame("binary", seed=5), yaml.safe_load(params.read_text()))
    candidate = _copy(base, tmp_path, "pr")
    assert main(["compare", "--params", str(changed), "--artifacts", str(candidate), "--baseline", str(base)]) == 2
    assert "data.csv: changed since" in capsys.readouterr().err


def test_report_needs_a_current_comparison(
    binary_base: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params, base = binary_base
    candidate = _copy(base, tmp_path, "pr")
    assert main(["report", "--params", str(params), "--artifacts", str(candidate)]) == 2
    assert "comparison.json: missing; run `mlci compare`" in capsys.readouterr().err
    (candidate / "comparison.json").write_text("{", encoding="utf-8")
    assert main(["report", "--params", str(params), "--artifacts", str(candidate)]) == 2
    assert "comparison.json: not valid JSON" in capsys.readouterr().err
    (candidate / "comparison.json").write_text("[]", encoding="utf-8")
    assert main(["report", "--params", str(params), "--artifacts", str(candidate)]) == 2
    assert "not a comparison written by `mlci compare`" in capsys.readouterr().err
    assert main(["compare", "--params", str(params), "--artifacts", str(candidate)]) == 0
    (candidate / "model.sha256").write_text("f" * 64 + "  model.skops\n", encoding="utf-8")
    assert main(["report", "--params", str(params), "--artifacts", str(candidate)]) == 2
    assert "compares another model than" in capsys.readouterr().err
    assert not (candidate / "report.md").exists()


def test_report_section_is_validated(
    binary_base: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params, _ = binary_base
    raw = yaml.safe_load(params.read_text(encoding="utf-8"))
    raw["report"] = {"max_chars": 70000}
    bad = write_project(tmp_path / "p", synthetic_frame("binary"), raw)
    assert main(["config", "--check", "--params", str(bad)]) == 2
    assert "report.max_chars" in capsys.readouterr().err


def test_gates_incomparable_is_validated(
    binary_base: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params, _ = binary_base
    raw = yaml.safe_load(params.read_text(encoding="utf-8"))
    raw["gates"] = {"incomparable": "maybe"}
    bad = write_project(tmp_path / "p", synthetic_frame("binary"), raw)
    assert main(["config", "--check", "--params", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "gates.incomparable" in err and err.count("\n") == 1
