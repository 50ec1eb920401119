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


@pytest.mark.skipif(
    sys.version_info >= (3, 13),
    reason="argparse 3.13 prints an option's aliases with one metavar ('--artifacts, --out DIR'); docs/cli.md is"
    " generated on the lowest supported Python, which `make test` runs",
)
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


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="see test_cli_reference_is_current")
def test_a_flag_added_to_the_parser_makes_the_reference_stale(tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text(
        (ROOT / "docs" / "cli.md").read_text(encoding="utf-8").replace("--baseline-source", "--baseline-from"),
        encoding="utf-8",
    )
    assert Cog().main(["cog", "--check", "-I", str(ROOT / "scripts"), str(stale)]) != 0


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"(?ms)^```.*?^```", "", page.read_text(encoding="utf-8"))
    return {_slug(h) for h in re.findall(r"(?m)^#{1,6} (.+)$", text)}


def test_every_link_between_the_readme_and_docs_resolves() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        text = re.sub(r"(?ms)^```.*?^```", "", page.read_text(encoding="utf-8"))
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_the_readme_is_a_first_screen_not_the_reference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme) < 8000, "reference belongs in docs/; the README gets a newcomer going"
    for first_steps in ("make run", "make test", "mlci init", "params.yaml", "src/mlci/model.py"):
        assert first_steps in readme
