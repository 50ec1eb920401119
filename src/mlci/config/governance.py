"""The `governance` section of params.yaml."""

from __future__ import annotations

from mlci.config.base import Section


class GovernanceParams(Section):
    """Filled in by the governance stage."""
