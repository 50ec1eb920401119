"""Read params.yaml into Params; every failure becomes one ConfigError line naming the key path and YAML line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mlci.config.params import Params
from mlci.config.training import DEPRECATED_SCALE_NUMERIC
from mlci.core.errors import ConfigError


def _line_map(node: yaml.Node, source: str, prefix: str = "") -> dict[str, int]:
    """Map dotted key paths ('model.params.max_depth', 'metrics.report.1') to 1-based YAML lines.

    A key given twice in one mapping is an error: YAML loaders silently keep the last one, so an edit to the
    first would do nothing.
    """
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}{key_node.value}"
            line = key_node.start_mark.line + 1
            if path in lines:
                raise ConfigError(
                    f"{source}:{line}: {path}: duplicate key (also on line {lines[path]}); keep one of them"
                )
            lines[path] = line
            lines.update(_line_map(value_node, source, path + "."))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = f"{prefix}{index}"
            lines[path] = item.start_mark.line + 1
            lines.update(_line_map(item, source, path + "."))
    return lines


# Keys earlier releases of the template read and this one does not: a team upgrading gets where the setting
# lives now instead of a bare "unknown key".
REMOVED_KEYS = {
    "image.base_image": "the serving image's base is the Dockerfile's FROM line now (see docs/serving.md); delete it",
}


def _describe(error: Any) -> tuple[str, str]:
    """(key path, message) for one pydantic error."""
    loc = [str(part) for part in error["loc"]]
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        removed = REMOVED_KEYS.get(".".join(loc))
        message = f"{loc[-1]!r} is no longer read: {removed}" if removed else f"unknown key {loc[-1]!r}"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if error["type"] not in ("extra_forbidden", "missing") and "input" in error:
        shown = json.dumps(error["input"], default=str)
        if len(shown) <= 60 and not isinstance(error["input"], dict):
            message = f"{message} (got {shown})"
    return ".".join(loc), message


def parse_params(text: str, source: str = "params.yaml", root: Path = Path()) -> Params:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: YAML syntax error: {problem}") from None
    lines = _line_map(node, source) if node is not None else {}
    if raw is None:
        raise ConfigError(
            f"{source}: file is empty; the template's params.yaml shows every section and `mlci config --schema` prints them"
        )
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}:1: top level must be a mapping of sections (data, split, model, ...)")
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        key, message = _describe(exc.errors()[0])
        line = None
        parts = key.split(".") if key else []
        while line is None and parts:
            line = lines.get(".".join(parts))
            parts = parts[:-1]
        where = f"{source}:{line}" if line else source
        label = f"{key}: " if key else ""
        more = len(exc.errors()) - 1
        tail = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{where}: {label}{message}{tail}") from None
    model = raw.get("model")
    if isinstance(model, dict) and DEPRECATED_SCALE_NUMERIC in model:
        line = lines.get(f"model.{DEPRECATED_SCALE_NUMERIC}")
        where = f"{source}:{line}" if line else source
        sys.stderr.write(
            f"{where}: model.{DEPRECATED_SCALE_NUMERIC} is deprecated; write it as model.pipeline: {{{DEPRECATED_SCALE_NUMERIC}: ...}}\n"
        )
    params._lines = lines
    params._root = root
    params._source = source
    return params


def load_params(path: Path) -> Params:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: params file not found (pass --params PATH or run from the project root)") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read params file: {exc.__class__.__name__}") from None
    return parse_params(text, source=str(path), root=path.parent)
