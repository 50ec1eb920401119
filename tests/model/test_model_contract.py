"""What any model of this project must do, whatever the data: every expectation comes from params.yaml, the
data and the trained model, so these hold after `mlci init` on another table. Domain cases go in
test_behavior.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor

from mlci.config import Params
from mlci.data.dataset import Dataset
from mlci.metrics import lower_is_better
from mlci.training.evaluate import Predictions, compute_metrics


def scores(model: Any, frame: pd.DataFrame, task: str) -> np.ndarray:  # type: ignore[type-arg]
    if task == "classification":
        return np.asarray(model.predict_proba(frame), dtype=float)
    return np.asarray(model.predict(frame), dtype=float)


def test_the_saved_predictions_are_reproduced(model: Any, artifacts: Path, holdout: Dataset, project: Params) -> None:
    saved = pd.read_csv(artifacts / "predictions.csv", dtype={"id": str}).set_index("id")
    assert sorted(saved.index) == sorted(holdout.ids)
    rows = saved.loc[holdout.ids.to_numpy()]
    if project.data.task == "classification":
        columns = [f"proba_{label}" for label in model.classes_]
        np.testing.assert_allclose(scores(model, holdout.X, "classification"), rows[columns], rtol=0, atol=1e-9)
    else:
        np.testing.assert_allclose(scores(model, holdout.X, "regression"), rows["y_pred"], rtol=0, atol=1e-9)


def test_answers_are_well_formed(model: Any, holdout: Dataset, dataset: Dataset, project: Params) -> None:
    predicted = model.predict(holdout.X)
    assert len(predicted) == holdout.rows
    if project.data.task == "regression":
        assert np.isfinite(np.asarray(predicted, dtype=float)).all()
        return
    assert set(pd.unique(predicted)) <= set(pd.unique(dataset.y))
    proba = scores(model, holdout.X, "classification")
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_a_row_scores_the_same_alone_and_in_a_batch(model: Any, holdout: Dataset, project: Params) -> None:
    batch = holdout.X.head(20)
    together = scores(model, batch, project.data.task)
    alone = np.concatenate([scores(model, batch.iloc[[i]], project.data.task) for i in range(len(batch))])
    np.testing.assert_allclose(alone, together, rtol=0, atol=1e-12)


def test_column_order_does_not_matter(model: Any, holdout: Dataset, project: Params) -> None:
    batch = holdout.X.head(50)
    np.testing.assert_array_equal(
        scores(model, batch[batch.columns[::-1]], project.data.task), scores(model, batch, project.data.task)
    )


def test_a_missing_value_in_any_feature_still_gets_an_answer(model: Any, holdout: Dataset, project: Params) -> None:
    batch = holdout.X.head(5)
    for column in batch.columns:
        blank = batch.copy()
        blank[column] = np.nan if column in holdout.numeric else None
        assert np.isfinite(scores(model, blank, project.data.task)).all(), column


def test_an_unseen_category_still_gets_an_answer(model: Any, holdout: Dataset, project: Params) -> None:
    if not holdout.categorical:
        pytest.skip("no categorical features in this data set")
    batch = holdout.X.head(5).copy()
    for column in holdout.categorical:
        batch[column] = "a value never seen in training"
    assert np.isfinite(scores(model, batch, project.data.task)).all()


def test_the_model_reaches_its_floors(metrics: dict[str, Any], project: Params) -> None:
    for name, floor in project.gates.min.items():
        value = metrics["metrics"][name]
        assert value is not None, name
        assert value <= floor if lower_is_better(name) else value >= floor, (name, value, floor)


def test_the_model_beats_a_model_that_ignores_the_features(
    model: Any, dataset: Dataset, holdout: Dataset, project: Params, metrics: dict[str, Any]
) -> None:
    """The primary metric of the trained model is better than that of a constant answer fitted on the same
    labels: the model learned something from the features."""
    task, primary = project.data.task, project.metrics.primary
    trivial = (
        DummyClassifier(strategy="prior").fit(dataset.X, dataset.y)
        if task == "classification"
        else DummyRegressor().fit(dataset.X, dataset.y)
    )
    proba = np.asarray(trivial.predict_proba(holdout.X)) if task == "classification" else None
    classes = tuple(trivial.classes_.tolist()) if task == "classification" else ()
    predictions = Predictions(holdout.ids, holdout.y, np.asarray(trivial.predict(holdout.X)), proba, classes)
    constant = compute_metrics(task, predictions)[0][primary]
    value = metrics["metrics"][primary]
    if constant is None or value is None:
        pytest.skip(f"{primary} is undefined on this holdout")
    assert value < constant if lower_is_better(primary) else value > constant
