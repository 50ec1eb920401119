"""Row keys and the inputs a new data set brings: ids as written, derived keys, and the mistakes a user makes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlci.cli import main
from mlci.config import load_params
from mlci.core.rowkey import derived_keys
from mlci.data.dataset import load_dataset
from mlci.data.split import split_dataset
from synthetic import EXAMPLE, ProjectFactory, synthetic_frame


def holdout(params_path: Path) -> set[str]:
    params = load_params(params_path)
    return set(split_dataset(load_dataset(params), params.split, classification=True).test.ids)


def test_one_unusual_id_moves_no_other_row(make_project: ProjectFactory) -> None:
    frame = synthetic_frame("binary")
    before = holdout(make_project(frame=frame, name="before"))
    odd = frame.astype({"row_id": object})
    odd.loc[5, "row_id"] = "1.5"
    after = holdout(make_project(frame=odd, name="after"))
    changed = str(frame.loc[5, "row_id"])
    assert before - {changed} == after - {"1.5"}


def test_ids_are_kept_exactly_as_written(make_project: ProjectFactory) -> None:
    frame = synthetic_frame("binary")
    frame["row_id"] = [f"{i:05d}" for i in range(len(frame))]  # leading zeros are part of the id
    params = load_params(make_project(frame=frame))
    assert load_dataset(params).ids.iloc[:3].tolist() == ["00000", "00001", "00002"]


def without_id(params: dict[str, object]) -> None:
    params["data"].pop("id_column")  # type: ignore[attr-defined]


def test_no_id_column_keys_rows_on_their_values(make_project: ProjectFactory) -> None:
    frame = synthetic_frame("multiclass").drop(columns="row_id")
    sides = holdout(make_project(frame=frame, edit=without_id, name="a"))
    # Reordering rows and appending new ones moves no existing row between train and test.
    grown = pd.concat([frame.iloc[::-1], synthetic_frame("multiclass", rows=50, seed=9).drop(columns="row_id")])
    regrown = holdout(make_project(frame=grown, edit=without_id, name="b"))
    assert sides <= regrown
    assert 0.2 < len(sides) / len(frame) < 0.4


def test_identical_rows_get_distinct_keys() -> None:
    frame = pd.DataFrame({"a": [1, 1, 2, 1], "b": ["x", "x", "y", "x"]})
    keys = derived_keys(frame).tolist()
    assert len(set(keys)) == 4
    assert keys[1] == keys[0] + "-1" and keys[3] == keys[0] + "-2"
    assert derived_keys(frame).tolist() == keys  # the same on every run


def test_run_without_id_column(make_project: ProjectFactory) -> None:
    params = make_project(frame=synthetic_frame("binary").drop(columns="row_id"), edit=without_id)
    out = params.parent / "artifacts"
    assert main(["run", "--params", str(params), "--out", str(out)]) == 0
    ids = pd.read_csv(out / "predictions.csv", dtype={"id": str})["id"]
    assert ids.str.fullmatch(r"row-[0-9a-f]{16}(-\d+)?").all()
    assert "derived keys" in (out / "model_card.md").read_text(encoding="utf-8")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.strip()


def test_duplicate_column_names(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    params = make_project()
    data = params.parent / "data.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("noise", "x1")
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, err = run_cli(["run", "--params", str(params), "--out", str(params.parent / "out")], capsys)
    assert code == 2
    assert (
        err.splitlines()[-1]
        == f"mlci: error: {data}: duplicate column name 'x1' in the header; every column needs its own name"
    )
    assert not (params.parent / "out").exists()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda p: p["data"].update(ignore_columns=["target"]), "data: ignore_columns lists the target 'target'"),
        (lambda p: p["data"].update(id_column="target"), "id_column and target are the same column 'target'"),
        (
            lambda p: p["metrics"].update(primary="r2"),
            "metrics.primary: unknown metric 'r2' for task classification; choose from",
        ),
        (
            lambda p: p.update(metrics={"primary": "rmse", "report": ["rmse"]}),
            "unknown metric 'rmse' for task classification",
        ),
    ],
)
def test_params_mistakes_name_the_key(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str], edit: object, expected: str
) -> None:
    params = make_project(edit=edit)
    code, err = run_cli(["config", "--check", "--params", str(params)], capsys)
    assert code == 2
    assert expected in err
    assert "must also be listed" not in err
    assert len(err.splitlines()) == 1


def test_duplicate_key_in_params_names_both_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (EXAMPLE / "params.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    first = lines.index("  seed: 20240601") + 1  # split.seed
    lines.insert(first, "  seed: 7")
    (tmp_path / "params.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, err = run_cli(["config", "--check", "--params", str(tmp_path / "params.yaml")], capsys)
    assert code == 2
    assert err.endswith(f"params.yaml:{first + 1}: split.seed: duplicate key (also on line {first}); keep one of them")


def test_threshold_on_text_target_names_the_key(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    params = make_project(edit=lambda p: p["data"].update(target_threshold=1))
    code, err = run_cli(["run", "--params", str(params), "--out", str(params.parent / "out")], capsys)
    assert code == 2
    assert "params.yaml:" in err and "data.target_threshold needs a numeric target" in err


def test_integer_labels_stay_integers(make_project: ProjectFactory) -> None:
    frame = synthetic_frame("multiclass")
    frame["target"] = frame["target"].map({"low": 0, "mid": 1, "high": 2})
    params = load_params(make_project(frame=frame))
    assert sorted(np.unique(load_dataset(params).y).tolist()) == [0, 1, 2]


def test_a_new_row_with_an_empty_value_keeps_every_other_key() -> None:
    """An integer column becomes float when a new row leaves it empty: old rows must keep their keys."""
    frame = pd.DataFrame({"count": [1, 2, 3], "colour": ["red", None, "blue"]})
    grown = pd.concat([frame, pd.DataFrame({"count": [np.nan], "colour": ["red"]})], ignore_index=True)
    assert grown["count"].dtype == float
    assert derived_keys(grown).tolist()[:3] == derived_keys(frame).tolist()
