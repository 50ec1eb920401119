"""The commands the image and release workflows take their step outputs and the image record from: `mlci image
name|ref`, `mlci image push --github-output`, `mlci records image|read`, and the one `--github-output` writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlci.cli import main
from mlci.core import artifacts as files
from mlci.core.errors import GateFailed, MlciError
from mlci.core.github_output import write_github_output
from mlci.release import image
from synthetic import EXAMPLE

DIGEST = "sha256:" + "ab" * 32
COMMIT = "c0ffee" + "0" * 34


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


@pytest.fixture
def github_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "github-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(path))
    return path


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


# --- mlci image name / ref -------------------------------------------------------------------------------------


def test_image_name_is_lower_case(github_output: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["image", "name", "--repository", "Acme/Churn-Model", "--github-output"]) == 0
    assert outputs(github_output) == {"image": "ghcr.io/acme/churn-model"}
    assert capsys.readouterr().out == "ghcr.io/acme/churn-model\n"
    assert main(["image", "name", "--registry", "127.0.0.1:5000", "--repository", "o/r", "--github-output"]) == 0
    assert outputs(github_output) == {"image": "127.0.0.1:5000/o/r"}, "appended: the last line wins"


@pytest.mark.parametrize(("registry", "repository"), [("bad host", "acme/model"), ("ghcr.io", ""), ("ghcr.io/", "a/b")])
def test_image_name_refuses_a_bad_registry(
    github_output: Path, capsys: pytest.CaptureFixture[str], registry: str, repository: str
) -> None:
    code = main(["image", "name", "--registry", registry, "--repository", repository, "--github-output"])
    assert code == 2 and "not a valid image repository" in one_line_error(capsys)
    assert not github_output.exists()


def test_image_ref_is_the_digest_never_a_tag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["image", "ref", "--repository", "ghcr.io/acme/model", "--digest", DIGEST]) == 0
    assert capsys.readouterr().out == f"ghcr.io/acme/model@{DIGEST}\n"
    assert main(["image", "ref", "--repository", "ghcr.io/acme/model", "--digest", "latest"]) == 2
    assert "digest must be sha256:<64 hex digits>, got 'latest'" in one_line_error(capsys)
    assert main(["image", "ref", "--repository", "", "--digest", DIGEST]) == 2
    assert "repository must be a lower-case HOST/PATH image repository" in one_line_error(capsys)


# --- mlci image push --github-output -----------------------------------------------------------------------------

PUSH = ["image", "push", "--params", str(EXAMPLE / "params.yaml"), "x:local", "--repository", "ghcr.io/acme/model"]


def test_image_push_outputs_the_pushed_digest(
    tmp_path: Path, github_output: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pushed: list[tuple[Any, ...]] = []
    monkeypatch.setattr(image, "push", lambda *a: pushed.append(a) or image.Moved(a[1], DIGEST, None))
    assert main([*PUSH, "--artifacts", str(tmp_path), "--tag", COMMIT[:12], "--github-output"]) == 0
    assert pushed[0][:2] == ("x:local", f"ghcr.io/acme/model:{COMMIT[:12]}")
    assert outputs(github_output) == {"digest": DIGEST}
    assert capsys.readouterr().out == f"ghcr.io/acme/model:{COMMIT[:12]} {DIGEST}\n"


def test_image_push_fails_without_a_digest(
    tmp_path: Path, github_output: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(*args: Any) -> image.Moved:
        raise GateFailed("governance decision is 'failed', not 'passed'; refusing to ship")

    monkeypatch.setattr(image, "push", refused)
    assert main([*PUSH, "--artifacts", str(tmp_path), "--tag", "abc", "--github-output"]) == 1
    assert "refusing to ship" in one_line_error(capsys)
    assert not github_output.exists(), "no digest output for an image that was not pushed"


# --- mlci records image / read -----------------------------------------------------------------------------------


def record_image(out: Path, image_name: str = "ghcr.io/acme/model", digest: str = DIGEST, commit: str = COMMIT) -> int:
    return main(
        ["records", "image", "--repository", image_name, "--digest", digest, "--commit", commit, "--out", str(out)]
    )


def test_image_record_writes_image_digest_commit(tmp_path: Path) -> None:
    assert record_image(tmp_path / "rec") == 0
    assert json.loads((tmp_path / "rec" / "image.json").read_text()) == {
        "format_version": files.FORMAT_VERSION,
        "image": "ghcr.io/acme/model",
        "digest": DIGEST,
        "commit": COMMIT,
    }
    assert [p.name for p in (tmp_path / "rec").iterdir()] == ["image.json"], "no temp file left behind"


@pytest.mark.parametrize(
    ("image_name", "digest", "commit", "message"),
    [
        ("ghcr.io/acme/model", "sha256:abc", COMMIT, "digest must be"),
        ("ghcr.io/Acme/model", DIGEST, COMMIT, "repository must be"),
        ("ghcr.io/acme/model", DIGEST, "main", "commit must be"),
        ("ghcr.io/acme/model", DIGEST, COMMIT[:12], "commit must be"),
    ],
)
def test_image_record_refuses_bad_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], image_name: str, digest: str, commit: str, message: str
) -> None:
    assert record_image(tmp_path / "rec", image_name, digest, commit) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "rec" / "image.json").exists()


def pulled(folder: Path, record: dict[str, Any]) -> Path:
    """What `mlci records pull` leaves: the image record and the governance record, among others."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "image.json").write_text(json.dumps(record), encoding="utf-8")
    (folder / "governance.json").write_text("{}", encoding="utf-8")
    return folder


def read(folder: Path, commit: str = COMMIT, repository: str = "ghcr.io/acme/model") -> int:
    return main(["records", "read", str(folder), "--repository", repository, "--commit", commit, "--github-output"])


def test_records_read_outputs_the_image_and_digest_to_release(
    tmp_path: Path, github_output: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert record_image(tmp_path / "rec") == 0
    (tmp_path / "rec" / "governance.json").write_text("{}", encoding="utf-8")
    capsys.readouterr()
    assert read(tmp_path / "rec") == 0
    assert outputs(github_output) == {"image": "ghcr.io/acme/model", "digest": DIGEST}
    assert capsys.readouterr().out == f"{COMMIT} -> ghcr.io/acme/model@{DIGEST}\n"


def test_records_read_takes_records_written_before_the_format_was_versioned(
    tmp_path: Path, github_output: Path
) -> None:
    """Images pushed before image.json had `format_version` can still be released and rolled back to."""
    folder = pulled(tmp_path / "old", {"image": "ghcr.io/acme/model", "digest": DIGEST, "commit": COMMIT})
    assert read(folder) == 0
    assert outputs(github_output)["digest"] == DIGEST


@pytest.mark.parametrize(
    ("record", "code", "message"),
    [
        ({"commit": "d" * 40}, 1, f"is for commit {'d' * 40}, not {COMMIT}"),
        ({"image": "ghcr.io/other/model"}, 1, "names ghcr.io/other/model, not ghcr.io/acme/model"),
        ({"digest": "latest"}, 2, "image.json: key 'digest'"),
        ({"commit": None}, 2, "image.json: key 'commit'"),
        ({"format_version": 99}, 2, "image.json: format_version 99 is newer than this mlci understands"),
    ],
)
def test_records_read_refuses_a_record_of_another_release(
    tmp_path: Path,
    github_output: Path,
    capsys: pytest.CaptureFixture[str],
    record: dict[str, Any],
    code: int,
    message: str,
) -> None:
    good = {"format_version": 1, "image": "ghcr.io/acme/model", "digest": DIGEST, "commit": COMMIT}
    assert read(pulled(tmp_path / "rec", {**good, **record})) == code
    assert message in one_line_error(capsys)
    assert not github_output.exists()


def test_records_read_refuses_incomplete_records_and_bad_arguments(
    tmp_path: Path, github_output: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = pulled(tmp_path / "rec", {"image": "ghcr.io/acme/model", "digest": DIGEST, "commit": COMMIT})
    (folder / "governance.json").unlink()
    assert read(folder) == 1 and "lack governance.json" in one_line_error(capsys)
    assert read(tmp_path / "nothing") == 1 and "lack image.json, governance.json" in one_line_error(capsys)
    assert read(folder, commit=COMMIT.upper()) == 2 and "commit must be a full 40-hex" in one_line_error(capsys)
    assert read(folder, repository="GHCR.io/Acme/Model") == 2
    assert "repository must be a lower-case HOST/PATH image repository" in one_line_error(capsys)
    assert not github_output.exists()


# --- the --github-output writer ----------------------------------------------------------------------------------


def test_github_output_appends_and_refuses_a_line_break(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("earlier=step\n", encoding="utf-8")
    environ = {"GITHUB_OUTPUT": str(target)}
    write_github_output({"image": "ghcr.io/a/b", "digest": DIGEST}, environ)
    assert target.read_text(encoding="utf-8") == f"earlier=step\nimage=ghcr.io/a/b\ndigest={DIGEST}\n"
    for bad in ({"digest": f"{DIGEST}\nimage=evil"}, {"image": "ok", "digest": "x\r"}, {"bad key": "x"}):
        with pytest.raises(MlciError):
            write_github_output(bad, environ)
    assert target.read_text(encoding="utf-8").count("\n") == 3, "nothing of a refused set is written"


def test_github_output_without_actions_prints(capsys: pytest.CaptureFixture[str]) -> None:
    write_github_output({"image": "ghcr.io/a/b"}, {})
    assert capsys.readouterr().out == "image=ghcr.io/a/b\n"
