"""`mlci report`: render comparison.json and the check summaries into report.md (PR comment, job summary)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlci import artifacts as files
from mlci.config import Params, load_params
from mlci.report import SuiteResult, read_suite, render


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("report", help="write report.md (markdown for the PR comment) from comparison.json")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file (default: params.yaml)")
    parser.add_argument(
        "--artifacts", type=Path, default=Path("artifacts"), help="this run's folder (default: artifacts)"
    )
    parser.set_defaults(func=_report)


def read_check_suites(folder: Path) -> list[SuiteResult]:
    """Every checks/*.json summary, sorted by name; an unreadable file becomes a suite with an error."""
    suites = []
    for path in sorted((folder / files.CHECKS).glob("*.json")):
        try:
            suites.append(read_suite(path.stem, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            suites.append(SuiteResult(path.stem, error=f"cannot read: {exc.__class__.__name__}"))
    return suites


def write_report(params: Params, artifacts: Path) -> tuple[Path, str]:
    """Render report.md from the folder's comparison.json; refuses a comparison of another model."""
    from mlci.errors import ArtifactError

    path = artifacts / files.COMPARISON
    comparison = files.read_model(files.ComparisonFile, path, "run `mlci compare` (with or without --baseline) first")
    model_file = artifacts / files.MODEL_SHA256
    current = model_file.read_text(encoding="utf-8").split()[:1] if model_file.is_file() else []
    if current != [comparison.root.candidate.model_sha256]:
        raise ArtifactError(f"{path}: compares another model than {model_file} holds; rerun `mlci compare`")
    images = (
        sorted(p.relative_to(artifacts).as_posix() for p in (artifacts / files.PLOTS).glob("*.png"))
        if params.report.publish_images
        else []
    )
    text = render(comparison.dump(), read_check_suites(artifacts), max_chars=params.report.max_chars, images=images)
    out = artifacts / files.REPORT
    files.write_atomic(out, text)
    return out, text


def _report(args: argparse.Namespace) -> int:
    import contextlib

    try:
        params = load_params(args.params)
        out, text = write_report(params, args.artifacts)
    except BaseException:
        # An earlier report.md would be posted as this run's by the next CI step.
        with contextlib.suppress(OSError):
            (args.artifacts / files.REPORT).unlink(missing_ok=True)
        raise
    print(f"report written to {out} ({len(text):,} characters)")
    return 0
