"""The `image` section of params.yaml."""

from __future__ import annotations

from mlci.config.base import Section


class ImageParams(Section):
    """Filled in by the image stage."""
