"""The artifacts folder's files against their models: what `mlci run` writes reads back unchanged, and a file
that does not match its model is one line naming the file and the key, exit 2."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlci.checks.outcome import SuiteSummary, write_summary
from mlci.cli import main
from mlci.core import artifacts
from mlci.core.artifacts import CheckEntry, ComparisonFile, MetricsFile, RunFile, dumps_json


@pytest.mark.parametrize(("name", "model"), [(artifacts.RUN, RunFile), (artifacts.METRICS, MetricsFile)])
def test_run_files_read_back_byte_identical(trained_run: Path, name: str, model: type[Any]) -> None:
    text = (trained_run / name).read_text(encoding="utf-8")
    assert dumps_json(model.model_validate(json.loads(text)).dump()) == text


def test_check_summary_reads_back_byte_identical(tmp_path: Path) -> None:
    outcomes = (
        CheckEntry(
            check="MixedNulls", name="Mixed Nulls", condition="at most 1 null type", status="passed", value="ok"
        ),
        CheckEntry(
            check="DataDuplicates",
            name="Duplicates",
            condition="ratio <= 5%",
            status="failed",
            value="33%",
            hint="drop the duplicates",
        ),
    )
    rows: dict[str, int | None] = {"train": 10, "test": None}
    summary = SuiteSummary("data_integrity", "mlci check data", outcomes, rows, rows, 100, duration_seconds=1.234)
    path = write_summary(tmp_path, summary)
    text = path.read_text(encoding="utf-8")
    parsed = artifacts.read_model(artifacts.CheckSummary, path, "")
    assert dumps_json(parsed.dump()) == text
    assert "hint" not in json.loads(text)["checks"][0]  # a check without a hint has no `hint` key
    assert parsed.passed is False and parsed.checks[1].hint == "drop the duplicates"


def _copy(trained_run: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(trained_run, target)
    return target


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    change(payload)
    path.write_text(json.dumps(payload), encoding="utf-8")


def _set(payload: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        payload = payload[key]
    payload[last] = value


MALFORMED_RUNS = {
    "model hash not text": (
        artifacts.RUN,
        "model.sha256",
        7,
        "run.json: key 'model.sha256': input should be a valid string",
    ),
    "unknown task": (artifacts.RUN, "task", "ranking", "run.json: key 'task': input should be 'classification' or"),
    "rows not a number": (
        artifacts.METRICS,
        "rows.test",
        "many",
        "metrics.json: key 'rows.test': input should be a valid",
    ),
    "newer format": (artifacts.METRICS, "format_version", 2, "metrics.json: format_version 2 is newer than this mlci"),
}


@pytest.mark.parametrize("case", list(MALFORMED_RUNS))
def test_a_malformed_baseline_is_one_line_naming_file_and_key(
    case: str, trained_run: Path, bundled_params: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, key, value, message = MALFORMED_RUNS[case]
    baseline, candidate = _copy(trained_run, tmp_path, "main"), _copy(trained_run, tmp_path, "pr")
    _edit(baseline / name, lambda payload: _set(payload, key, value))
    params = str(bundled_params.root / "params.yaml")
    code = main(["compare", "--params", params, "--artifacts", str(candidate), "--baseline", str(baseline)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("mlci: error: ") and message in err
    assert "Traceback" not in err and "validation error" not in err  # pydantic's own text is never shown raw


def test_a_malformed_comparison_is_refused_by_the_report(
    trained_run: Path, bundled_params: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = _copy(trained_run, tmp_path, "pr")
    params = str(bundled_params.root / "params.yaml")
    assert main(["compare", "--params", params, "--artifacts", str(candidate)]) == 0
    comparison = ComparisonFile.model_validate_json((candidate / artifacts.COMPARISON).read_text(encoding="utf-8"))
    assert comparison.root.status == "no-baseline"
    _edit(candidate / artifacts.COMPARISON, lambda payload: _set(payload, "gate.status", "maybe"))
    capsys.readouterr()
    assert main(["report", "--params", params, "--artifacts", str(candidate)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "comparison.json: key 'gate.status': input should be 'passed' or 'failed'" in err
    assert not (candidate / artifacts.REPORT).exists()


def test_image_build_names_the_missing_key(
    trained_run: Path, bundled_params: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(trained_run, tmp_path, "run")
    _edit(folder / artifacts.RUN, lambda payload: payload.pop("model"))
    params = str(bundled_params.root / "params.yaml")
    assert main(["image", "build", "--params", params, "--artifacts", str(folder)]) == 2
    assert "run.json: key 'model' is missing" in capsys.readouterr().err


def test_one_digest_pattern() -> None:
    assert artifacts.DIGEST.fullmatch("sha256:" + "0" * 64)
    assert not artifacts.DIGEST.fullmatch("sha256:" + "0" * 63) and not artifacts.DIGEST.fullmatch("SHA256:" + "a" * 64)


@pytest.mark.parametrize(
    "command",
    [["run"], ["check", "data"], ["check", "model"], ["compare"], ["report"], ["govern"], ["image", "build"]],
)
def test_every_command_takes_artifacts_and_its_out_alias(command: list[str]) -> None:
    from mlci.cli import build_parser

    parser = build_parser()
    for flag in ("--artifacts", "--out"):
        assert parser.parse_args([*command, flag, "elsewhere"]).artifacts == Path("elsewhere")


def test_stages_never_import_the_command_layer() -> None:
    """Commands call stages; a stage importing a command (or the CLI) would make the layers circular."""
    import ast

    package = Path(artifacts.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        module = path.relative_to(package.parent).with_suffix("").as_posix().replace("/", ".")
        if module == "mlci.cli" or module.startswith("mlci.commands") or module == "mlci.serve.__main__":
            continue  # the entry points; `python -m mlci.serve` is the container's `mlci serve`
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{module} imports {n}" for n in names if n == "mlci.cli" or n.startswith("mlci.commands")]
    assert offenders == []


def test_commands_do_not_import_each_other() -> None:
    import ast

    folder = Path(artifacts.__file__).parent / "commands"
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "mlci.commands":
                assert all(alias.name not in {p.stem for p in folder.glob("*.py")} for alias in node.names), path
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlci.commands."):
                raise AssertionError(f"{path.name} imports {node.module}")
