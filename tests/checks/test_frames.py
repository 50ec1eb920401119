"""Raw tables shaped for deepchecks without the strictness of `mlci run`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mlci.checks.frames import check_frame, sample, split_masks
from mlci.config import load_params
from synthetic import ProjectFactory, synthetic_frame


def test_label_features_and_id(make_project: ProjectFactory) -> None:
    params = load_params(make_project("binary"))
    checked = check_frame(synthetic_frame("binary"), params)
    assert checked.id_column == "row_id" and checked.label == "target"
    assert checked.features == ("x1", "x2", "noise", "colour") and checked.categorical == ("colour",)


def test_missing_target_and_id_are_left_for_the_checks(make_project: ProjectFactory) -> None:
    params = load_params(make_project("binary"))
    checked = check_frame(synthetic_frame("binary").drop(columns=["target", "row_id"]), params)
    assert checked.label is None and checked.id_column is None
    assert len(split_masks(checked, params)) == 400


def _to_threshold(params: dict[str, Any]) -> None:
    params["data"].update(task="classification", target_threshold=50)
    params["metrics"] = {"primary": "accuracy", "report": ["accuracy"]}


def test_threshold_label_needs_numbers(make_project: ProjectFactory) -> None:
    frame = synthetic_frame("regression")
    params = load_params(make_project("regression", frame=frame, edit=_to_threshold))
    checked = check_frame(frame, params)
    assert set(checked.frame["target"]) == {0, 1}
    frame["target"] = frame["target"].astype(object)
    frame.loc[0, "target"] = "n/a"
    assert check_frame(frame, params).label is None


def test_inferred_categoricals(make_project: ProjectFactory) -> None:
    params = load_params(make_project("binary", edit=lambda p: p["data"].pop("categorical")))
    assert check_frame(synthetic_frame("binary"), params).categorical == ("colour",)


def test_sample_is_seeded_and_keeps_order(make_project: ProjectFactory) -> None:
    checked = check_frame(synthetic_frame("binary"), load_params(make_project("binary")))
    small = sample(checked, 100, seed=3)
    assert small.rows == 100 and small.frame.equals(sample(checked, 100, seed=3).frame)
    assert np.all(np.diff(small.frame["row_id"].to_numpy()) > 0)
    assert sample(checked, 1000, seed=3) is checked


def test_split_matches_the_run_split(make_project: ProjectFactory) -> None:
    from mlci.data.dataset import prepare
    from mlci.data.split import split_dataset

    params = load_params(make_project("binary"))
    frame = synthetic_frame("binary")
    mask = split_masks(check_frame(frame, params), params)
    split = split_dataset(prepare(frame, params, Path("data.csv"), ""), params.split, True)
    assert sorted(frame["row_id"][mask].astype(str)) == sorted(split.test.ids)
