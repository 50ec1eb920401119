"""report.md rendering: golden files for each kind of comparison, the size limit, check summaries."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlci.comparison.report import MARKER, Section, SuiteResult, cell, checks_section, fit, read_suite, render
from mlci.core.errors import ArtifactError

GOLDEN = Path(__file__).parent / "golden"
CASES = ("same", "worse", "not-like-for-like", "no-baseline", "incomparable")


def _suites() -> list[SuiteResult]:
    folder = GOLDEN / "checks"
    return [read_suite(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def _render(case: str) -> str:
    comparison = json.loads((GOLDEN / f"{case}.json").read_text(encoding="utf-8"))
    suites = _suites() if case in ("worse", "not-like-for-like") else []
    return render(comparison, suites, max_chars=65_536)


@pytest.mark.parametrize("case", CASES)
def test_report_matches_golden_file(case: str) -> None:
    text = _render(case)
    golden = GOLDEN / f"{case}.md"
    if os.environ.get("MLCI_UPDATE_GOLDEN") == "1":  # regenerate after a deliberate change, then review the diff
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_every_report_starts_with_marker_and_verdict_and_has_no_images(case: str) -> None:
    lines = _render(case).splitlines()
    assert lines[0] == MARKER
    assert lines[1].startswith("**mlci: ")
    assert "![" not in "\n".join(lines)
    assert "```mermaid" in lines


def test_verdicts_say_what_happened() -> None:
    assert "**mlci: no significant change**" in _render("same")
    worse = _render("worse")
    assert "**mlci: worse**" in worse and "gate **failed**: roc_auc dropped" in worse
    assert "Not like for like:" in _render("not-like-for-like")
    assert "no baseline to compare with" in _render("no-baseline")
    incomparable = _render("incomparable")
    assert "**mlci: not compared** (the baseline answers another question)" in incomparable
    assert "> [!WARNING]\n> **Nothing was compared with the baseline:** the baseline predicts 'rings'" in incomparable


def test_incomparable_with_gates_incomparable_fail_says_the_gate_failed() -> None:
    comparison = json.loads((GOLDEN / "incomparable.json").read_text(encoding="utf-8"))
    comparison["gate"] = {"status": "failed", "failures": ["nothing was compared"], "incomparable": "fail"}
    text = render(comparison, [], max_chars=65_536)
    assert text.splitlines()[1].endswith("gate **failed** (gates.incomparable: fail)")
    assert "> [!CAUTION]" in text and "[!WARNING]" not in text
    assert "| Δ |" not in text  # no deltas: the metrics table holds this run's values only


def test_better_verdict() -> None:
    comparison = json.loads((GOLDEN / "worse.json").read_text(encoding="utf-8"))
    comparison["verdict"] = "better"
    comparison["gate"] = {"status": "passed", "failures": []}
    assert render(comparison, [], max_chars=65_536).splitlines()[1].startswith("**mlci: better**")


def test_checks_section_shows_failures_first_and_unreadable_files() -> None:
    text = _render("worse")
    assert "**data**: 1 passed, 1 failed, 1 not-run" in text
    assert text.index("Mixed Nulls") < text.index("schema: columns and types")
    assert "**model**: summary unreadable (not valid JSON (line 1))." in text
    assert "Drift**: drift: 1 of 2 checks failed" in text


def test_without_check_summaries_the_report_says_which_commands_add_them() -> None:
    text = _render("same")
    assert "Data and model checks have not run on this model" in text
    assert "`mlci check data` and `mlci check model` (`make check`) write them, then `mlci report` adds them" in text


def test_parse_check_summary_is_defensive() -> None:
    assert read_suite("s", '{"checks": 3}').error == "expected a list of checks"
    # One reader for the report and governance: an entry it cannot read makes the summary unreadable, named.
    suite = read_suite("s", '[1, {"status": "weird"}, {"name": "a", "status": "passed", "value": [1, 2]}]')
    assert suite.error == "checks[0] must be an object with a string 'check' (or 'name')"
    assert suite.checks == [] and suite.failed == 0
    suite = read_suite("s", '[{"name": "a", "status": "passed", "value": [1, 2]}]')
    assert [(c.name, c.status, c.value) for c in suite.checks] == [("a", "passed", [1, 2])]
    assert "| a |  | passed | [1, 2] |" in checks_section([suite])


def test_cells_cannot_break_the_table_or_inject_html() -> None:
    assert cell("a|b<script>\nx") == "a\\|b&lt;script&gt; x"
    assert len(cell("x" * 500)) == 80


def test_long_sections_are_cut_to_fit_and_the_verdict_survives() -> None:
    comparison = json.loads((GOLDEN / "worse.json").read_text(encoding="utf-8"))
    comparison["params_diff"] = [{"key": f"model.params.k{i}", "baseline": i, "candidate": i + 1} for i in range(5000)]
    full = render(comparison, [], max_chars=65_536)
    assert len(full) <= 65_536
    assert "more line(s) cut to fit the comment size limit" in full
    assert full.splitlines()[1].startswith("**mlci: worse**")
    assert "Reproduce locally" in full  # the footer is never cut
    small = render(comparison, [], max_chars=5_000)
    assert len(small) <= 5_000 and "| roc_auc" in small


def test_a_report_that_cannot_fit_is_refused() -> None:
    with pytest.raises(ArtifactError, match=r"over report\.max_chars 50"):
        fit([Section("", "x" * 100, truncatable=False)], 50)


def test_images_are_embedded_only_when_given() -> None:
    comparison = json.loads((GOLDEN / "same.json").read_text(encoding="utf-8"))
    text = render(comparison, [], max_chars=65_536, images=["plots/roc.png"])
    assert "![plots/roc.png](plots/roc.png)" in text


def test_warned_checks_keep_their_status_and_sort_after_failures() -> None:
    suite = read_suite(
        "data_integrity",
        json.dumps(
            {
                "checks": [
                    {"name": "ok", "status": "passed"},
                    {"name": "dupes", "status": "warned", "value": 0.12},
                    {"name": "nulls", "status": "failed", "value": 0.5},
                ]
            }
        ),
    )
    assert [c.status for c in suite.checks] == ["passed", "warned", "failed"]
    text = checks_section([suite])
    assert "1 passed, 1 warned, 1 failed" in text
    assert text.index("nulls") < text.index("dupes") < text.index("| ok |")
