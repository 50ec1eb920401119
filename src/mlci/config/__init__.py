"""params.yaml: the single, strictly validated source of every knob."""

from mlci.config.loader import load_params, parse_params
from mlci.config.params import Params

__all__ = ["Params", "load_params", "parse_params"]
