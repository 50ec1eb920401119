"""The script fakes (scriptkit.py) as fixtures for every test in this folder."""

from scriptkit import fakes, run_script

__all__ = ["fakes", "run_script"]
