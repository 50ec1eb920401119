"""The negative set: each workflow in bad/ is broken in one way, named in its header, and the gate rejects it for
exactly that reason (the real workflows pass the same linters in `make lint-workflows`, part of `make test`): the policy reports exactly the rules listed under `expect-policy`, and each linter listed
under `expect-tool` fails on it naming that rule. zizmor, run on every bad file, reports nothing but what the
header expects, so no file is rejected by accident."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_policy import ROOT, check_workflow

BAD = sorted((Path(__file__).parent / "bad").glob("*.yml"))
BIN = Path(sys.executable).parent
ZIZMOR_RULE = re.compile(r"^(?:error|warning|help|info|note)\[([a-z0-9-]+)\]", re.MULTILINE)


def header(path: Path, key: str) -> list[str]:
    return [
        line.split(":", 1)[1].strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"# {key}:")
    ]


def expected_tools(path: Path) -> dict[str, set[str]]:
    tools: dict[str, set[str]] = {}
    for entry in header(path, "expect-tool"):
        tool, rule = entry.split()
        tools.setdefault(tool, set()).add(rule)
    return tools


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


def test_the_negative_set_covers_the_required_cases() -> None:
    names = {path.stem for path in BAD}
    required = {
        "unpinned-action",
        "tag-pinned-action",
        "pull-request-target",
        "untrusted-title",
        "no-permissions",
        "write-all",
        "missing-timeout",
        "undeclared-input",
        "artifact-mismatch",
    }
    assert required <= names, sorted(required - names)
    assert len(BAD) >= 8


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_policy_rejects_for_the_stated_reason(path: Path) -> None:
    expected = {rule for line in header(path, "expect-policy") for rule in line.split()}
    assert expected, f"{path.name} states no expect-policy"
    assert {finding.rule for finding in check_workflow(path)} == expected


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_zizmor_reports_only_the_stated_rules(path: Path) -> None:
    result = run(
        BIN / "zizmor",
        "--offline",
        "--strict-collection",
        "--persona=auditor",
        "--no-progress",
        "--quiet",
        "--color=never",
        path,
    )
    found = set(ZIZMOR_RULE.findall(result.stdout))
    expected = expected_tools(path).get("zizmor", set())
    assert found == expected, result.stdout[-2000:]
    assert (result.returncode != 0) == bool(expected), result.returncode


@pytest.mark.parametrize("path", [p for p in BAD if "actionlint" in expected_tools(p)], ids=lambda p: p.stem)
def test_actionlint_rejects_for_the_stated_rule(path: Path) -> None:
    result = run(BIN / "actionlint", f"-shellcheck={BIN / 'shellcheck'}", path)
    assert result.returncode == 1, result.stdout + result.stderr
    found = set(re.findall(r"\[([a-z-]+)\]$", result.stdout, flags=re.MULTILINE))
    assert expected_tools(path)["actionlint"] <= found, result.stdout


@pytest.mark.parametrize("path", [p for p in BAD if "check-jsonschema" in expected_tools(p)], ids=lambda p: p.stem)
def test_check_jsonschema_rejects_for_the_stated_rule(path: Path) -> None:
    result = run(BIN / "check-jsonschema", "--builtin-schema", "custom.github-workflows-require-timeout", path)
    assert result.returncode == 1, result.stdout + result.stderr
    for rule in expected_tools(path)["check-jsonschema"]:
        assert rule in result.stdout, result.stdout


def test_bad_workflows_are_otherwise_valid_so_the_schema_is_not_the_reason() -> None:
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *BAD)
    assert result.returncode == 0, result.stdout
