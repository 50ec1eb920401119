"""`mlci compare --baseline DIR`: score main's model on this run's holdout rows and write comparison.json."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlci import artifacts as files
from mlci.config import Params, load_params


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare this run with a baseline run on the same holdout rows (paired statistics) -> comparison.json",
    )
    add_baseline_arguments(parser, required_text="omit it when there is no baseline (first PR): the gate then passes")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file (default: params.yaml)")
    parser.add_argument(
        "--artifacts", type=Path, default=Path("artifacts"), help="this run's folder (default: artifacts)"
    )
    parser.set_defaults(func=_compare)


def add_baseline_arguments(parser: argparse.ArgumentParser, required_text: str) -> None:
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"artifacts folder of the baseline run (main's); {required_text}",
    )
    parser.add_argument(
        "--baseline-source",
        default=None,
        metavar="TEXT",
        help="where the baseline came from, shown in the report (e.g. 'artifact of main run 123', 'rebuilt from main at abc123')",
    )


def read_baseline(baseline: Path, artifacts: Path) -> Any:
    """The baseline folder parsed and verified (files, format_version, hashes, predictions): cheap, no model load.

    `mlci run --baseline` calls it before training, so a bad baseline costs no training and leaves
    `artifacts` as it was.
    """
    from mlci import compare
    from mlci.errors import ArtifactError

    if baseline.exists() and baseline.resolve() == artifacts.resolve():
        raise ArtifactError(f"{baseline}: the baseline is this run's own folder; pass a copy of main's artifacts")
    record = compare.read_run(baseline, "baseline")
    record.scores  # noqa: B018 -- parse (and cache) now: a damaged predictions.csv is refused before any work
    return record


def run_compare(params: Params, artifacts: Path, baseline: Path | None, source: str | None) -> dict[str, Any]:
    """Verify both folders, compare, write comparison.json atomically; returns the comparison."""
    from mlci import compare
    from mlci.dataset import file_sha256, read_frame
    from mlci.errors import ArtifactError
    from mlci.model_io import load_model_dir

    candidate = compare.read_run(artifacts, "artifacts", compare.CANDIDATE_FILES)
    if candidate.task != params.data.task or candidate.run.target != params.data.target:
        raise ArtifactError(
            f"{artifacts / files.RUN}: written for task {candidate.task} / target {candidate.run.target!r}, but params.yaml says {params.data.task} / {params.data.target!r}; rerun `mlci run`"
        )
    if baseline is None:
        comparison = compare.no_baseline(candidate, params, source or "no baseline artifacts were given")
    else:
        base = read_baseline(baseline, artifacts)
        source = source or f"artifacts folder {baseline}"
        reason = compare.incomparable_reason(candidate, base)
        if reason is not None:
            comparison = compare.incomparable(candidate, base, reason, params, source)
        else:
            path = params.data_path
            frame = read_frame(
                path, params.data.id_column
            )  # also the clear error when the file is missing or unreadable
            if file_sha256(path) != candidate.run.data.sha256:
                raise ArtifactError(
                    f"{path}: changed since {artifacts} was written (sha256 differs from run.json); rerun `mlci run`"
                )
            model = load_model_dir(baseline)  # the slow part (skops import + load): after the cheap checks
            scored = compare.baseline_on_candidate_rows(model, base, candidate, frame, str(params.data.path))
            comparison = compare.compare_runs(candidate, base, scored, params, source)
    files.write_model(artifacts / files.COMPARISON, comparison)
    return comparison.dump()


def summary_lines(comparison: dict[str, Any]) -> list[str]:
    """Terminal summary: the verdict, then one line per metric."""
    from mlci.report import ci_text, number, verdict_line

    lines = [verdict_line(comparison).replace("**", "")]
    for row in comparison.get("metrics") or []:
        ci, delta = ci_text(row), number(row["delta"], signed=True)
        lines.append(f"  {row['name']:<18} delta {delta:>8}  CI {ci:<22} {row['direction']}")
    return lines


def gate_or_ok(comparison: dict[str, Any]) -> int:
    from mlci.errors import GateFailed

    gate = comparison.get("gate") or {}
    if gate.get("status") == "failed":
        what = "compare gate" if comparison.get("comparable") is False else "regression gate"
        raise GateFailed(f"{what} failed: " + "; ".join(gate.get("failures") or []))
    return 0


def discard_stale(artifacts: Path) -> None:
    """After a failed compare, no earlier comparison.json (or report.md rendered from it) may survive:
    `mlci report` and `mlci govern` would read it as this run's and could pass a gate that never ran."""
    import contextlib

    for name in (files.COMPARISON, files.REPORT):
        with contextlib.suppress(OSError):
            (artifacts / name).unlink(missing_ok=True)


def _compare(args: argparse.Namespace) -> int:
    try:
        params = load_params(args.params)
        comparison = run_compare(params, args.artifacts, args.baseline, args.baseline_source)
    except BaseException:
        discard_stale(args.artifacts)
        raise
    print("\n".join(summary_lines(comparison)))
    print(f"comparison written to {args.artifacts / 'comparison.json'}")
    return gate_or_ok(comparison)
