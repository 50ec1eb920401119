"""Ship only what passed governance: read artifacts/governance.json and tie it to an image's model hash."""

from __future__ import annotations

from pathlib import Path

from mlci.core.artifacts import GovernanceRecord, read_governance
from mlci.core.errors import GateFailed


def require_passed(record_path: Path, model_sha256: str | None) -> GovernanceRecord:
    """The governance record, if its decision is "passed" and it covers this model; GateFailed otherwise.

    The record is written before the image exists, so the link between an image digest and the record is the
    model sha256: the image carries it as a label, the record names the model file's hash it judged.
    """
    if not record_path.is_file():
        raise GateFailed(f"{record_path}: no governance record; run `mlci govern` first (refusing to ship without one)")
    record = read_governance(record_path)
    if record.decision != "passed":
        failed = [rule.name for rule in record.rules if rule.status == "failed"]
        because = f" (failed: {', '.join(failed)})" if failed else ""
        raise GateFailed(
            f"{record_path}: governance decision is {record.decision!r}, not 'passed'{because}; refusing to ship"
        )
    if not model_sha256 or model_sha256 == "unknown":
        raise GateFailed("the image carries no io.mlci.model.sha256 label; build it with `mlci image build`")
    if record.model_sha256 != model_sha256:
        raise GateFailed(
            f"{record_path}: the passing record is for another model (image model sha256 {model_sha256[:12]}..., "
            f"record {(record.model_sha256 or 'none')[:12]}...); refusing to ship"
        )
    return record
