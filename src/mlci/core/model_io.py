"""Save and load models as skops files with a deterministic byte layout and a verified sha256."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mlci import model as user_model
from mlci.core.errors import ArtifactError

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _renumber(schema: Any, ids: dict[int, int], files: dict[str, str]) -> Any:
    """Replace skops' memory-address ids and `<id>.npy` names with first-seen counters (same model, same bytes)."""
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "__id__" and isinstance(value, int):
                out[key] = ids.setdefault(value, len(ids) + 1)
            elif key == "file" and isinstance(value, str):
                out[key] = files.setdefault(value, f"{len(files) + 1:06d}.npy")
            else:
                out[key] = _renumber(value, ids, files)
        return out
    if isinstance(schema, list):
        return [_renumber(item, ids, files) for item in schema]
    return schema


def dumps(model: Any) -> bytes:
    """skops bytes made deterministic: stable ids and file names, sorted entries, fixed timestamps.

    skops names arrays and shared objects by `id()` and stamps zip entries with the current time, so two
    dumps of the same model differ; the model hash is only meaningful once both are normalised.
    """
    import skops.io as sio  # importing skops scans every scikit-learn module (~5 s): only when needed

    source = zipfile.ZipFile(io.BytesIO(sio.dumps(model)))
    files: dict[str, str] = {}
    schema = _renumber(json.loads(source.read("schema.json")), {}, files)
    entries = {"schema.json": json.dumps(schema, sort_keys=False, separators=(",", ":")).encode()}
    for name in source.namelist():
        if name != "schema.json":
            entries[files.get(name, name)] = source.read(name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()


def sha256_bytes(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def untrusted(blob: bytes, allowed: Iterable[str] | None = None) -> list[str]:
    """Types in the file that neither skops' defaults nor the allowlist (mlci.model.TRUSTED_TYPES) cover."""
    import skops.io as sio

    trusted = user_model.TRUSTED_TYPES if allowed is None else allowed
    return sorted(set(sio.get_untrusted_types(data=blob)) - set(trusted))


def loads_verified(blob: bytes, expected_sha256: str, source: str) -> Any:
    """Load only if the bytes hash to the recorded value and hold only allowlisted types."""
    actual = sha256_bytes(blob)
    if actual != expected_sha256.strip():
        raise ArtifactError(
            f"{source}: sha256 {actual[:12]}... does not match the recorded {expected_sha256.strip()[:12]}...; refusing to load a tampered or wrong model"
        )
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    # skops audits every type against the allowlist before it builds any object, so one parse does both.
    try:
        return sio.loads(blob, trusted=list(user_model.TRUSTED_TYPES))
    except UntrustedTypesFoundException:
        raise ArtifactError(
            f"{source}: holds types outside the allowlist ({', '.join(untrusted(blob))}); add them to TRUSTED_TYPES in mlci/model.py only if you trust them"
        ) from None
    except Exception as exc:  # skops raises many kinds on a corrupt file
        raise ArtifactError(f"{source}: cannot load model: {exc.__class__.__name__}: {exc}") from None


def load_model_dir(folder: Path) -> Any:
    """Load `model.skops` from an artifacts folder after checking it against `model.sha256`."""
    model_path, hash_path = folder / "model.skops", folder / "model.sha256"
    for path in (model_path, hash_path):
        if not path.is_file():
            raise ArtifactError(f"{path}: missing; is {folder} an artifacts folder written by `mlci run`?")
    expected = (hash_path.read_text(encoding="utf-8").split() or [""])[0]
    return loads_verified(model_path.read_bytes(), expected, str(model_path))
