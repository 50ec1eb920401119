"""mlci: train, check, compare, govern and ship a scikit-learn model from CI."""

__version__ = "0.1.0"
