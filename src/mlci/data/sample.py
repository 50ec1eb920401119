"""`data.sample`: pull requests train on a stable sample of the rows, `main` on every row.

Which runs sample: the command line (`mlci run --sample` / `--no-sample`), else `MLCI_SAMPLE`, else GitHub's
event (`GITHUB_EVENT_NAME`) when `data.sample.events` lists it; a local run without either uses every row.
Which rows: those whose key hashes lowest under `data.sample.seed`, with a hash key of the sample's own (the
split's hash under the same seed would pick only holdout rows). A sampled run is split on every row first,
so each kept row keeps the side it has in a full run, and the sampled holdout is part of main's.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from mlci.config.training import SampleParams
from mlci.core import artifacts as files
from mlci.core.artifacts import DataSample
from mlci.core.errors import ConfigError
from mlci.data.dataset import Dataset
from mlci.data.split import sample_positions

SAMPLE_SALT = "smpl"
ON = frozenset({"on", "1", "true", "yes"})
OFF = frozenset({"off", "0", "false", "no"})
_SPEC = re.compile(r"^(\d+)(?::(\d+))?$")

# What `--sample` or MLCI_SAMPLE asks for: True (data.sample as configured), False (every row), or a sample
# given in full (ROWS[:SEED]: how main's code is rebuilt on a pull request's sample for a fair baseline).
Request = bool | SampleParams


def spec(sample: SampleParams) -> str:
    """The sample as MLCI_SAMPLE spells it: ROWS:SEED."""
    return f"{sample.rows}:{sample.seed}"


def parse_request(text: str, source: str, configured: SampleParams | None) -> Request:
    """`on`, `off` or ROWS[:SEED] (the seed defaults to data.sample.seed, else 42); ConfigError naming `source`."""
    value = text.strip().lower()
    if value in ON:
        return True
    if value in OFF:
        return False
    match = _SPEC.match(value)
    if match is None:
        raise ConfigError(f"{source}: {text!r} is not on, off, ROWS or ROWS:SEED (e.g. 100000 or 100000:42)")
    rows, seed = match.groups()
    fields: dict[str, int] = {"rows": int(rows)}
    if seed is not None:
        fields["seed"] = int(seed)
    elif configured is not None:
        fields["seed"] = configured.seed
    try:
        return SampleParams.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(f"{source}: {'.'.join(map(str, error['loc']))}: {error['msg']} (got {text!r})") from None


def chosen(configured: SampleParams | None, request: Request | None, event: str | None) -> SampleParams | None:
    """The sample this run trains on, or None for every row (pure: the caller reads the flags and environment)."""
    if isinstance(request, SampleParams):
        return request
    if request is False:
        return None
    if request is True:
        if configured is None:
            raise ConfigError(
                "a sample was asked for (--sample or MLCI_SAMPLE=on) but params.yaml sets no data.sample;"
                " add data.sample: {rows: N} or give the size (--sample ROWS)"
            )
        return configured
    if configured is not None and event in configured.events:
        return configured
    return None


def pick(data: Dataset, sample: SampleParams) -> npt.NDArray[np.intp] | None:
    """Positions of the sampled rows (ascending), or None when the file has no more rows than the sample."""
    return sample_positions(data.ids, sample.rows, sample.seed, salt=SAMPLE_SALT)


def recorded(sample: DataSample | None) -> SampleParams | None:
    """The sample a run's `run.json` says it trained on, to pick the same rows again (None: every row)."""
    return None if sample is None else SampleParams(rows=sample.max_rows, seed=sample.seed)


def of_run_folder(folder: Path) -> str:
    """The sample a run folder's model was trained on, as MLCI_SAMPLE spells it (ROWS:SEED), or `off` for every
    row: also when the folder has no run.json (nothing trained there, so nothing was sampled)."""
    if not (folder / files.RUN).is_file():
        return "off"
    sample = recorded(files.read_run(folder).data.sample)
    return "off" if sample is None else spec(sample)
