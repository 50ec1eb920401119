"""report.md for the PR comment and the job summary: the comparison and check summaries in, markdown out.

Rendering is pure; `write_report` at the end is the stage `mlci report` runs (it reads the folder and writes).

GitHub caps a comment at 65,536 characters: when the text is longer, the longest optional sections are
cut (with a note) until it fits; the verdict, the metrics table and the footer are never cut. No images
unless `report.publish_images` is on (CML would upload them to a third-party host); the chart is a
mermaid block, which GitHub renders natively and which stays readable as text in a terminal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from mlci.config import Params
from mlci.core import artifacts as files
from mlci.core.artifacts import CheckEntry, CheckStatus, CheckSummary, DataSample, validate
from mlci.core.errors import ArtifactError
from mlci.metrics import BOOTSTRAP, DELONG, DELTA_METHOD, NORMAL, SUBSAMPLE_BOOTSTRAP

MARKER = "<!-- mlci-report -->"
# As `mlci check` writes them; `warned` is deepchecks' warn grade.
CHECK_STATUSES: tuple[str, ...] = get_args(CheckStatus)
_CELL_CHARS = 80


@dataclass(frozen=True)
class SuiteResult:
    """One `checks/<suite>.json` as the report shows it: the summary, or why it could not be read."""

    name: str
    summary: CheckSummary | None = None
    error: str | None = None

    @property
    def checks(self) -> list[CheckEntry]:
        return [] if self.summary is None else self.summary.checks

    @property
    def failed(self) -> int:
        return sum(1 for c in self.checks if c.status == "failed")


@dataclass(frozen=True)
class Section:
    title: str
    body: str
    truncatable: bool = field(default=True)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def read_suite(name: str, text: str) -> SuiteResult:
    """A checks summary for the report: an unreadable one is shown as such, never fails the report."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        return SuiteResult(name, error=f"not valid JSON (line {exc.lineno})")
    parsed = validate(CheckSummary, payload)
    return SuiteResult(name, error=parsed) if isinstance(parsed, str) else SuiteResult(name, parsed)


def cell(value: Any, limit: int = _CELL_CHARS) -> str:
    """Table-safe text: no pipes, no HTML, one line, bounded length."""
    text = _text(value).replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value: float | None, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    value = round(value, 4) + 0.0  # no "-0.0000"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def ci_text(row: Mapping[str, Any]) -> str:
    if row.get("ci_low") is None or row.get("ci_high") is None:
        return "n/a"
    return f"[{number(row['ci_low'], True)}, {number(row['ci_high'], True)}]"


def confidence_percent(comparison: Mapping[str, Any]) -> int:
    return round(100 * float((comparison.get("bootstrap") or {}).get("confidence", 0.95)))


def _short(sha: Any) -> str:
    return str(sha)[:12] if sha else "unknown"


def _this_run_only(comparison: Mapping[str, Any]) -> bool:
    """No baseline, or one that answers another question: only this run's own metrics are shown."""
    return comparison.get("status") in ("no-baseline", "incomparable")


def verdict_line(comparison: Mapping[str, Any]) -> str:
    gate = comparison.get("gate") or {}
    passed = gate.get("status") == "passed"
    if comparison.get("status") == "incomparable":
        setting = cell(gate.get("incomparable") or ("pass" if passed else "fail"))
        return (
            f"**mlci: not compared** (the baseline answers another question) · {cell(comparison.get('reason'), 200)} · "
            f"gate **{'passed' if passed else 'failed'}** (gates.incomparable: {setting})"
        )
    gate_text = "gate **passed**" if passed else "gate **failed**: " + "; ".join(gate.get("failures") or [])
    if comparison.get("status") == "no-baseline":
        primary = comparison.get("primary")
        value = (comparison.get("candidate_metrics") or {}).get(primary)
        return f"**mlci: no baseline to compare with** (first run?) · {primary} {number(value)} · {gate_text}"
    rows = comparison.get("metrics") or [{}]
    top = rows[0]
    label = {"better": "better", "worse": "worse"}.get(str(comparison.get("verdict")), "no significant change")
    worse_others = [r["name"] for r in rows[1:] if r.get("direction") == "worse"]
    also = f" (also significantly worse: {', '.join(worse_others)})" if worse_others else ""
    caveat = " · not like for like" if not comparison.get("like_for_like", True) else ""
    return (
        f"**mlci: {label}** · {top.get('name')} {number(top.get('baseline'))} → {number(top.get('candidate'))} "
        f"(Δ {number(top.get('delta'), True)}, {confidence_percent(comparison)} % CI {ci_text(top)})"
        f"{also}{caveat} · {gate_text}"
    )


def _context(comparison: Mapping[str, Any]) -> str:
    note = sample_note(comparison)
    return _baseline_context(comparison) + (f"\n\n{note}" if note else "")


def sample_note(comparison: Mapping[str, Any]) -> str:
    """Which rows each model was trained on when `data.sample` chose them; empty when neither side used it."""
    said = []
    for role, who in (("candidate", "This run"), ("baseline", "The baseline")):
        facts = comparison.get(role) or {}
        sample = validate(DataSample, facts.get("data_sample")) if facts.get("data_sample") else None
        if isinstance(sample, DataSample) and isinstance(facts.get("data_rows"), int):
            said.append(f"{who} was trained on {sample.describe(facts['data_rows'])}.")
    return " ".join(said)


def _baseline_context(comparison: Mapping[str, Any]) -> str:
    source = cell(comparison.get("baseline_source") or "not stated", 200)
    if comparison.get("status") == "no-baseline":
        return (
            f"Baseline: none ({source}). Nothing to compare this run with, so the regression gate passes; "
            "the next pull request compares against this model once it is on main."
        )
    if comparison.get("status") == "incomparable":
        reason = cell(comparison.get("reason") or "unknown", 200)
        if (comparison.get("gate") or {}).get("status") == "passed":
            kind, gate = (
                "WARNING",
                "The compare gate passes only because `gates.incomparable` is `pass`: judge this model on its own metrics below.",
            )
        else:
            kind, gate = (
                "CAUTION",
                "The compare gate fails because `gates.incomparable` is `fail` (set it to `pass` to let a change of question through).",
            )
        return (
            f"> [!{kind}]\n> **Nothing was compared with the baseline:** {reason}. No metric here means the same for both models, "
            f"so there are no deltas. {gate}\n\nBaseline: {source}."
        )
    rows = comparison.get("rows_compared") or {}
    if comparison.get("like_for_like", True):
        return (
            f"Baseline: {source}. Both models scored on the same {rows.get('candidate')} holdout rows (matched by row id); "
            f"{interval_methods(comparison, 'paired')}. A change counts as significant only when its interval excludes 0."
        )
    reason = cell(comparison.get("not_like_for_like_reason") or "unknown", 200)
    return (
        f"Baseline: {source}.\n\n**Not like for like:** {reason}. Each model is scored on its own holdout "
        f"(candidate {rows.get('candidate')} rows, baseline {rows.get('baseline')} rows), {interval_methods(comparison, 'unpaired')}; "
        "read the deltas with care."
    )


def interval_methods(comparison: Mapping[str, Any], kind: str) -> str:
    """Which method gave each interval: one bootstrap for all at small n, named per metric above it."""
    boot = comparison.get("bootstrap") or {}
    resampling = f"{boot.get('resamples')} bootstrap resamples, seed {boot.get('seed')}"
    by_method: dict[str, list[str]] = {}
    for row in comparison.get("metrics") or []:
        if row.get("ci_low") is not None:
            by_method.setdefault(str(row.get("interval") or BOOTSTRAP), []).append(cell(row.get("name")))
    if set(by_method) <= {BOOTSTRAP}:
        article = "an" if kind[0] in "aeiou" else "a"
        return f"intervals from {article} {kind} bootstrap ({resampling})"
    subsample = boot.get("max_rows")
    labels = {
        BOOTSTRAP: f"{kind} bootstrap ({resampling})",
        DELONG: f"DeLong{'' if kind == 'paired' else ' (unpaired)'}",
        NORMAL: "paired normal" if kind == "paired" else "normal (unpaired)",
        DELTA_METHOD: "delta method",
        SUBSAMPLE_BOOTSTRAP: f"{kind} bootstrap of a {subsample:,}-row subsample, spread rescaled to all rows ({resampling})"
        if isinstance(subsample, int)
        else f"{kind} subsample bootstrap ({resampling})",
    }
    parts = [f"{labels.get(method, cell(method))} for {', '.join(names)}" for method, names in by_method.items()]
    return f"{rows_note(comparison)}intervals by method: " + "; ".join(parts)


def rows_note(comparison: Mapping[str, Any]) -> str:
    boot = comparison.get("bootstrap") or {}
    limit = boot.get("max_rows")
    if not isinstance(limit, int):
        return ""
    return f"above {limit:,} rows (`report.bootstrap_max_rows`) "


def metrics_table(comparison: Mapping[str, Any]) -> str:
    if _this_run_only(comparison):
        lines = ["| metric | this run |", "|---|---:|"]
        for name, value in (comparison.get("candidate_metrics") or {}).items():
            lines.append(f"| {cell(name)} | {number(value)} |")
        return "\n".join(lines)
    confidence = confidence_percent(comparison)
    lines = [
        f"| metric | baseline | candidate | Δ | {confidence} % CI | p-value | test | change | gate |",
        "|---|---:|---:|---:|---|---:|---|---|---|",
    ]
    for row in comparison.get("metrics") or []:
        arrow = "↓ better" if row.get("lower_is_better") else "↑ better"
        change = {"better": "**better**", "worse": "**worse**"}.get(row.get("direction", ""), "no sig. change")
        tolerance = row.get("tolerance")
        gate = "-" if tolerance is None else f"{row.get('gate')} (tol. {tolerance:g})"
        lines.append(
            f"| {cell(row.get('name'))} ({arrow}) | {number(row.get('baseline'))} | {number(row.get('candidate'))} | "
            f"{number(row.get('delta'), True)} | {ci_text(row)} | {_p(row.get('p_value'))} | {cell(row.get('test'))} | {change} | {gate} |"
        )
    return "\n".join(lines)


def mermaid_chart(comparison: Mapping[str, Any]) -> str:
    """Baseline as bars, candidate as a line, one x position per metric that both runs have."""
    if _this_run_only(comparison):
        pairs = [(n, None, v) for n, v in (comparison.get("candidate_metrics") or {}).items() if v is not None]
        title = "this run (no baseline)" if comparison.get("status") == "no-baseline" else "this run (not compared)"
    else:
        pairs = [
            (r["name"], r["baseline"], r["candidate"])
            for r in comparison.get("metrics") or []
            if r.get("baseline") is not None and r.get("candidate") is not None
        ]
        title = "baseline (bars) vs candidate (line)"
    if not pairs:
        return "_No metric has a value on both runs: nothing to chart._"
    values = [v for _, b, c in pairs for v in (b, c) if v is not None]
    low = min(0.0, math.floor(min(values) * 10) / 10)
    high = max(1.0, math.ceil(max(values) * 10) / 10)
    names = ", ".join(f'"{name}"' for name, _, _ in pairs)
    lines = [
        "```mermaid",
        "xychart-beta",
        f'    title "{title}"',
        f"    x-axis [{names}]",
        f'    y-axis "value" {low:g} --> {high:g}',
    ]
    if not _this_run_only(comparison):
        lines.append("    bar [" + ", ".join(f"{b:.4f}" for _, b, _ in pairs) + "]")
    lines.append("    line [" + ", ".join(f"{c:.4f}" for _, _, c in pairs) + "]")
    lines.append("```")
    return "\n".join(lines)


def checks_section(suites: Sequence[SuiteResult] | None) -> str:
    if not suites:
        return (
            "Data and model checks have not run on this model (no `checks/*.json` summaries in the artifacts folder): "
            "`mlci check data` and `mlci check model` (`make check`) write them, then `mlci report` adds them here."
        )
    parts = []
    for suite in suites:
        if suite.error is not None:
            parts.append(f"**{cell(suite.name)}**: summary unreadable ({cell(suite.error)}).")
            continue
        counts = {s: sum(1 for c in suite.checks if c.status == s) for s in CHECK_STATUSES}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        lines = [f"**{cell(suite.name)}**: {summary or 'no checks listed'}", ""]
        if suite.checks:
            lines += ["| check | condition | status | value |", "|---|---|---|---|"]
            ordered = sorted(
                suite.checks, key=lambda c: (c.status != "failed", c.status != "not-run", c.status != "warned")
            )
            for check in ordered:
                status = f"**{check.status}**" if check.status == "failed" else check.status
                lines.append(f"| {cell(check.name)} | {cell(check.condition)} | {status} | {cell(check.value)} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _signed_int(value: Any) -> str:
    return f"{value:+d}" if isinstance(value, int) else "n/a"


def changes_section(comparison: Mapping[str, Any], suites: Sequence[SuiteResult] | None) -> str:
    base, cand = comparison.get("baseline") or {}, comparison.get("candidate") or {}
    data = comparison.get("data") or {}
    same_data = data.get("baseline_sha256") == data.get("candidate_sha256")
    rows_b, rows_c = data.get("baseline_rows"), data.get("candidate_rows")
    row_delta = rows_c - rows_b if isinstance(rows_b, int) and isinstance(rows_c, int) else None
    lines = [
        "- **Data**: "
        + (
            "unchanged (same sha256)"
            if same_data
            else f"sha256 {_short(data.get('baseline_sha256'))} → {_short(data.get('candidate_sha256'))}"
        )
        + f"; rows {rows_b} → {rows_c} ({_signed_int(row_delta)}); holdout row ids +{data.get('holdout_ids_added')} / -{data.get('holdout_ids_removed')}.",
    ]
    drift = [s for s in suites or [] if "drift" in s.name.lower() and s.error is None]
    if drift:
        lines.append(
            "- **Drift**: " + "; ".join(f"{s.name}: {s.failed} of {len(s.checks)} checks failed" for s in drift) + "."
        )
    else:
        lines.append("- **Drift**: no drift summary (the drift check did not run).")
    size_b, size_c = base.get("model_bytes"), cand.get("model_bytes")
    size = f"{size_b:,} → {size_c:,} bytes" if isinstance(size_b, int) and isinstance(size_c, int) else "n/a"
    time_b, time_c = base.get("train_seconds"), cand.get("train_seconds")
    timing = (
        f"{time_b:.1f} s → {time_c:.1f} s"
        if isinstance(time_b, (int, float)) and isinstance(time_c, (int, float))
        else "n/a"
    )
    estimator = cell(cand.get("estimator"))
    if base.get("estimator") != cand.get("estimator"):
        estimator = f"{cell(base.get('estimator'))} → {estimator}"
    lines.append(f"- **Model**: {estimator}; size {size}; training time {timing}.")
    sample = cand.get("evaluation_sample") or {}
    if sample.get("sampled"):
        lines.append(
            f"- **Evaluation**: metrics on all {cand.get('holdout_rows')} holdout rows; feature importance and plots on "
            f"a sample of {sample.get('sample_rows')} (`evaluate.sample_rows`, chosen by row key)."
        )
    diff = comparison.get("params_diff") or []
    if not diff:
        lines.append("- **Params**: no change.")
    else:
        lines += [
            "",
            f"- **Params**: {len(diff)} key(s) changed:",
            "",
            "| key | baseline | candidate |",
            "|---|---|---|",
        ]
        for d in diff:
            before = "(absent)" if d.get("change") == "added" else cell(json.dumps(d.get("baseline"), default=str))
            after = "(absent)" if d.get("change") == "removed" else cell(json.dumps(d.get("candidate"), default=str))
            lines.append(f"| `{cell(d.get('key'))}` | {before} | {after} |")
    return "\n".join(lines)


def footer(comparison: Mapping[str, Any]) -> str:
    cand = comparison.get("candidate") or {}
    commit = str(cand.get("commit") or "unknown")
    checkout = "" if commit == "unknown" else f"git checkout {cell(commit.removesuffix('-dirty'), 60)} && "
    return (
        f"commit `{cell(commit, 60)}` · data sha256 `{cell(cand.get('data_sha256'), 64)}` · params hash `{_short(cand.get('params_hash'))}` · "
        f"model sha256 `{cell(cand.get('model_sha256'), 64)}`\n\n"
        f"Reproduce locally: `{checkout}make run`, then "
        "`make compare BASELINE=path/to/main-artifacts` and `make report`."
    )


def _assemble(sections: Sequence[Section]) -> str:
    return "\n\n".join(f"### {s.title}\n\n{s.body}" if s.title else s.body for s in sections).rstrip() + "\n"


def _cut(section: Section, budget: int) -> Section:
    """Keep as many whole lines of the body as fit in `budget` characters, then a note."""
    lines = section.body.splitlines()
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    dropped = len(lines) - len(kept)
    note = f"_… {dropped} more line(s) cut to fit the comment size limit; the full data is in the run's artifacts._"
    return Section(section.title, "\n".join([*kept, "", note]).strip(), truncatable=False)


def fit(sections: list[Section], max_chars: int) -> str:
    """Join the sections, cutting the longest truncatable ones until the text fits in max_chars."""
    text = _assemble(sections)
    while len(text) > max_chars:
        candidates = [i for i, s in enumerate(sections) if s.truncatable]
        if not candidates:
            raise ArtifactError(
                f"report.md: {len(text)} characters even after truncation, over report.max_chars {max_chars}"
            )
        longest = max(candidates, key=lambda i: len(sections[i].body))
        excess = len(text) - max_chars
        sections[longest] = _cut(sections[longest], max(0, len(sections[longest].body) - excess - 200))
        text = _assemble(sections)
    return text


def render(
    comparison: Mapping[str, Any],
    suites: Sequence[SuiteResult] | None,
    *,
    max_chars: int,
    images: Sequence[str] = (),
) -> str:
    """The whole report. `images` (paths relative to report.md) are embedded only when given."""
    sections = [
        Section("", f"{MARKER}\n{verdict_line(comparison)}", truncatable=False),
        Section("", _context(comparison), truncatable=False),
        Section("Metrics", metrics_table(comparison), truncatable=False),
        Section("Chart", mermaid_chart(comparison), truncatable=False),
        Section("Data and model checks", checks_section(suites)),
    ]
    if comparison.get("status") != "no-baseline":
        sections.append(Section("What changed", changes_section(comparison, suites)))
    if images:
        sections.append(Section("Plots", "\n\n".join(f"![{cell(i)}]({i})" for i in images)))
    sections.append(Section("", "---\n" + footer(comparison), truncatable=False))
    return fit(sections, max_chars)


def terminal_summary(comparison: Mapping[str, Any]) -> list[str]:
    """The verdict, then one line per metric: what `mlci compare` prints."""
    lines = [verdict_line(comparison).replace("**", "")]
    for row in comparison.get("metrics") or []:
        ci, delta = ci_text(row), number(row["delta"], signed=True)
        lines.append(f"  {row['name']:<18} delta {delta:>8}  CI {ci:<22} {row['direction']}")
    return lines


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
