"""The artifacts folder as a contract: where each file lives, what it holds, and how it is written.

Every stage that writes or reads a file under `artifacts/` goes through the names and pydantic models here, so
a file has one definition. Writes are atomic (a temp file and a rename; a whole run is staged in a temp folder
and swapped in, so a failed run leaves the old folder intact). A file that exists but does not match its model
is one ArtifactError naming the file and the key (exit 2). `docs/architecture.md` ("The artifact folder")
lists the layout.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    SerializerFunctionWrapHandler,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import ErrorDetails

from mlci.config.image import ServeParams
from mlci.config.training import Task
from mlci.core.errors import ArtifactError

FORMAT_VERSION = 1


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def dumps_json(payload: Any) -> str:
    """Stable JSON: sorted keys, fixed indentation, trailing newline (byte-identical for equal data)."""
    return json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def load_json(path: Path, missing: str) -> Any:
    """A JSON file mlci wrote, parsed; every way it can fail to read is one ArtifactError naming the file.

    `missing` says what to do when the file is absent (e.g. "run `mlci run` first").
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing; {missing}") from None
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot read: {exc.__class__.__name__}") from None
    return decode_json(data, path)


def decode_json(data: bytes, source: Path) -> Any:
    """JSON bytes read from `source` (a file, or what names bytes read from elsewhere), parsed; ArtifactError
    naming it otherwise."""
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise ArtifactError(f"{source}: cannot read: {exc.__class__.__name__}") from None
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except ValueError as exc:
        raise ArtifactError(f"{source}: {exc}") from None


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (mlci never writes them); reading one would carry a non-number onward."""
    raise ValueError(f"non-standard JSON constant {name} (not a finite number)")


def read_json_object(path: Path, missing: str) -> dict[str, Any]:
    """`load_json`, and the file must hold a JSON object."""
    payload = load_json(path, missing)
    if not isinstance(payload, dict):
        raise ArtifactError(f"{path}: expected a JSON object")
    return payload


def discard(folder: Path, *names: str) -> None:
    """Remove files a failed stage leaves stale: a later step must not read an earlier run's as this one's."""
    for name in names:
        with contextlib.suppress(OSError):
            (folder / name).unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write one file via a temp file in the same folder and a rename."""
    blob = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
        Path(temp).chmod(0o666 & ~_umask())  # mkstemp makes 0600; the file gets the usual mode
        Path(temp).replace(path)
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot write: {exc.strerror or exc}") from None


class RunFolder:
    """A staging folder that becomes `out` only when the `staged` block finishes without error."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write(self, name: str, data: bytes | str) -> Path:
        target = self.path(name)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return target

    def write_json(self, name: str, payload: Any) -> Path:
        return self.write(name, dumps_json(payload))


@contextmanager
def staged(out: Path) -> Iterator[RunFolder]:
    out = out.absolute()
    if out.exists() and not out.is_dir():
        raise ArtifactError(f"{out}: output path exists and is not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        temp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; the final folder gets the usual mode
    except OSError as exc:
        raise ArtifactError(f"{out}: cannot write the output folder: {exc.strerror or exc}") from None
    try:
        yield RunFolder(temp)
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            out.replace(old)
        temp.replace(out)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise ArtifactError(f"{out}: cannot write the output folder: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


# --- layout: every file `mlci` writes under the artifacts folder -------------------------------------------

MODEL = "model.skops"
MODEL_SHA256 = "model.sha256"
RUN = "run.json"
METRICS = "metrics.json"
PARAMS = "params.json"
PREDICTIONS = "predictions.csv"
FEATURE_IMPORTANCE = "feature_importance.csv"
PLOTS = "plots"
MODEL_CARD = "model_card.md"
COMPARISON = "comparison.json"
REPORT = "report.md"
GOVERNANCE = "governance.json"
CHECKS = "checks"
# Beside the run, not in it: written after the push into the folder of release records attached to the image.
IMAGE_RECORD = "image.json"


def check_summary_name(suite: str) -> str:
    return f"{suite}.json"


def check_summary_path(artifacts: Path, suite: str) -> Path:
    """`checks/<suite>.json`: the summary `mlci check` writes per suite."""
    return artifacts / CHECKS / check_summary_name(suite)


# An image manifest digest, as registries, `mlci govern --image-digest` and the records name one.
DIGEST_PATTERN = r"sha256:[0-9a-f]{64}"
DIGEST = re.compile(DIGEST_PATTERN)
ImageDigest = Annotated[str, StringConstraints(pattern=f"^{DIGEST_PATTERN}$")]
# An image repository, HOST[:PORT]/PATH, in the lower case registries require.
REPOSITORY_PATTERN = r"[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+"
REPOSITORY = re.compile(REPOSITORY_PATTERN)
ImageRepository = Annotated[str, StringConstraints(pattern=f"^{REPOSITORY_PATTERN}$")]
# A full commit SHA: what a release names, so a short or symbolic ref can never select another commit.
COMMIT_PATTERN = r"[0-9a-f]{40}"
COMMIT = re.compile(COMMIT_PATTERN)
CommitSha = Annotated[str, StringConstraints(pattern=f"^{COMMIT_PATTERN}$")]

# Numbers keep the JSON type they were written with (an int stays an int), so a read-then-written file is
# byte-identical.
Number = int | float


# --- models --------------------------------------------------------------------------------------------------


class _File(BaseModel):
    """Readers tolerate keys they do not know; writers list every key, so files stay byte-stable."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class _OmitsNull(_File):
    """A file part whose `omit_when_null` keys are written only when set, so adding an optional fact leaves
    every file without it byte-identical, and a file without the key reads as unset."""

    omit_when_null: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_nulls(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        payload: dict[str, Any] = handler(self)
        for key in self.omit_when_null:
            if payload.get(key) is None:
                payload.pop(key, None)
        return payload


def _known_version(version: int) -> int:
    if version > FORMAT_VERSION:
        raise ValueError(
            f"format_version {version} is newer than this mlci understands ({FORMAT_VERSION}); upgrade mlci to read it"
        )
    return version


class _Versioned(_File):
    format_version: StrictInt

    @field_validator("format_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        return _known_version(version)


class Rows(_File):
    total: int
    train: int
    test: int


class DataSample(_File):
    """The `data.sample` a run trained on: the rows whose key hashes lowest under `seed`, at most `max_rows` of
    the file's `file_rows` (the run's `rows` count what it kept)."""

    max_rows: int
    seed: int
    file_rows: int

    @property
    def dropped_rows(self) -> bool:
        return self.file_rows > self.max_rows

    def describe(self, kept: int) -> str:
        """How the run's `kept` rows were chosen, as the model card and the PR report say it."""
        if not self.dropped_rows:
            return f"every row of the file ({self.file_rows:,}; `data.sample` allows up to {self.max_rows:,})"
        return (
            f"a sample of {kept:,} of the file's {self.file_rows:,} rows (`data.sample`: the rows whose key hashes"
            f" lowest under seed {self.seed}; `main` trains on every row)"
        )


class DataFacts(_OmitsNull):
    path: str
    sha256: str  # the whole file's, sampled or not
    rows: Rows
    sample: DataSample | None = None

    omit_when_null = ("sample",)  # written only for a run on a data.sample


class Features(_File):
    numeric: list[str]
    categorical: list[str]


class ModelFacts(_File):
    file: str
    sha256: str
    bytes: int


class RunFile(_Versioned):
    """`run.json`: what was trained, on which data, with which code and packages."""

    commit: str
    data: DataFacts
    features: Features
    id_column: str | None
    target: str
    task: Task
    classes: list[str]
    params_hash: str
    model: ModelFacts
    packages: dict[str, str]
    durations_seconds: dict[str, Number]


class EvaluationSample(_File):
    sample_rows: int
    sampled: bool
    seed: int


class MetricsFile(_Versioned):
    """`metrics.json`: every metric on the whole holdout (None where undefined), per class for classifiers."""

    task: Task
    primary: str
    metrics: dict[str, Number | None]
    per_class: dict[str, dict[str, Number | None]]
    rows: Rows
    evaluation_sample: EvaluationSample


class ParamsImage(_File):
    serve: ServeParams = Field(default_factory=ServeParams)


class ParamsFile(_File):
    """`params.json`: params.yaml as `mlci run` validated it (`Params.canonical()`, every default filled in).

    Typed here are the sections read back from the artifacts folder: serving's request limits (`image.serve`,
    params.yaml's own model, defaults for a file written before a key existed); the comparison diffs the
    whole file key by key, and everything else is params.yaml's contract in `mlci.config`.
    """

    image: ParamsImage = Field(default_factory=ParamsImage)


CheckStatus = Literal["passed", "warned", "failed", "not-run"]

_CHECK_STATUSES: dict[str, CheckStatus] = {
    "passed": "passed",
    "pass": "passed",
    "failed": "failed",
    "fail": "failed",
    "warned": "warned",
    "warning": "warned",
    "warn": "warned",
    "not-run": "not-run",
    "not-ran": "not-run",
    "error": "not-run",
}


def _norm(text: str) -> str:
    return text.strip().lower().replace("_", "-").replace(" ", "-")


class CheckEntry(_OmitsNull):
    """One condition's verdict, or one check that did not run: what every check (schema, deepchecks, the
    user's model checks, gates) produces, what `checks/<suite>.json` lists and what governance judges."""

    check: str  # deepchecks class name, `column:<name>` for schema, `gates.min.<metric>`
    name: str  # human title
    condition: str | None = None  # null when the check did not run
    status: CheckStatus
    value: Any = None  # what was measured, or why it did not run
    optional: bool = False  # a not-run optional check does not fail its suite
    hint: str | None = None  # only on a failure whose usual cause mlci knows

    omit_when_null = ("hint",)

    def gates(self, fail_on_warning: bool) -> bool:
        """True when this entry fails its suite (a warning only with `checks.fail_on_warning`)."""
        if self.status == "failed":
            return True
        if self.status == "not-run":
            return not self.optional
        return self.status == "warned" and fail_on_warning

    def line(self) -> str:
        """One line for the terminal: which check, which condition, what was measured."""
        what = self.condition or "did not run"
        hint = f"; hint: {self.hint}" if self.hint else ""
        return f"{self.name}: {what}: {self.value}{hint}"


class CheckSummary(_File):
    """`checks/<suite>.json`, written by `mlci check` (`mlci.checks.outcome.SuiteSummary.to_file`).

    Reading also takes hand-written summaries: a bare list of checks, `name` without `check` (or the
    reverse), and status spellings such as `fail`, `warning` or `not_run`.
    """

    format_version: StrictInt | None = None
    suite: str | None = None
    command: str | None = None
    passed: bool | None = None  # the suite's verdict: only it knows checks.fail_on_warning
    html: str | None = None
    rows: dict[str, int | None] = Field(default_factory=dict)
    rows_sampled: dict[str, int | None] = Field(default_factory=dict)
    sample_rows: int | None = None
    duration_seconds: Number = 0
    checks: list[CheckEntry]
    skipped: list[str] = Field(default_factory=list)
    no_condition: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, raw: Any) -> Any:
        payload = dict(raw) if isinstance(raw, Mapping) else {"checks": raw}
        checks = payload.get("checks")
        if not isinstance(checks, list):
            raise ValueError("expected a list of checks")
        entries: list[Any] = []
        for index, item in enumerate(checks):
            if isinstance(item, CheckEntry):
                entries.append(item)
                continue
            name = item.get("check", item.get("name")) if isinstance(item, Mapping) else None
            if not isinstance(item, Mapping) or not isinstance(name, str):
                raise ValueError(f"checks[{index}] must be an object with a string 'check' (or 'name')")
            status = item.get("status")
            normalised = _CHECK_STATUSES.get(_norm(status)) if isinstance(status, str) else None
            if normalised is None:
                raise ValueError(
                    f"checks[{index}] ({name}): unknown status {status!r}; expected passed, warned, failed or not-run"
                )
            condition = item.get("condition")
            header = item.get("name")
            entries.append(
                {
                    **item,
                    "check": name,
                    "name": header if isinstance(header, str) else name,
                    "status": normalised,
                    "condition": condition if isinstance(condition, str) else None,
                    "optional": item.get("optional") is True,
                }
            )
        if not isinstance(payload.get("passed"), bool):
            payload["passed"] = None
        payload["checks"] = entries
        return payload

    @field_validator("format_version")
    @classmethod
    def _known_version(cls, version: int | None) -> int | None:
        return None if version is None else _known_version(version)


class Gate(_File):
    status: Literal["passed", "failed"]
    failures: list[str]


class IncomparableGate(Gate):
    incomparable: Literal["pass", "fail"]


class RunFacts(_OmitsNull):
    """One run as the comparison records it (either side)."""

    commit: str | None
    data_sha256: str | None
    data_rows: int | None
    holdout_rows: int
    params_hash: str | None
    model_sha256: str | None
    model_bytes: int | None
    train_seconds: Number | None
    estimator: str | None
    evaluation_sample: EvaluationSample | None
    data_sample: DataSample | None = None

    omit_when_null = ("data_sample",)


class DataChange(_File):
    baseline_sha256: str | None
    candidate_sha256: str | None
    baseline_rows: int | None
    candidate_rows: int | None
    holdout_ids_added: int
    holdout_ids_removed: int


class ParamChange(_File):
    key: str
    change: Literal["added", "removed", "changed"]
    baseline: Any
    candidate: Any


class MetricRow(_File):
    name: str
    lower_is_better: bool
    baseline: Number | None
    candidate: Number | None
    delta: Number | None
    ci_low: Number | None
    ci_high: Number | None
    interval: str | None  # how the interval was computed (bootstrap, DeLong, ...)
    p_value: Number | None
    test: str
    significant: bool
    direction: Literal["better", "worse", "same"]
    tolerance: Number | None
    gate: Literal["passed", "failed", "n/a", "not-run"]


class RowsCompared(_File):
    candidate: int
    baseline: int


class Bootstrap(_File):
    resamples: int
    seed: int
    confidence: Number
    paired: bool
    max_rows: int | None


class _Comparison(_Versioned):
    reason: str | None
    baseline_source: str
    task: Task
    primary: str


class NoBaseline(_Comparison):
    """Nothing to compare with (first PR): the gate passes."""

    status: Literal["no-baseline"]
    verdict: Literal["no-baseline"]
    comparable: None
    gate: Gate
    candidate: RunFacts
    candidate_metrics: dict[str, Number | None]


class _WhatChanged(_Comparison):
    params_diff: list[ParamChange]
    data: DataChange
    baseline: RunFacts
    candidate: RunFacts


class Incomparable(_WhatChanged):
    """The baseline answers another question: nothing compared, `gates.incomparable` decides the gate."""

    status: Literal["incomparable"]
    verdict: Literal["incomparable"]
    comparable: Literal[False]
    gate: IncomparableGate
    candidate_metrics: dict[str, Number | None]


class Compared(_WhatChanged):
    """Both models scored, paired on the same rows when `like_for_like`."""

    status: Literal["compared"]
    verdict: Literal["better", "worse", "no-significant-change"]
    comparable: Literal[True]
    like_for_like: bool
    not_like_for_like_reason: str | None
    rows_compared: RowsCompared
    bootstrap: Bootstrap
    metrics: list[MetricRow]
    gate: Gate


class ComparisonFile(RootModel[Annotated[NoBaseline | Incomparable | Compared, Field(discriminator="status")]]):
    """`comparison.json`, one of three shapes told apart by `status`."""

    @model_validator(mode="before")
    @classmethod
    def _known_status(cls, raw: Any) -> Any:
        if isinstance(raw, BaseModel):
            return raw
        if not isinstance(raw, Mapping) or raw.get("status") not in _COMPARISON_STATUSES:
            raise ValueError("not a comparison written by `mlci compare` (no known 'status')")
        return raw

    def dump(self) -> dict[str, Any]:
        payload: dict[str, Any] = self.model_dump(mode="json")
        return payload


GateStatus = Literal["passed", "failed", "other"]
_GATE_PASSED = frozenset({"passed", "pass", "ok", "success"})
_GATE_FAILED = frozenset({"failed", "fail", "failure"})


@dataclass(frozen=True)
class GateResult:
    status: GateStatus
    raw: str  # the status as written, for the record
    failures: tuple[Any, ...] = ()  # `gate.failures` when the writer lists them
    comparison: str | None = None  # top-level `status` next to a `gate` (e.g. "compared", "no-baseline")
    reason: str | None = None  # why nothing was compared, when the baseline answers another question


def parse_compare_gate(raw: Any, source: str) -> GateResult:
    """The gate of `comparison.json`, read tolerantly: governance also takes comparisons other tools write.

    Relies on: an object with `gate`, either a status string or an object with a `status` string or a
    `passed` boolean (an optional `failures` list and a top-level `status` such as "no-baseline" are
    copied into the record); without `gate`, a top-level `status` or `passed`. "passed"/"pass"/"ok" pass,
    "failed"/"fail" fail; any other status (e.g. "no baseline" written as "skipped") is reported as is.
    With `comparable: false` (the baseline answers another question) the top-level `reason` string is
    copied too.
    """
    if not isinstance(raw, Mapping):
        raise ArtifactError(f"{source}: expected a JSON object with a 'gate'")
    gate = raw.get("gate", raw)
    context = raw.get("status") if "gate" in raw and isinstance(raw.get("status"), str) else None
    if isinstance(gate, str):
        gate = {"status": gate}
    if not isinstance(gate, Mapping):
        raise ArtifactError(f"{source}: 'gate' must be a status string or an object with 'status' or 'passed'")
    status, passed = gate.get("status"), gate.get("passed")
    failures = tuple(gate["failures"]) if isinstance(gate.get("failures"), list) else ()
    reason = raw.get("reason") if raw.get("comparable") is False and isinstance(raw.get("reason"), str) else None
    if isinstance(status, str):
        key = _norm(status)
        verdict: GateStatus = "passed" if key in _GATE_PASSED else "failed" if key in _GATE_FAILED else "other"
        return GateResult(verdict, status, failures, context, reason)
    if isinstance(passed, bool):
        return GateResult("passed" if passed else "failed", f"passed: {str(passed).lower()}", failures, context, reason)
    raise ArtifactError(f"{source}: no gate status found (expected gate.status or gate.passed)")


RuleStatus = Literal["passed", "failed", "not evaluated"]


class RuleRecord(_File):
    name: str
    enabled: bool
    required: bool
    required_setting: bool | str
    status: RuleStatus
    reason: str
    evidence: dict[str, Any]


class RunReference(_File):
    commit: str | None
    params_hash: str | None


class GovernanceRecord(_Versioned):
    """`governance.json`: the decision, on which model, data and image, and each rule's outcome and evidence."""

    commit: str
    context: Literal["ci", "local"]
    decision: Literal["passed", "failed"]
    failed_required: list[str]
    artifacts: str
    model_sha256: str | None
    image_digest: ImageDigest | None
    data_sha256: str | None
    run: RunReference
    rules: list[RuleRecord]


class ImageRecord(_File):
    """`image.json`: the image a main run pushed for a commit, which a release later promotes by digest.

    Records attached to images before the format was versioned carry no `format_version`; they are read as they
    are, so those commits can still be released and rolled back to.
    """

    format_version: StrictInt | None = None
    image: ImageRepository
    digest: ImageDigest
    commit: CommitSha

    @field_validator("format_version")
    @classmethod
    def _known_version(cls, version: int | None) -> int | None:
        return None if version is None else _known_version(version)


# --- reading and writing models -----------------------------------------------------------------------------

FileModel = TypeVar("FileModel", bound=BaseModel)


_OBJECT_TYPES = frozenset({"model_type", "model_attributes_type", "dict_type"})
_COMPARISON_STATUSES = frozenset({"no-baseline", "incomparable", "compared"})  # error paths start with the tag


def _problem(error: ErrorDetails) -> str:
    """One pydantic error as a sentence naming the key (dotted, list positions in brackets)."""
    parts = error["loc"][1:] if error["loc"][:1] and error["loc"][0] in _COMPARISON_STATUSES else error["loc"]
    loc = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts).lstrip(".")
    kind = error["type"]
    if kind == "value_error":
        message = str((error.get("ctx") or {}).get("error", error["msg"]))
        return f"{loc}: {message}" if loc and not message.startswith(loc) else message
    if loc == "format_version":
        return "format_version is missing or not an integer; not written by `mlci run`?"
    if kind in _OBJECT_TYPES:
        return f"key {loc!r} is missing or not an object" if loc else "expected a JSON object"
    what = "is missing" if kind == "missing" else f": {error['msg'][:1].lower()}{error['msg'][1:]}"
    return f"key {loc!r} {what}".replace(" :", ":") if loc else error["msg"]


def _first(errors: list[ErrorDetails]) -> ErrorDetails:
    """The error to report. A `Number` that is neither int nor float fails both members of the union, each
    naming its member after the key: report it once, as the key's, with the float's "valid number"."""
    first = errors[0]
    key, member = first["loc"][:-1], first["loc"][-1:]
    if member == ("int",):
        for other in errors[1:]:
            if other["loc"] == (*key, "float"):
                return {**other, "loc": key}
    return first


def validate(model: type[FileModel], payload: Any) -> FileModel | str:
    """The payload as `model`, or one sentence saying which key is wrong and how."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        return _problem(_first(exc.errors()))


def parse(model: type[FileModel], payload: Any, source: Path | str) -> FileModel:
    """The payload as `model`; an ArtifactError naming the file and key otherwise (exit 2)."""
    parsed = validate(model, payload)
    if isinstance(parsed, str):
        raise ArtifactError(f"{source}: {parsed}")
    return parsed


def read_model(model: type[FileModel], path: Path, missing: str) -> FileModel:
    """A JSON file mlci wrote, read and validated; `missing` says what to do when it is absent."""
    return parse(model, load_json(path, missing), path)


def write_model(path: Path, document: _File | ComparisonFile) -> None:
    write_atomic(path, dumps_json(document.dump()))


def write_image_record(folder: Path, image: str, digest: str, commit: str) -> Path:
    """`folder/image.json` for the pushed `image@digest` built from `commit`, written atomically."""
    payload = {"format_version": FORMAT_VERSION, "image": image, "digest": digest, "commit": commit}
    path = folder / IMAGE_RECORD
    write_model(path, parse(ImageRecord, payload, path))
    return path


def read_image_record(path: Path, data: bytes | None = None) -> ImageRecord:
    """The image record in the file `path`, or in `data` when its bytes came from elsewhere (the registry) and
    `path` only names them; an ArtifactError naming the file and the key when it is not one."""
    if data is None:
        return read_model(ImageRecord, path, "pull the release records first (`mlci records pull`)")
    return parse(ImageRecord, decode_json(data, path), path)


RUN_FIRST = "run `mlci run` first (or pass --artifacts DIR)"


def read_run(folder: Path, missing: str = RUN_FIRST) -> RunFile:
    """`run.json` of an artifacts folder."""
    return read_model(RunFile, folder / RUN, missing)


def read_metrics(folder: Path, missing: str = RUN_FIRST) -> MetricsFile:
    """`metrics.json` of an artifacts folder."""
    return read_model(MetricsFile, folder / METRICS, missing)


def read_params(folder: Path, missing: str = RUN_FIRST) -> ParamsFile:
    """`params.json` of an artifacts folder."""
    return read_model(ParamsFile, folder / PARAMS, missing)


def read_check_summary(path: Path, missing: str = "run `mlci check` first") -> CheckSummary:
    """One `checks/<suite>.json`."""
    return read_model(CheckSummary, path, missing)


def read_governance(path: Path, missing: str = "run `mlci govern` first") -> GovernanceRecord:
    """A `governance.json` (the release steps name it by path: it travels with the image's records)."""
    return read_model(GovernanceRecord, path, missing)
