"""Uploads land where their readers look. upload-artifact roots an artifact at the least common ancestor of its
`path:` entries (one folder: the folder; one file: its folder), so a file written under `$RUNNER_TEMP` and one in
the workspace end up under `_temp/...` and `repo/...`. Every artifact a later job or run reads is checked here with
that rule, from where the workflow's own steps write the files."""

from __future__ import annotations

import pytest
from workflow_policy import RUNNER_TEMP, WORKFLOWS, WORKSPACE, artifact_layout, load, upload_of

DOCS = {path.name: load(path) for path in sorted(WORKFLOWS.glob("*.yml"))}


def test_several_paths_are_rooted_at_their_least_common_ancestor() -> None:
    files = [f"{RUNNER_TEMP}/record/image.json", f"{WORKSPACE}/sbom.spdx.json"]
    assert artifact_layout(files, files) == {
        files[0]: "_temp/record/image.json",
        files[1]: "repo/repo/sbom.spdx.json",
    }


def test_one_folder_is_the_root_and_one_file_sits_at_the_top() -> None:
    files = [f"{WORKSPACE}/artifacts/metrics.json", f"{WORKSPACE}/artifacts/model/model.skops"]
    assert set(artifact_layout([f"{WORKSPACE}/artifacts/"], files).values()) == {"metrics.json", "model/model.skops"}
    assert artifact_layout([files[0]], files) == {files[0]: "metrics.json"}
    two = [f"{WORKSPACE}/artifacts/governance.json", f"{WORKSPACE}/artifacts/model_card.md"]
    assert set(artifact_layout(two, two).values()) == {"governance.json", "model_card.md"}


def _image_record_files(workflow: str, name: str) -> list[str]:
    upload = upload_of(DOCS[workflow], name)
    return [
        upload.env_of("mlci records image", "RECORD_DIR") + "/image.json",
        upload.with_of("anchore/sbom-action", "output-file"),
    ]


def _in(folder: str, *names: str) -> list[str]:
    return [f"{folder}/{name}" for name in names]


# (entry workflow, artifact, files the producing job writes, what its reader expects at the artifact's root)
READ_LATER = [
    ("main.yml", "mlci-image-main", lambda: _image_record_files("main.yml", "mlci-image-main"),
     {"image.json", "sbom.spdx.json"}),
    ("main.yml", "mlci-governance-main", lambda: _in(f"{WORKSPACE}/artifacts", "governance.json", "model_card.md"),
     {"governance.json", "model_card.md"}),
    ("main.yml", "mlci-comparison-main", lambda: _in(f"{WORKSPACE}/artifacts", "comparison.json", "report.md"),
     {"comparison.json", "report.md"}),
    ("main.yml", "mlci-artifacts-main", lambda: _in(f"{WORKSPACE}/artifacts", "metrics.json", "run.json"),
     {"metrics.json", "run.json"}),
    ("main.yml", "mlci-data-checks-main", lambda: _in(f"{WORKSPACE}/artifacts/checks", "data_checks.json"),
     {"data_checks.json"}),
    ("pull-request.yml", "mlci-report",
     lambda: _in(upload_of(DOCS["pull-request.yml"], "mlci-report").env_of("scripts/post_report.py", "BUNDLE_DIR"),
                 "report.md", "pr-number.txt"),
     {"report.md", "pr-number.txt"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("workflow", "name", "written", "expected"), READ_LATER, ids=[f"{w}:{n}" for w, n, *_ in READ_LATER]
)
def test_a_read_artifact_holds_its_files_at_the_top(workflow: str, name: str, written, expected: set[str]) -> None:  # type: ignore[no-untyped-def]
    files = written()
    layout = upload_of(DOCS[workflow], name).layout(files)
    assert set(layout) == set(files), f"{name} misses {sorted(set(files) - set(layout))}"
    assert set(layout.values()) == expected, f"{name} holds {sorted(layout.values())}"
