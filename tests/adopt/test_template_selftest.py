"""The template adopted on tables of the shapes teams bring, end to end: a copy of this repository, `mlci init`,
then every local step of a first pull request (run, data and model checks, behavioral tests, compare with the
previous project's model, report, govern, one prediction through the serving app). Each step must exit 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adoption import SHAPES, Shape, adopt_and_run, example_baseline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return example_baseline(tmp_path_factory.mktemp("main"))


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.name for shape in SHAPES])
def test_a_team_adopts_the_template(shape: Shape, baseline: Path, tmp_path: Path) -> None:
    project = adopt_and_run(shape, tmp_path, baseline)
    artifacts = project.root / "artifacts"
    comparison = json.loads((artifacts / "comparison.json").read_text(encoding="utf-8"))
    assert comparison["comparable"] is False  # the example predicted another target: nothing to compare
    assert shape.target in comparison["reason"] or "regression" in comparison["reason"]
    report = (artifacts / "report.md").read_text(encoding="utf-8")
    assert "not comparable" in report.lower() or "nothing was compared" in report.lower()
    governance = json.loads((artifacts / "governance.json").read_text(encoding="utf-8"))
    assert governance["decision"] == "passed"
    frame = shape.make()
    if shape.target in ("outcome", "segment"):
        assert project.answer["predictions"][0] in set(frame[shape.target].astype(str))
    else:
        assert isinstance(project.answer["predictions"][0], float)
    summaries = list((artifacts / "checks").glob("*.json"))
    assert {p.stem for p in summaries} >= {"schema", "data_integrity", "train_test_validation", "model_evaluation"}
