"""The deepchecks adapter: suite edits from params, not-run checks, HTML that overwrites (imports deepchecks: slow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from mlci.checks.suites import build_suite, outcomes_of, quiet_deepchecks, save_html
from mlci.config.checks import ChecksParams
from mlci.errors import ArtifactError

pytestmark = pytest.mark.slow


def _where(key: str) -> str:
    return f"params.yaml:1: {key}"


def _names(built: Any) -> set[str]:
    return {type(check).__name__ for check in built.suite.checks.values()}


def test_task_date_and_switched_off_checks_are_skipped() -> None:
    config = ChecksParams.model_validate(
        {"model_evaluation": {"BoostingOverfit": False, "WeakSegmentsPerformance": {"optional": True}}}
    )
    with quiet_deepchecks():
        built = build_suite("model_evaluation", config, "classification", _where)
        drift = build_suite(
            "drift", ChecksParams.model_validate({"drift": {"TrainTestSamplesMix": True}}), "regression", _where
        )
        integrity = build_suite("data_integrity", ChecksParams(), "classification", _where)
    assert {"BoostingOverfit", "RegressionErrorDistribution"} <= set(built.skipped)
    assert "RocReport" in _names(built) and "BoostingOverfit" not in _names(built)
    assert built.optional["WeakSegmentsPerformance"] is True
    weak = next(c for c in built.suite.checks.values() if type(c).__name__ == "WeakSegmentsPerformance")
    assert (weak.n_top_features, weak.n_samples) == (5, 2000)
    assert "TrainTestSamplesMix" in _names(drift)  # named in params: the drift default is overridden
    assert {"IndexTrainTestLeakage", "DateTrainTestLeakageOverlap", "NewLabelTrainTest"} <= set(drift.skipped)
    assert "PercentOfNulls" in _names(integrity)


def test_a_check_outside_the_suite_can_be_added_with_conditions() -> None:
    config = ChecksParams.model_validate(
        {
            "data_integrity": {
                "ClassImbalance": {
                    "conditions": {"class_ratio_less_than": {"class_imbalance_ratio_th": 0.2}},
                    "params": {"n_top_labels": 3},
                }
            }
        }
    )
    with quiet_deepchecks():
        built = build_suite("data_integrity", config, "classification", _where)
    check = next(c for c in built.suite.checks.values() if type(c).__name__ == "ClassImbalance")
    assert check.n_top_labels == 3
    assert [c.name for c in check._conditions.values()] == [
        "The ratio between least frequent label to most frequent label is less than or equal 0.2"
    ]


def test_not_run_checks_fail_unless_optional() -> None:
    with quiet_deepchecks():
        from deepchecks.core.check_result import CheckFailure
        from deepchecks.tabular.checks import DataDuplicates, MixedNulls

        class Result:
            results: ClassVar[list[Any]] = [
                CheckFailure(DataDuplicates(), ValueError("no rows\nmore")),
                CheckFailure(MixedNulls(), KeyError("x")),
            ]

        outcomes, no_condition = outcomes_of(Result(), {"MixedNulls": True})
    assert [(o.check, o.status, o.value, o.optional) for o in outcomes] == [
        ("DataDuplicates", "not-run", "ValueError: no rows", False),
        ("MixedNulls", "not-run", "KeyError: 'x'", True),
    ]
    assert [o.gates(True) for o in outcomes] == [True, False] and no_condition == ()


class FakeResult:
    """Mimics deepchecks' save_as_html: it never overwrites, it adds a suffix."""

    def save_as_html(self, file: str, as_widget: bool) -> None:
        path = Path(file)
        while path.exists():
            path = path.with_name(path.stem + "_1.html")
        path.write_text(f"report {as_widget}")


def test_html_is_overwritten_in_place(tmp_path: Path) -> None:
    target = tmp_path / "checks" / "data_integrity.html"
    save_html(FakeResult(), target)
    target.write_text("old")
    save_html(FakeResult(), target)
    assert target.read_text() == "report False"
    assert [p.name for p in (tmp_path / "checks").iterdir()] == ["data_integrity.html"]


def test_unwritable_html_is_an_artifact_error(tmp_path: Path) -> None:
    (tmp_path / "checks").write_text("a file, not a folder")
    with pytest.raises(ArtifactError, match="cannot write"):
        save_html(FakeResult(), tmp_path / "checks" / "x.html")
