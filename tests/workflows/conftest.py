"""The script fakes (scriptkit.py) as fixtures for every test in this folder."""

from scriptkit import fake_issues, fakes, run_script

__all__ = ["fake_issues", "fakes", "run_script"]
