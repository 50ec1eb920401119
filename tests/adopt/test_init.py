"""`mlci init`: a team's table in, a project that validates out; bad input is one line and writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mlci.adopt.render import BEHAVIOR_TESTS
from mlci.cli import main
from mlci.config import load_params
from mlci.governance.rules import find_licence
from synthetic import EXAMPLE, ROOT, synthetic_frame


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A fresh repository made from the template: the bundled example in place, its copy under tests/."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root / "tests" / "example")
    shutil.copytree(EXAMPLE / "data", root / "data")
    shutil.copy(EXAMPLE / "params.yaml", root / "params.yaml")
    (root / "tests" / "model").mkdir()
    shutil.copy(ROOT / "tests" / "model" / "test_behavior.py", root / "tests" / "model" / "test_behavior.py")
    return root


def init(root: Path, data: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["init", str(data), "--project", str(root), *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err.strip()


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_fresh_template_adopts_a_table(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "churn.csv"
    synthetic_frame("binary").drop(columns="row_id").to_csv(table, index=False)
    code, out, err = init(template, table, "--target", "target", capsys=capsys)
    assert code == 0, err
    assert (template / "data" / "churn.csv").read_bytes() == table.read_bytes()
    assert not (template / "data" / "abalone.csv").exists()  # the example's data goes
    params = load_params(template / "params.yaml")
    assert params.data.task == "classification" and params.data.id_column is None
    assert params.data.categorical == ["colour"]
    assert params.metrics.primary == "roc_auc" and "roc_auc" in params.gates.min
    schema = yaml.safe_load((template / "data" / "schema.yaml").read_text(encoding="utf-8"))
    assert schema["columns"]["target"]["allowed"] == ["no", "yes"]
    card = (template / "data" / "README.md").read_text(encoding="utf-8")
    assert find_licence(card) is None, "the licence placeholder must not pass governance"
    assert "binary classification" in card
    assert (template / "tests" / "model" / "test_behavior.py").read_text(encoding="utf-8") == BEHAVIOR_TESTS
    assert "make run && make check && make test" in out
    assert main(["config", "--check", "--params", str(template / "params.yaml")]) == 0


def test_a_second_init_needs_force(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "data.csv"
    synthetic_frame("regression").to_csv(table, index=False)
    assert init(template, table, "--target", "target", "--id", "row_id", capsys=capsys)[0] == 0
    before = snapshot(template)
    code, _, err = init(template, table, "--target", "x1", capsys=capsys)
    assert code == 2
    assert "already has its own params.yaml; pass --force" in err and len(err.splitlines()) == 1
    assert snapshot(template) == before
    code, _, err = init(template, table, "--target", "x1", "--force", capsys=capsys)
    assert code == 0, err
    assert load_params(template / "params.yaml").data.target == "x1"


@pytest.mark.parametrize(
    ("values", "task", "expected"),
    [
        (np.linspace(0, 1, 400), "auto", "regression"),
        (np.arange(400) % 3, "auto", "classification"),
        (np.arange(400) % 3, "regression", "regression"),
        (np.linspace(0, 1, 400), "classification", None),  # 400 classes: refused
    ],
)
def test_the_task_follows_the_target(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], values: object, task: str, expected: str | None
) -> None:
    frame = synthetic_frame("binary").assign(target=values)
    table = tmp_path / "table.csv"
    frame.to_csv(table, index=False)
    code, _, err = init(template, table, "--target", "target", "--task", task, "--id", "row_id", capsys=capsys)
    if expected is None:
        assert code == 2 and "400 classes" in err
        return
    assert code == 0, err
    assert load_params(template / "params.yaml").data.task == expected


def test_settings_cover_what_the_data_is_today(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = synthetic_frame("multiclass", rows=300).drop(columns="row_id")
    frame.loc[: int(len(frame) * 0.22), "x1"] = np.nan  # 23 % empty
    frame = pd.concat([frame, frame.head(9)])  # 9 repeated rows
    frame["notes"] = [f"free text {i}" for i in range(len(frame))]
    table = tmp_path / "t.csv"
    frame.to_csv(table, index=False)
    assert init(template, table, "--target", "target", capsys=capsys)[0] == 0
    params = load_params(template / "params.yaml")
    nulls = params.checks.data_integrity["PercentOfNulls"].conditions
    assert nulls is not None and nulls["percent_of_nulls_not_greater_than"]["threshold"] >= 0.23
    duplicates = params.checks.data_integrity["DataDuplicates"].conditions
    assert duplicates is not None and duplicates["ratio_less_or_equal"]["max_ratio"] >= 9 / len(frame)
    assert params.data.ignore_columns == ["notes"]
    assert params.gates.min["balanced_accuracy"] > 1 / 3  # better than chance with three classes


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (lambda f: f, ["--target", "missing"], "no column 'missing' (--target); columns: row_id, x1"),
        (lambda f: f, ["--target", "target", "--id", "nope"], "no column 'nope' (--id)"),
        (lambda f: f.assign(row_id=1), ["--target", "target", "--id", "row_id"], "has empty or repeated values"),
        (lambda f: f.assign(target=np.where(f.index < 5, None, f["target"])), ["--target", "target"], "is empty in 5"),
        (lambda f: f.assign(target="yes"), ["--target", "target"], "has one class ('yes')"),
        (lambda f: f, ["--target", "target", "--task", "regression"], "--task regression needs a numeric target"),
        (lambda f: f[["row_id", "target"]], ["--target", "target", "--id", "row_id"], "no usable feature columns"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, args: list[str], message: str
) -> None:
    table = tmp_path / "bad.csv"
    make(synthetic_frame("binary")).to_csv(table, index=False)  # type: ignore[operator]
    before = snapshot(template)
    code, _, err = init(template, table, *args, capsys=capsys)
    assert code == 2
    assert message in err and len(err.splitlines()) == 1
    assert snapshot(template) == before


@pytest.mark.parametrize("name", ["missing.csv", "table.xlsx"])
def test_unreadable_sources(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    if name.endswith(".xlsx"):
        (tmp_path / name).write_bytes(b"PK")
    code, _, err = init(template, tmp_path / name, "--target", "t", capsys=capsys)
    assert code == 2
    assert ("data file not found" in err) if name.startswith("missing") else ("unsupported file type .xlsx" in err)


def test_duplicate_header_names_are_refused(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "dup.csv"
    table.write_text("a,b,a,target\n1,2,3,x\n4,5,6,y\n", encoding="utf-8")
    code, _, err = init(template, table, "--target", "target", capsys=capsys)
    assert code == 2
    assert "duplicate column name 'a'" in err


def test_the_example_copy_matches_the_bundled_example() -> None:
    """`mlci init` replaces files identical to tests/example freely: while this repository still holds the
    bundled example, its files and the copy must be the same bytes, or a fresh template would refuse to init."""
    if (ROOT / "params.yaml").read_bytes() != (EXAMPLE / "params.yaml").read_bytes() and not (
        ROOT / "data" / "abalone.csv"
    ).exists():
        pytest.skip("this project has adopted its own data")
    for relative in ("params.yaml", "data/abalone.csv", "data/schema.yaml", "data/README.md"):
        assert (ROOT / relative).read_bytes() == (EXAMPLE / relative).read_bytes(), relative


def test_the_image_settings_are_kept(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The image name, registry and serving limits are the team's, not the data's: init keeps them as written."""
    table = tmp_path / "data.csv"
    synthetic_frame("binary").to_csv(table, index=False)
    example = (template / "params.yaml").read_text(encoding="utf-8")
    assert init(template, table, "--target", "target", "--id", "row_id", capsys=capsys)[0] == 0
    written = (template / "params.yaml").read_text(encoding="utf-8")
    assert written[written.index("\nimage:") :] == example[example.index("\nimage:") :]
    (template / "params.yaml").write_text(written.replace("name: mlci-model", "name: acme-churn"), encoding="utf-8")
    assert init(template, table, "--target", "target", "--force", capsys=capsys)[0] == 0
    assert load_params(template / "params.yaml").image.name == "acme-churn"
