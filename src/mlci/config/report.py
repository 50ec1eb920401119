"""The `report` section of params.yaml."""

from __future__ import annotations

from mlci.config.base import Section


class ReportParams(Section):
    """Filled in by the report stage."""
