"""Parquet data: read by extension with pyarrow, hashed as the file, and a one-line error without pyarrow."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mlci.config import load_params
from mlci.core.errors import DataError
from mlci.core.progress import StageTimer
from mlci.data.dataset import file_sha256, read_frame
from mlci.training.run import run_pipeline
from synthetic import ProjectFactory, synthetic_frame


def test_parquet_without_pyarrow_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1 not really")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    with pytest.raises(DataError) as caught:
        read_frame(path, "row_id")
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path)) and "needs pyarrow" in message


def test_a_parquet_run_matches_the_csv_run(make_project: ProjectFactory) -> None:
    pytest.importorskip("pyarrow")
    frame = synthetic_frame("binary")
    csv_params = make_project("binary", frame=frame, name="csv")

    def parquet(params: dict[str, Any]) -> None:
        params["data"]["path"] = "data.parquet"

    parquet_params = make_project("binary", frame=frame.head(0), edit=parquet, name="parquet")
    data = parquet_params.parent / "data.parquet"
    frame.to_parquet(data, index=False)  # ids stored as integers: read back as their text
    runs = {}
    for name, path in (("csv", csv_params), ("parquet", parquet_params)):
        out = path.parent / "artifacts"
        run_pipeline(load_params(path), out, StageTimer(quiet=True))
        runs[name] = (json.loads((out / "metrics.json").read_text()), json.loads((out / "run.json").read_text()))
        runs[name + "-ids"] = pd.read_csv(out / "predictions.csv", dtype={"id": str})["id"].tolist()  # type: ignore[assignment]
    assert runs["csv"][0]["metrics"] == runs["parquet"][0]["metrics"]
    assert runs["csv-ids"] == runs["parquet-ids"]  # same keys, so the same split and the same holdout
    assert runs["parquet"][1]["data"]["sha256"] == file_sha256(data)
