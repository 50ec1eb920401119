"""The per-suite summary of check outcomes (`artifacts/checks/<suite>.json`).

One outcome is a `mlci.core.artifacts.CheckEntry` from whichever check produced it (schema, deepchecks, the
user's model checks, gates); the file is `mlci.core.artifacts.CheckSummary`.

Shape of `<suite>.json` (format_version 1; keys sorted, stable for equal results apart from `duration_seconds`):

    {
      "format_version": 1,
      "suite": "data_integrity",          # schema | data_integrity | train_test_validation |
                                          # model_evaluation | gates | drift
      "command": "mlci check data",
      "passed": false,                    # true when no check has status failed or not-run
      "html": "data_integrity.html",      # deepchecks report next to this file; null for schema and gates
      "rows": {"train": 4177, "test": null},   # rows handed in per data set (test null: one data set;
                                          # drift: train = reference, test = current)
      "rows_sampled": {"train": 4177, "test": null},  # rows deepchecks saw after the sample cap
      "sample_rows": 10000,               # the cap (checks.sample_rows); null where nothing is sampled
      "duration_seconds": 7.81,
      "checks": [                         # one entry per condition (or per check that did not run)
        {
          "check": "DataDuplicates",      # deepchecks class name, `column:<name>` for schema, `gates.min.<metric>`
          "name": "Data Duplicates",      # human title (deepchecks adds " - Train Dataset" etc.)
          "condition": "Duplicate data ratio is less or equal to 5%",   # null when the check did not run
          "status": "failed",             # passed | warned | failed | not-run
          "value": "Found 33.3% duplicate data",   # what was measured, or why it did not run
          "optional": false,              # not-run of an optional check does not fail the suite
          "hint": "..."                   # only on a failure whose usual cause mlci knows: what to change
        }
      ],
      "skipped": ["BoostingOverfit"],     # switched off in params.yaml or irrelevant for the task
      "no_condition": ["OutlierSampleDetection"]   # ran and are in the HTML, but gate nothing
    }

`warned` is deepchecks' warn grade: it fails unless `checks.fail_on_warning: false`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlci.core.artifacts import FORMAT_VERSION, CheckEntry, CheckSummary, check_summary_name, write_model


@dataclass(frozen=True)
class SuiteSummary:
    suite: str
    command: str
    outcomes: tuple[CheckEntry, ...]
    rows: dict[str, int | None]
    rows_sampled: dict[str, int | None]
    sample_rows: int | None
    fail_on_warning: bool = True
    html: str | None = None
    duration_seconds: float = 0.0
    skipped: tuple[str, ...] = ()
    no_condition: tuple[str, ...] = field(default_factory=tuple)

    @property
    def failures(self) -> tuple[CheckEntry, ...]:
        return tuple(o for o in self.outcomes if o.gates(self.fail_on_warning))

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_file(self) -> CheckSummary:
        return CheckSummary(
            format_version=FORMAT_VERSION,
            suite=self.suite,
            command=self.command,
            passed=self.passed,
            html=self.html,
            rows=self.rows,
            rows_sampled=self.rows_sampled,
            sample_rows=self.sample_rows,
            duration_seconds=round(self.duration_seconds, 2),
            checks=list(self.outcomes),
            skipped=sorted(self.skipped),
            no_condition=sorted(self.no_condition),
        )

    def headline(self) -> str:
        """`data_integrity: 11 passed, 1 failed (4177 rows)` for stdout."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        parts = [f"{counts[s]} {s}" for s in ("passed", "warned", "failed", "not-run") if counts.get(s)]
        seen = [f"{n} {side}" for side, n in self.rows_sampled.items() if n is not None]
        rows = f" on {' + '.join(seen)} rows" if seen else ""
        capped = any(
            sampled is not None and total is not None and sampled < total
            for sampled, total in zip(self.rows_sampled.values(), self.rows.values(), strict=True)
        )
        cap = f" (sampled: checks.sample_rows {self.sample_rows})" if capped else ""
        verdict = "ok" if self.passed else "FAILED"
        return f"{self.suite}: {verdict}: {', '.join(parts) or 'no conditions'}{rows}{cap}"


def write_summary(folder: Path, summary: SuiteSummary) -> Path:
    """Write `<folder>/<suite>.json`; `folder` is the artifacts folder's `checks/`."""
    path = folder / check_summary_name(summary.suite)
    write_model(path, summary.to_file())
    return path
