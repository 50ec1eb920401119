"""What to change when a check fails for a reason mlci can guess: appended to the FAILED line and the JSON.

Pure: an outcome and its suite in, the same outcome with a hint out. Only conditions that gate get one.
"""

from __future__ import annotations

from mlci.core.artifacts import CheckEntry

_HINTS: dict[str, str] = {
    # A row number in a table sorted by class predicts the class perfectly; the model never sees the id.
    "IdentifierLabelCorrelation": (
        "the id predicts the label (rows sorted by label?); remove data.id_column to key rows on their values,"
        " or relax the condition under checks.{suite}.IdentifierLabelCorrelation"
    ),
    # The pipeline imputes empty values; the schema's `nullable` already refuses them where there were none.
    "PercentOfNulls": (
        "if these empty values are expected (the pipeline imputes them), raise the threshold under"
        " checks.{suite}.PercentOfNulls"
    ),
}


def with_hints(suite: str, outcomes: tuple[CheckEntry, ...]) -> tuple[CheckEntry, ...]:
    return tuple(
        outcome.model_copy(update={"hint": _HINTS[outcome.check].format(suite=suite)})
        if outcome.check in _HINTS and outcome.status in ("failed", "warned")
        else outcome
        for outcome in outcomes
    )
