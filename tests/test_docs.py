"""The reference in docs/cli.md is the parser's and the Makefile's own text, and nothing is left out of it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from cogapp import Cog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import cli_docs  # noqa: E402 - the generator lives in scripts/, found through sys.path

from mlci.cli import help_pages  # noqa: E402


def test_cli_reference_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    status = Cog().main(["cog", "--check", "-I", str(ROOT / "scripts"), str(ROOT / "docs" / "cli.md")])
    assert status == 0, f"docs/cli.md is stale: run `make docs`\n{capsys.readouterr().out}"


def test_every_command_has_a_section_and_a_summary() -> None:
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    pages = dict(help_pages())
    assert {"mlci run", "mlci check model", "mlci records pull"} <= set(pages)
    for command in pages:
        assert f"### `{command}`\n" in reference, f"{command} has no section in docs/cli.md"


def test_every_phony_make_target_is_documented() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = {name for line in re.findall(r"^\.PHONY:(.*)$", makefile, re.MULTILINE) for name in line.split()}
    documented = {name for name, _ in cli_docs.TARGET.findall(makefile)}
    assert phony - documented == set(), "targets without a `## description` (so missing from make help and docs)"
    assert {"run", "test", "setup", "docs"} <= documented


def test_a_flag_added_to_the_parser_makes_the_reference_stale(tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text(
        (ROOT / "docs" / "cli.md").read_text(encoding="utf-8").replace("--baseline-source", "--baseline-from"),
        encoding="utf-8",
    )
    assert Cog().main(["cog", "--check", "-I", str(ROOT / "scripts"), str(stale)]) != 0
