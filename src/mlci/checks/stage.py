"""The checks stage: `mlci check data|model|drift` as functions of params and the artifacts folder.

Each writes `<artifacts>/checks/<suite>.json` (model `mlci.core.artifacts.CheckSummary`) and, for deepchecks suites,
`<suite>.html`, and returns the summaries; the command prints them and sets the exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mlci.checks import schema
from mlci.checks.frames import CheckFrame, check_frame, split_masks
from mlci.checks.gates import gate_outcomes
from mlci.checks.outcome import SuiteSummary, write_summary
from mlci.config import Params
from mlci.config.checks import SuiteName
from mlci.core.artifacts import CHECKS, FEATURE_IMPORTANCE, CheckEntry, read_metrics, write_atomic
from mlci.core.errors import ArtifactError
from mlci.core.progress import StageTimer


def _write(summaries: list[SuiteSummary], out: Path) -> list[SuiteSummary]:
    for summary in summaries:
        write_summary(out, summary)
    return summaries


def _split_failure(suite: str, command: str, train_rows: int, test_rows: int, params: Params) -> SuiteSummary:
    """An empty side of the split: the suite cannot run, and that is a failed check, not a crash."""
    outcome = CheckEntry(
        check="split",
        name="Train/test split",
        condition="train and test both have rows",
        status="failed",
        value=f"train {train_rows} rows, test {test_rows} rows ({params.where('split.test_size')} {params.split.test_size})",
    )
    rows: dict[str, int | None] = {"train": train_rows, "test": test_rows}
    return SuiteSummary(
        suite=suite,
        command=command,
        outcomes=(outcome,),
        rows=rows,
        rows_sampled=rows,
        sample_rows=params.checks.sample_rows,
    )


def _split(checked: CheckFrame, params: Params) -> tuple[CheckFrame, CheckFrame]:
    """The split `mlci run` would make."""
    mask = split_masks(checked, params)
    return checked.subset(~mask), checked.subset(mask)


def check_data(params: Params, artifacts: Path) -> list[SuiteSummary]:
    """The schema, data_integrity on the whole set and train_test_validation on the split `mlci run` makes."""
    from mlci.checks.suites import DeepchecksRun, SuiteInput
    from mlci.data.dataset import read_frame

    raw = read_frame(params.data_path, params.data.id_column)
    spec = schema.load_schema(params)
    timer = StageTimer()
    command = "mlci check data"
    out = artifacts / CHECKS
    config = params.checks
    checked = check_frame(raw, params)
    train, test = _split(checked, params)
    runs: list[tuple[SuiteName, SuiteInput]] = [("data_integrity", SuiteInput(train=checked))]
    if train.rows and test.rows:
        runs.append(("train_test_validation", SuiteInput(train=train, test=test)))
    # The runner builds every suite (a params.yaml mistake exits 2 before anything is written), then runs them
    # while the schema is checked here.
    with DeepchecksRun(params, ("data_integrity", "train_test_validation"), runs, command) as deepchecks:
        with timer.stage("schema", f"{len(raw)} rows, {len(spec.columns)} declared columns"):
            rows: dict[str, int | None] = {"train": len(raw), "test": None}
            schema_summary = SuiteSummary(
                suite="schema",
                command=command,
                outcomes=schema.validate(raw, spec, checked.id_column),
                rows=rows,
                rows_sampled=rows,
                sample_rows=None,
            )
        sides = f"{min(checked.rows, config.sample_rows)} of {checked.rows} rows; {train.rows} train + {test.rows} test"
        with timer.stage("deepchecks data_integrity, train_test_validation", sides):
            found = deepchecks.summaries(out)
    split = found.get("train_test_validation") or _split_failure(
        "train_test_validation", command, train.rows, test.rows, params
    )
    return _write([schema_summary, found["data_integrity"], split], out)


def infer_schema(params: Params, force: bool) -> tuple[Path, int]:
    """Write a starting schema file from the current data: (its path, how many columns it declares)."""
    from mlci.data.dataset import read_frame

    raw = read_frame(params.data_path, params.data.id_column)
    path = schema.schema_path(params)
    if path is None or params.checks.inline_schema is not None:
        raise ArtifactError(
            f"{params.where('checks.schema_file')}: --infer writes a schema file; set checks.schema_file (and remove checks.schema)"
        )
    if path.exists() and not force:
        raise ArtifactError(f"{path}: exists; pass --force to overwrite it")
    spec = schema.infer_schema(raw, params)
    write_atomic(path, schema.dump_schema(spec, str(params.data.path)))
    return path, len(spec.columns)


def _read_importance(artifacts: Path) -> pd.Series | None:
    """The run's permutation importance, so nothing recomputes it (clipped at 0, summing to 1)."""
    path = artifacts / FEATURE_IMPORTANCE
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    if not {"feature", "importance_mean"} <= set(frame.columns):
        return None
    values = frame.set_index("feature")["importance_mean"].astype(float).clip(lower=0.0)
    total = float(values.sum())
    return values / total if total > 0 else None


def feature_importance(model: Any, test: CheckFrame, params: Params) -> pd.Series | None:
    """Permutation importance on up to 2,000 holdout rows, for a run that wrote none (deepchecks cannot compute
    it: the model stays in this environment). checks.feature_importance_timeout 0 leaves it out."""
    if params.checks.feature_importance_timeout == 0 or test.label is None or test.rows == 0:
        return None
    from sklearn.inspection import permutation_importance

    rows = test.frame.sample(n=min(test.rows, 2000), random_state=params.checks.seed)
    features = rows[list(test.features)]
    result = permutation_importance(
        model, features, rows[test.label], n_repeats=3, random_state=params.checks.seed, n_jobs=1
    )
    values = pd.Series(result["importances_mean"], index=list(test.features)).clip(lower=0.0)
    total = float(values.sum())
    return values / total if total > 0 else None


def check_model(params: Params, artifacts: Path) -> list[SuiteSummary]:
    """model_evaluation on the run's model and holdout, then the `gates:` floors on its metrics.json."""
    from mlci.checks.suites import DeepchecksRun, SuiteInput
    from mlci.core.model_io import load_model_dir
    from mlci.data.dataset import load_dataset

    metrics = read_metrics(artifacts)
    model = load_model_dir(artifacts)
    data = load_dataset(params)
    timer = StageTimer()
    command = "mlci check model"
    out = artifacts / CHECKS
    id_column = params.data.id_column
    columns = [data.ids.rename(id_column)] if id_column else []
    frame = pd.concat([*columns, data.X, data.y.rename(params.data.target)], axis=1)
    checked = CheckFrame(
        frame=frame,
        id_column=id_column,
        label=params.data.target,
        features=tuple(data.X.columns),
        categorical=data.categorical,
        keys=data.ids,
    )
    train, test = _split(checked, params)
    runs: list[tuple[SuiteName, SuiteInput]] = []
    if train.rows and test.rows:
        importance = _read_importance(artifacts)
        if importance is None:
            with timer.stage("feature importance", "the run wrote none"):
                importance = feature_importance(model, test, params)
        inputs = SuiteInput(train=train, test=test, model=model, feature_importance=importance, single_dataset="Test")
        runs.append(("model_evaluation", inputs))
    with timer.stage("predict", "train and test samples for deepchecks"):
        deepchecks = DeepchecksRun(params, ("model_evaluation",), runs, command)
    with deepchecks, timer.stage("deepchecks model_evaluation", f"{train.rows} train + {test.rows} test rows"):
        found = deepchecks.summaries(out)
    evaluation = found.get("model_evaluation") or _split_failure(
        "model_evaluation", command, train.rows, test.rows, params
    )
    rows: dict[str, int | None] = {"train": None, "test": metrics.rows.test}
    gates = SuiteSummary(
        suite="gates",
        command=command,
        outcomes=gate_outcomes(params.gates, metrics),
        rows=rows,
        rows_sampled=rows,
        sample_rows=None,
    )
    return _write([evaluation, gates], out)


def check_drift(params: Params, artifacts: Path, reference_data: Path) -> list[SuiteSummary]:
    """Train/test drift checks between a reference data set (e.g. main's) and the current one."""
    from mlci.checks.suites import DeepchecksRun, SuiteInput
    from mlci.data.dataset import read_frame

    reference = check_frame(read_frame(reference_data, params.data.id_column), params)
    current = check_frame(read_frame(params.data_path, params.data.id_column), params)
    timer = StageTimer()
    out = artifacts / CHECKS
    runs: list[tuple[SuiteName, SuiteInput]] = [("drift", SuiteInput(train=reference, test=current))]
    with (
        DeepchecksRun(params, ("drift",), runs, "mlci check drift") as deepchecks,
        timer.stage("deepchecks drift", f"{reference.rows} reference vs {current.rows} current rows"),
    ):
        summary = deepchecks.summaries(out)["drift"]
    return _write([summary], out)
