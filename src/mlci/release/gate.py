"""Ship only what passed governance: read artifacts/governance.json and tie it to an image's model hash.

The record is read as a plain object, not through `GovernanceRecord`: a release may carry a record written by an
older or newer mlci, and all this gate relies on is the decision and the model hash somewhere in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlci.core.artifacts import read_json_object
from mlci.core.errors import GateFailed


def _strings(value: Any) -> Iterator[str]:
    """Every string value in a parsed JSON document (dict keys excluded), depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def require_passed(record_path: Path, model_sha256: str | None) -> dict[str, Any]:
    """The governance record, if its decision is "passed" and it covers this model; GateFailed otherwise.

    The record is written before the image exists, so the link between an image digest and the record is the
    model sha256: the image carries it as a label, the record as evidence.
    """
    if not record_path.is_file():
        raise GateFailed(f"{record_path}: no governance record; run `mlci govern` first (refusing to ship without one)")
    record = read_json_object(record_path, "run `mlci govern` first")
    decision = record.get("decision")
    if decision != "passed":
        failed = [
            str(rule.get("name") or rule.get("id") or "?")
            for rule in record.get("rules", [])
            if isinstance(rule, dict) and rule.get("status") == "failed"
        ]
        because = f" (failed: {', '.join(failed)})" if failed else ""
        raise GateFailed(f"{record_path}: governance decision is {decision!r}, not 'passed'{because}; refusing to ship")
    if not model_sha256 or model_sha256 == "unknown":
        raise GateFailed("the image carries no io.mlci.model.sha256 label; build it with `mlci image build`")
    if model_sha256 not in _strings(record):
        raise GateFailed(
            f"{record_path}: the passing record is for another model (image model sha256 {model_sha256[:12]}... not in it); refusing to ship"
        )
    return record
