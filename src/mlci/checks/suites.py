"""deepchecks suites, run in the checks environment (.venv-checks) through files; this side never imports it.

deepchecks pins an older numpy/pandas/scikit-learn than the model's stack, so it lives in an environment of its
own (checks-env/, created by `make setup`). Here the core samples the tables, computes what deepchecks would
have asked the model (predictions, probabilities, classes, importance), writes it all to a job folder and runs
`runner.py` there as a subprocess (shape of the folder in `mlci.checks.runner`). The runner writes back the
outcomes and the HTML reports; this module turns them into the `SuiteSummary` the JSON files hold.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from mlci import model as user_model
from mlci.checks import runner
from mlci.checks.custom import custom_outcomes
from mlci.checks.frames import CheckFrame, sample
from mlci.checks.hints import with_hints
from mlci.checks.outcome import SuiteSummary
from mlci.config import Params
from mlci.config.checks import SuiteName
from mlci.config.training import Task
from mlci.core.artifacts import CheckEntry
from mlci.core.errors import ArtifactError, ConfigError, MlciError

CHECKS_VENV = ".venv-checks"
PYTHON_ENV = "MLCI_CHECKS_PYTHON"
# ModelInferenceTime's own defaults: 1,000 rows timed, a 1 ms per-row condition.
INFERENCE_ROWS = 1000
INFERENCE_LIMIT = 0.001


def checks_python() -> Path:
    """The checks environment's interpreter: $MLCI_CHECKS_PYTHON, else .venv-checks in the working directory or
    in the source tree mlci runs from (an editable install)."""
    named = os.environ.get(PYTHON_ENV)
    if named:
        if not Path(named).is_file():
            raise MlciError(f"{PYTHON_ENV}={named}: no such interpreter")
        return Path(named)
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = root / CHECKS_VENV / "bin" / "python"
        if candidate.is_file():
            return candidate
    raise MlciError(
        f"the deepchecks environment ({CHECKS_VENV}) is missing: run `make setup`, or set {PYTHON_ENV} to its python"
    )


def _column(series: pd.Series) -> dict[str, Any]:
    """One column as a typed list: numbers and booleans keep their type, anything else travels as text."""
    if pd.api.types.is_bool_dtype(series) and not series.isna().any():
        return {"name": str(series.name), "kind": "bool", "values": series.astype(bool).tolist()}
    if pd.api.types.is_integer_dtype(series) and not series.isna().any():
        return {"name": str(series.name), "kind": "int", "values": series.astype("int64").tolist()}
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        floats = series.astype("float64").to_numpy()
        return {
            "name": str(series.name),
            "kind": "float",
            "values": [None if np.isnan(v) else float(v) for v in floats],
        }
    values = series.astype(object).tolist()
    return {"name": str(series.name), "kind": "object", "values": [None if pd.isna(v) else _plain(v) for v in values]}


def _plain(value: Any) -> Any:
    """A JSON value for one cell (numpy scalars become Python ones; anything else its text)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _values(array: Any) -> list[Any]:
    return [_plain(v) for v in np.asarray(array).tolist()] if np.ndim(array) == 1 else np.asarray(array).tolist()


@dataclass(frozen=True)
class SuiteInput:
    """What one suite run gets: one or two whole data sets (they are sampled here), optionally the model (it
    stays here: its predictions cross) and precomputed importances."""

    train: CheckFrame
    test: CheckFrame | None = None
    model: Any = None
    feature_importance: pd.Series | None = None
    # "Test": single-data-set checks (ROC, weak segments, ...) judge the holdout only, at half the cost.
    single_dataset: str | None = None


@dataclass(frozen=True)
class _Prepared:
    name: SuiteName
    rows: dict[str, int | None]
    sampled: dict[str, int | None]
    model: Any
    train: CheckFrame
    test: CheckFrame | None


def _frame_meta(frame: CheckFrame, file: str, folder: Path) -> runner.FrameSpec:
    payload = {"columns": [_column(frame.frame[c]) for c in frame.frame.columns]}
    (folder / file).write_text(json.dumps(payload))
    return {
        "file": file,
        "id_column": frame.id_column,
        "label": frame.label,
        "features": list(frame.features),
        "categorical": list(frame.categorical),
    }


def _answers(model: Any, frame: CheckFrame, task: Task) -> tuple[list[Any], list[list[float]] | None]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        labels, proba = user_model.predict(model, frame.frame[list(frame.features)], task)
    return _values(labels), None if proba is None else proba.tolist()


def _predictions(model: Any, train: CheckFrame, test: CheckFrame | None, task: Task) -> runner.Predictions:
    """What deepchecks would have asked the model, on exactly the rows it gets. One OpenMP thread: on a busy
    2-core runner the default pool took 5x longer for these few calls (1.7 s vs 0.35 s for 4,177 rows)."""
    out: runner.Predictions = {"classes": None}
    out["train"], proba = _answers(model, train, task)
    if proba is not None:
        out["proba_train"] = proba
    if test is not None:
        out["test"], proba = _answers(model, test, task)
        if proba is not None:
            out["proba_test"] = proba
    if task == "classification":
        out["classes"] = [_plain(c) for c in np.asarray(model.classes_).tolist()]
    return out


def measure_inference(model: Any, frame: CheckFrame) -> float:
    """Seconds per row of one `predict` on up to 1,000 rows, as deepchecks' ModelInferenceTime measures it; the
    best of three, so one stall of a busy runner does not fail the check. One OpenMP thread, as a serving
    worker runs (on a busy runner the pool stalls small batches)."""
    from threadpoolctl import threadpool_limits

    features = frame.frame[list(frame.features)].iloc[:INFERENCE_ROWS]
    if features.empty:
        return 0.0
    best = float("inf")
    with threadpool_limits(limits=1, user_api="openmp"):
        for _ in range(3):
            start = time.perf_counter()
            model.predict(features)
            best = min(best, time.perf_counter() - start)
    return best / len(features)


def _inference_outcomes(params: Params, name: SuiteName, seconds: float) -> tuple[list[CheckEntry], bool]:
    """ModelInferenceTime's conditions from params.yaml (already validated by the runner) on our measurement."""
    spec = params.checks.suite(name).get("ModelInferenceTime")
    conditions = {"inference_time_less_than": {}} if spec is None or spec.conditions is None else dict(spec.conditions)
    outcomes = []
    for arguments in conditions.values():
        limit = float(arguments.get("value", INFERENCE_LIMIT))
        outcomes.append(
            CheckEntry(
                check="ModelInferenceTime",
                name="Model Inference Time - Test Dataset",
                condition=f"Average model inference time for one sample is less than {limit:.8g}",
                status="passed" if seconds < limit else "failed",
                value=f"Found average inference time (seconds): {seconds:.4g}",
            )
        )
    return outcomes, not conditions


def place_html(source: Path, path: Path) -> None:
    """Copy the runner's report next to the JSON, replacing an older one in one step."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.tmp")
        shutil.copyfile(source, temp)
        temp.replace(path)
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot write: {exc.strerror or exc}") from None


_RESULT = TypeAdapter(runner.Result)


def _unreadable(what: str, exc: ValidationError) -> MlciError:
    """One line for a result.json that is not `runner.Result`: the key and what is wrong with it."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return MlciError(f"the deepchecks runner wrote an unreadable {what} ({where}: {first['msg']})")


class DeepchecksRun:
    """One runner subprocess for every suite of a command. Started on entry, so the core's own work (the
    schema, inference time) overlaps it; `summaries()` waits. Every suite in `validate` is built first: a
    params.yaml mistake raises ConfigError before anything is written."""

    def __init__(
        self,
        params: Params,
        validate: tuple[SuiteName, ...],
        runs: list[tuple[SuiteName, SuiteInput]],
        command: str,
    ) -> None:
        self.params, self.command = params, command
        self.folder = Path(tempfile.mkdtemp(prefix="mlci-checks-"))
        self.prepared: list[_Prepared] = []
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._start = time.perf_counter()
        try:
            self._write_job(validate, runs)
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _write_job(self, validate: tuple[SuiteName, ...], runs: list[tuple[SuiteName, SuiteInput]]) -> None:
        config, task = self.params.checks, self.params.data.task
        jobs: list[runner.RunSpec] = []
        for name, inputs in runs:
            train = sample(inputs.train, config.sample_rows, config.seed)
            test = sample(inputs.test, config.sample_rows, config.seed) if inputs.test is not None else None
            self.prepared.append(
                _Prepared(
                    name=name,
                    rows={"train": inputs.train.rows, "test": inputs.test.rows if inputs.test is not None else None},
                    sampled={"train": train.rows, "test": test.rows if test is not None else None},
                    model=inputs.model,
                    train=train,
                    test=test,
                )
            )
            importance = inputs.feature_importance
            jobs.append(
                {
                    "suite": name,
                    "train": _frame_meta(train, f"{name}.train.json", self.folder),
                    "test": _frame_meta(test, f"{name}.test.json", self.folder) if test is not None else None,
                    "single_dataset": inputs.single_dataset,
                    "predictions": None if inputs.model is None else _predictions(inputs.model, train, test, task),
                    "feature_importance": None
                    if importance is None
                    else {str(k): float(v) for k, v in importance.items()},
                }
            )
        specs: dict[str, dict[str, dict[str, Any]]] = {
            name: {check: spec.model_dump(mode="json") for check, spec in config.suite(name).items()}
            for name in validate
        }
        job: runner.Job = {
            "format": runner.FORMAT,
            "task": task,
            "config": {
                "sample_rows": config.sample_rows,
                "seed": config.seed,
                "feature_importance_timeout": config.feature_importance_timeout,
                "weak_segments": {
                    "n_top_features": config.weak_segments.n_top_features,
                    "n_samples": config.weak_segments.n_samples,
                },
            },
            "suites": specs,
            "runs": jobs,
        }
        (self.folder / "job.json").write_text(json.dumps(job))

    def __enter__(self) -> DeepchecksRun:
        python = checks_python()
        self._stderr = (self.folder / "stderr.txt").open("wb")
        # -I: the runner's folder (mlci/checks) must not shadow top-level modules, and no PYTHON* variable of
        # the core's environment may leak into the other one.
        self.process = subprocess.Popen(
            [str(python), "-I", runner.__file__, str(self.folder)],
            stdin=subprocess.DEVNULL,
            # deepchecks' import otherwise reports to api.deepchecks.com (and writes an id into its package).
            env={**os.environ, "DISABLE_DEEPCHECKS_ANONYMOUS_TELEMETRY": "True"},
            stdout=self._stderr,
            stderr=self._stderr,
        )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self._stderr is not None:
            self._stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _result(self) -> runner.Result:
        assert self.process is not None
        code = self.process.wait()
        result_file = self.folder / "result.json"
        if code != 0 or not result_file.is_file():
            assert self._stderr is not None
            self._stderr.flush()
            lines = (self.folder / "stderr.txt").read_text(errors="replace").strip().splitlines()
            sys.stderr.write("\n".join(lines[-20:]) + "\n")
            last = lines[-1] if lines else "no output"
            raise MlciError(f"the deepchecks runner failed (exit {code}): {last}")
        try:
            result = _RESULT.validate_json(result_file.read_bytes())
        except ValidationError as exc:
            raise _unreadable("result", exc) from None
        if result.config_errors:
            first = result.config_errors[0]
            raise ConfigError(f"{self.params.where(first.key)}: {first.message}")
        return result

    def validate(self) -> None:
        """Wait for the runner; raise its config errors."""
        self._result()

    def summaries(self, out: Path) -> dict[str, SuiteSummary]:
        """Wait for the runner; every run suite's summary (HTML copied into `out`)."""
        result = self._result()
        config = self.params.checks
        found: dict[str, SuiteSummary] = {}
        for prepared, item in zip(self.prepared, result.suites, strict=True):
            name = prepared.name
            try:
                outcomes = [CheckEntry.model_validate(o) for o in item.outcomes]
            except ValidationError as exc:
                raise _unreadable("outcome", exc) from None
            no_condition = list(item.no_condition)
            if "ModelInferenceTime" in item.in_core and prepared.model is not None and prepared.test is not None:
                timed, unconditioned = _inference_outcomes(
                    self.params, name, measure_inference(prepared.model, prepared.test)
                )
                outcomes.extend(timed)
                if unconditioned:
                    no_condition.append("ModelInferenceTime")
            if name == "model_evaluation" and prepared.model is not None and prepared.test is not None:
                outcomes.extend(
                    custom_outcomes(
                        user_model.MODEL_CHECKS, prepared.model, prepared.train, prepared.test, self.params.data.task
                    )
                )
            if item.html:
                place_html(self.folder / "html" / item.html, out / item.html)
            found[name] = SuiteSummary(
                suite=name,
                command=self.command,
                outcomes=with_hints(name, tuple(outcomes)),
                rows=prepared.rows,
                rows_sampled=prepared.sampled,
                sample_rows=config.sample_rows,
                fail_on_warning=config.fail_on_warning,
                html=item.html,
                duration_seconds=item.duration_seconds,
                skipped=tuple(item.skipped),
                no_condition=tuple(sorted(no_condition)),
            )
        return found
