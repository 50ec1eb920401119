"""The user's model checks (`mlci.model.MODEL_CHECKS`) as outcomes of the model_evaluation suite.

They run here, in the core environment, not in the deepchecks subprocess: that process is fed files and
never holds the model, and a user's check would otherwise have to import from a pinned, older stack. A check
gets what deepchecks gets (the same sampled train and test rows, the labels and probabilities `mlci.model.predict`
gives) plus the model itself, and its results land in `model_evaluation.json` beside deepchecks' conditions.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlci import model as user_model
from mlci.checks.frames import CheckFrame
from mlci.config.training import Task
from mlci.core.artifacts import CheckEntry


def check_data(model: object, train: CheckFrame, test: CheckFrame, task: Task) -> user_model.CheckData:
    """What every model check receives, computed once for all of them."""
    if train.label is None or test.label is None:
        raise ValueError("the target column is missing or unusable")
    test_features = test.frame[list(test.features)]
    y_pred, proba = user_model.predict(model, test_features, task)
    classes = tuple(getattr(model, "classes_", ())) if task == "classification" else ()
    return user_model.CheckData(
        task=task,
        model=model,
        train_features=train.frame[list(train.features)],
        train_target=train.frame[train.label],
        test_features=test_features,
        test_target=test.frame[test.label],
        y_pred=y_pred,
        proba=proba,
        classes=classes,
    )


def _title(name: str, function: user_model.ModelCheck) -> str:
    """The check's title in the report: its docstring's first line, else its registered name."""
    lines = (function.__doc__ or "").strip().splitlines()
    return lines[0].strip() if lines else name


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{exc.__class__.__name__}: {text.splitlines()[0]}" if text else exc.__class__.__name__


def custom_outcomes(
    checks: Mapping[str, user_model.ModelCheck], model: object, train: CheckFrame, test: CheckFrame, task: Task
) -> list[CheckEntry]:
    """One outcome per result of each check; a check that raises is a failed outcome saying what it raised
    (a bug in one check must not hide the others' results or deepchecks')."""
    if not checks:
        return []
    try:
        data = check_data(model, train, test, task)
    except ValueError as exc:
        return [CheckEntry(check=name, name=name, condition=None, status="not-run", value=str(exc)) for name in checks]
    outcomes: list[CheckEntry] = []
    for name, function in checks.items():
        title = _title(name, function)
        try:
            returned = function(data)
        except Exception as exc:  # the user's code: any failure is that check's verdict
            outcomes.append(
                CheckEntry(check=name, name=title, condition=None, status="failed", value=f"raised {_first_line(exc)}")
            )
            continue
        results = [returned] if isinstance(returned, user_model.CheckResult) else list(returned)
        outcomes.extend(
            CheckEntry(
                check=name,
                name=title,
                condition=result.condition,
                status="passed" if result.passed else "failed",
                value=result.value,
            )
            for result in results
        )
    return outcomes
