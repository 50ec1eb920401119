"""What docs/cli.md is generated from (`make docs` runs cog on it; tests/test_docs.py checks it is current):
every `mlci` command's `--help` and every documented `make` target."""

from __future__ import annotations

import re
from pathlib import Path

from mlci.cli import help_pages

ROOT = Path(__file__).resolve().parents[1]
# The same rule as `make help`: a target is documented by a `## text` comment on its rule line.
TARGET = re.compile(r"^([a-zA-Z_-]+):[^=]*?##\s*(.+)$", re.MULTILINE)


def commands() -> str:
    sections = []
    for command, text in help_pages():
        sections.append(f"### `{command}`\n\n```text\n{text.rstrip()}\n```\n")
    return "\n" + "\n".join(sections)


def make_targets(makefile: Path = ROOT / "Makefile") -> str:
    rows = ["| target | what it does |", "|---|---|"]
    for name, text in TARGET.findall(makefile.read_text(encoding="utf-8")):
        rows.append(f"| `make {name}` | {text.strip().replace('|', chr(92) + '|')} |")
    return "\n" + "\n".join(rows) + "\n\n"
