"""`mlci init`: turn a team's table into a project. Everything is worked out in memory first; files are written
only once all of it succeeded, so a refused or failed init leaves the project as it was."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from mlci.adopt.plan import Plan, TaskChoice, make_plan
from mlci.adopt.render import BEHAVIOR_TESTS, data_card, image_block, params_yaml
from mlci.checks.schema import dump_schema, infer_schema
from mlci.config import parse_params
from mlci.core.artifacts import write_atomic
from mlci.core.errors import ArtifactError, DataError
from mlci.data.dataset import file_sha256, read_frame

# The bundled example, kept under tests/ for the machinery tests: files identical to it are the template's,
# not the team's, and may be replaced without --force.
EXAMPLE = Path("tests") / "example"
SUPPORTED = (".csv", ".parquet", ".pq")


@dataclass(frozen=True)
class InitResult:
    plan: Plan
    written: tuple[str, ...]
    removed: tuple[str, ...]


def _is_example(root: Path, relative: Path) -> bool:
    mine, example = root / relative, root / EXAMPLE / relative
    return mine.is_file() and example.is_file() and mine.read_bytes() == example.read_bytes()


def _current_params(root: Path) -> str:
    try:
        return (root / "params.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def init_project(
    root: Path, source: Path, *, target: str, task: TaskChoice, id_column: str | None, force: bool
) -> InitResult:
    if not source.is_file():
        raise DataError(f"{source}: data file not found" if not source.exists() else f"{source}: not a file")
    if source.suffix.lower() not in SUPPORTED:
        raise DataError(
            f"{source}: unsupported file type {source.suffix or '(none)'}; mlci init reads .csv and .parquet files"
        )
    frame = read_frame(source, id_column)
    name = source.name
    plan = make_plan(frame, data_file=name, target=target, task=task, id_column=id_column, where=str(source))

    data_rel = Path("data") / name
    params_text = params_yaml(plan, image_block=image_block(_current_params(root)))
    params = parse_params(params_text, source=str(root / "params.yaml"), root=root)  # what we write must load
    schema_text = dump_schema(infer_schema(frame, params), str(data_rel))
    sha256 = file_sha256(source)
    outputs: dict[Path, str] = {
        Path("params.yaml"): params_text,
        Path("data") / "schema.yaml": schema_text,
        Path("data") / "README.md": data_card(plan, source_name=name, sha256=sha256),
        Path("tests") / "model" / "test_behavior.py": BEHAVIOR_TESTS,
    }
    same_file = (root / data_rel).exists() and (root / data_rel).resolve() == source.resolve()
    adopted = not _is_example(root, Path("params.yaml")) and (root / "params.yaml").exists()
    if not force:
        taken = [p for p in [*outputs, *([] if same_file else [data_rel])] if (root / p).exists()]
        if adopted:
            raise ArtifactError(
                f"{root / 'params.yaml'}: this project already has its own params.yaml; pass --force to replace it"
                f" (and {', '.join(str(p) for p in taken if p != Path('params.yaml')) or 'nothing else'})"
            )
        if data_rel in taken and not _is_example(root, data_rel):
            raise ArtifactError(f"{root / data_rel}: exists; pass --force to overwrite it")
    # The example's own data files go; anything else in data/ is the team's and stays.
    # glob of a missing folder is empty.
    stale = [
        relative
        for relative in (path.relative_to(root) for path in sorted((root / "data").glob("*")) if path.is_file())
        if relative not in outputs and relative != data_rel and _is_example(root, relative)
    ]

    try:
        if not same_file:
            (root / "data").mkdir(parents=True, exist_ok=True)
            temp = root / "data" / f".{name}.tmp"
            shutil.copyfile(source, temp)
            temp.replace(root / data_rel)
    except OSError as exc:
        raise ArtifactError(f"{root / data_rel}: cannot write: {exc.strerror or exc}") from None
    for relative, text in outputs.items():
        write_atomic(root / relative, text)
    for relative in stale:
        (root / relative).unlink()
    written = tuple(str(p) for p in [*([] if same_file else [data_rel]), *outputs])
    return InitResult(plan=plan, written=written, removed=tuple(str(p) for p in stale))


def summary(result: InitResult, root: Path) -> list[str]:
    plan = result.plan
    classes = f" ({', '.join(plan.classes[:6])}{' ...' if len(plan.classes) > 6 else ''})" if plan.classes else ""
    floors = ", ".join(f"{k} >= {v:g}" for k, v in plan.gates_min.items())
    ignored = ", ".join(f"{k} ({v})" for k, v in plan.ignored.items()) or "none"
    lines = [
        f"mlci init: {plan.data_file}: {plan.rows:,} rows, {len(plan.columns)} columns",
        f"  task      {plan.class_word} of {plan.target!r}{classes}",
        f"  row key   {repr(plan.id_column) if plan.id_column else 'derived from each row (no id column)'}",
        f"  features  {len(plan.numeric)} numeric, {len(plan.categorical)} categorical; ignored: {ignored}",
        f"  metrics   primary {plan.primary}; floors {floors} (better than chance: raise them)",
        *(f"  note      {note}" for note in plan.notes),
        f"wrote {', '.join(result.written)}",
    ]
    if result.removed:
        lines.append(f"removed the bundled example's {', '.join(result.removed)}")
    lines += [
        "next:",
        "  1. fill in the Licence and Source lines of data/README.md (`mlci govern` fails until the licence is stated)",
        "  2. make run && make check && make test",
        "  3. commit on a branch and open a pull request; its report says the baseline on main answered another question",
    ]
    return lines
