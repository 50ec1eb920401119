"""pytest plugin for executed workflows (PYTEST_ADDOPTS="-p wfrun_pytest_subset"): the test job's `make pytest`
runs only MLCI_WFRUN_PYTEST_KEEP (default: the statistics tests, a few pure and fast ones), because .ci/run's
`make test` has already run the whole suite on the same tree; the job's wiring (make pytest, coverage summary,
coverage upload) is what an executed workflow proves. The default reads no workflow file, so a scenario's broken
variant fails where its defect bites in the executed workflow, not in a test job that happened to parse the YAML.
`make test-model` (pytest tests/model --no-cov) is left as it is. MLCI_WFRUN_PYTEST=all turns the plugin off."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("MLCI_WFRUN_PYTEST") == "all" or config.getoption("no_cov", default=False):
        return
    keep = os.environ.get("MLCI_WFRUN_PYTEST_KEEP", "tests/compare/test_stats.py")
    selected = [item for item in items if item.nodeid.startswith(keep)]
    config.hook.pytest_deselected(items=[item for item in items if item not in selected])
    items[:] = selected
