"""Bad data files: one line naming the file and column, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlci.cli import main
from mlci.config import load_params
from mlci.core.errors import DataError
from mlci.data.dataset import load_dataset
from synthetic import ProjectFactory, synthetic_frame


def run_cli(params: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    out = params.parent / "artifacts"
    code = main(["run", "--params", str(params), "--out", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code != 0:
        assert not out.exists(), "a failed run must not leave an artifacts folder"
        assert not list(params.parent.glob(".artifacts*")), "no temp folder left behind"
    return code, err


def test_missing_data_file(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    params = make_project()
    (params.parent / "data.csv").unlink()
    code, err = run_cli(params, capsys)
    assert code == 2
    assert "data.csv: data file not found (data.path in params.yaml)" in err


def test_empty_csv(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    params = make_project()
    (params.parent / "data.csv").write_text("", encoding="utf-8")
    code, err = run_cli(params, capsys)
    assert code == 2
    assert "data.csv: file is empty" in err


def test_header_only_csv(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    params = make_project()
    (params.parent / "data.csv").write_text("row_id,x1,x2,noise,colour,target\n", encoding="utf-8")
    code, err = run_cli(params, capsys)
    assert code == 2
    assert "no data rows (header only?)" in err


def test_target_column_missing(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    params = make_project(frame=synthetic_frame("binary").rename(columns={"target": "label"}))
    code, err = run_cli(params, capsys)
    assert code == 2
    assert "column 'target' (" in err
    assert "data.target) not found" in err


def test_target_with_one_class(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    frame = synthetic_frame("binary").assign(target="yes")
    code, err = run_cli(make_project(frame=frame), capsys)
    assert code == 2
    assert "target column 'target' has one class ('yes')" in err


def test_text_in_numeric_column(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    frame = synthetic_frame("binary")
    frame["x2"] = frame["x2"].astype(object)
    frame.loc[5, "x2"] = "n/a?"
    code, err = run_cli(make_project(frame=frame), capsys)
    assert code == 2
    assert "column 'x2' must be numeric; row id 1005 has 'n/a?'" in err


def test_text_in_numeric_column_with_inferred_types(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = synthetic_frame("binary")
    frame["x2"] = frame["x2"].astype(object)
    frame.loc[7, "x2"] = "oops"

    def infer(params: dict[str, object]) -> None:
        params["data"].pop("categorical")  # type: ignore[attr-defined]

    code, err = run_cli(make_project(frame=frame, edit=infer), capsys)
    assert code == 2
    assert "column 'x2' must be numeric; row id 1007 has 'oops'" in err


def test_all_nan_column(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    frame = synthetic_frame("binary").assign(noise=np.nan)
    code, err = run_cli(make_project(frame=frame), capsys)
    assert code == 2
    assert "column 'noise' is entirely empty" in err


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda f: f.assign(row_id=1), "id column 'row_id' is not unique (e.g. 1 repeats)"),
        (lambda f: f.assign(row_id=np.where(f.index == 3, np.nan, f["row_id"])), "id column 'row_id' has empty values"),
        (
            lambda f: f.assign(target=np.where(f.index == 2, None, f["target"])),
            "target column 'target' is empty at row id 1002",
        ),
    ],
)
def test_bad_ids_targets_and_columns(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str], mutate, expected: str
) -> None:  # type: ignore[no-untyped-def]
    code, err = run_cli(make_project(frame=mutate(synthetic_frame("binary"))), capsys)
    assert code == 2
    assert expected in err


def test_no_features_left(make_project: ProjectFactory) -> None:
    def ignore_all(params: dict[str, object]) -> None:
        params["data"]["categorical"] = []  # type: ignore[index]
        params["data"]["ignore_columns"] = ["x1", "x2", "noise", "colour"]  # type: ignore[index]

    with pytest.raises(DataError, match="no feature columns left"):
        load_dataset(load_params(make_project(edit=ignore_all)))


def test_threshold_needs_numeric_target(make_project: ProjectFactory) -> None:
    def threshold(params: dict[str, object]) -> None:
        params["data"]["target_threshold"] = 1  # type: ignore[index]

    params = load_params(make_project(edit=threshold))
    with pytest.raises(
        DataError,
        match=r"target column 'target' is not numeric \(row id 1000 has 'yes'\); .*data.target_threshold needs a numeric target",
    ):
        load_dataset(params)


def test_unparseable_file(make_project: ProjectFactory) -> None:
    params = make_project()
    (params.parent / "data.csv").write_bytes(b'row_id,x1\n1,"unterminated\n')
    with pytest.raises(DataError, match="cannot parse"):
        load_dataset(load_params(params))


def test_data_path_is_a_folder(make_project: ProjectFactory) -> None:
    params = make_project()
    (params.parent / "data.csv").unlink()
    (params.parent / "data.csv").mkdir()
    with pytest.raises(DataError, match="is a folder"):
        load_dataset(load_params(params))


def test_types_inferred_and_declared(make_project: ProjectFactory) -> None:
    def infer(params: dict[str, object]) -> None:
        params["data"].pop("categorical")  # type: ignore[attr-defined]
        params["data"]["ignore_columns"] = ["noise"]  # type: ignore[index]

    data = load_dataset(load_params(make_project(edit=infer)))
    assert data.categorical == ("colour",)
    assert data.numeric == ("x1", "x2")
    assert data.rows == 400
    assert len(data.sha256) == 64
