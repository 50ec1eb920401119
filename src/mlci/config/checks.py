"""The `checks` section of params.yaml."""

from __future__ import annotations

from mlci.config.base import Section


class ChecksParams(Section):
    """Filled in by the checks stage."""
