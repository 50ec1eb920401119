"""`mlci image ...` wiring: arguments reach the library and results print as one line (engine-free)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlci.cli import main
from mlci.release import image, smoke
from synthetic import EXAMPLE


def test_build_uses_params_env_and_run(
    trained_run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def fake_build(spec: image.BuildSpec, root: Path, artifacts: Path) -> str:
        seen.update(spec=spec, root=root, artifacts=artifacts)
        return "sha256:abc"

    monkeypatch.setattr(image, "build", fake_build)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    assert main(["image", "build", "--params", str(EXAMPLE / "params.yaml"), "--artifacts", str(trained_run)]) == 0
    run = json.loads((trained_run / "run.json").read_text())
    spec = seen["spec"]
    assert spec.source == "https://github.com/o/r"
    assert spec.model_sha256 == run["model"]["sha256"] and spec.tag.startswith("mlci-model:")
    assert capsys.readouterr().out.strip() == f"{spec.tag} sha256:abc"


def test_smoke_prints_the_report(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    report = smoke.SmokeReport("img:1", 370.2, "10001:10001", 4.2, 1044, {"empty body": 400})
    monkeypatch.setattr(smoke, "run_smoke", lambda *a: report)
    assert main(["image", "smoke", "--params", str(EXAMPLE / "params.yaml"), "img:1"]) == 0
    assert "370 MB, user 10001:10001, ready in 4.20s, 1044 holdout rows identical" in capsys.readouterr().out


def test_push_and_promote_print_digests(
    trained_run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = "sha256:" + "1" * 64
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(image, "push", lambda *a: calls.append(a) or image.Moved(a[1], digest, None))
    monkeypatch.setattr(
        image,
        "promote",
        lambda *a: calls.append(a) or image.Moved(f"{a[0].repository}:{a[2]}", digest, "sha256:" + "2" * 64),
    )
    common = ["--params", str(EXAMPLE / "params.yaml"), "--artifacts", str(trained_run)]
    assert main(["image", "push", *common, "img:1", "--repository", "127.0.0.1:5000/m"]) == 0
    commit = json.loads((trained_run / "run.json").read_text())["commit"]
    assert calls[0][1] == f"127.0.0.1:5000/m:{image.default_tag('m', commit).split(':')[1]}"
    assert calls[0][2] == trained_run / "governance.json"
    assert main(["image", "promote", *common, "--digest", digest, "--to", "staging"]) == 0
    assert calls[1][0].repository == "ghcr.io/OWNER/mlci-model"
    out = capsys.readouterr().out
    assert f"ghcr.io/OWNER/mlci-model:staging -> {digest} (was sha256:2222" in out


def test_promote_without_governance_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(image.Registry, "labels", lambda self, digest: {image.MODEL_LABEL: "a" * 64})
    code = main(
        [
            "image",
            "promote",
            "--params",
            str(EXAMPLE / "params.yaml"),
            "--artifacts",
            str(tmp_path),
            "--digest",
            "sha256:" + "1" * 64,
            "--to",
            "production",
        ]
    )
    assert code == 1
    assert "no governance record" in capsys.readouterr().err


def test_check_image_rules() -> None:
    assert smoke.check_image("i", {"Size": 300e6, "Config": {"User": "10001"}}, 400) == (300.0, "10001")
    with pytest.raises(Exception, match="runs as root"):
        smoke.check_image("i", {"Size": 1, "Config": {"User": ""}}, 400)
    with pytest.raises(Exception, match="over the image.max_size_mb budget".replace(".", "[.]")):
        smoke.check_image("i", {"Size": 401e6, "Config": {"User": "app"}}, 400)


def test_compare_reports_differences() -> None:
    import pandas as pd

    expected = pd.DataFrame(
        {
            "id": ["1", "2"],
            "y_true": ["0", "1"],
            "y_pred": ["0", "1"],
            "proba_0": ["0.9", "0.2"],
            "proba_1": ["0.1", "0.8"],
        }
    )
    assert smoke.compare(expected, [0, 1], [[0.9, 0.1], [0.2, 0.8]], [0, 1]) == []
    assert "row id 2: served prediction 0" in smoke.compare(expected, [0, 0], [[0.9, 0.1], [0.2, 0.8]], [0, 1])[0]
    assert "P(1)" in smoke.compare(expected, [0, 1], [[0.9, 0.1], [0.2, 0.7]], [0, 1])[0]
    assert "no probabilities" in smoke.compare(expected, [0, 1], None, [0, 1])[0]
    assert "has no proba_2 column" in smoke.compare(expected, [0, 1], [[0.9, 0.1, 0], [0.2, 0.8, 0]], [0, 1, 2])[0]
    assert "served 1 predictions" in smoke.compare(expected, [0], None, [])[0]
    regression = pd.DataFrame({"id": ["1"], "y_true": ["1.5"], "y_pred": ["1.25"]})
    assert smoke.compare(regression, [1.25 + 1e-12], None, []) == []
    assert smoke.compare(regression, [1.3], None, []) != []


def test_holdout_refuses_mismatched_artifacts(bundled_params: Any, trained_run: Path, tmp_path: Path) -> None:
    from mlci.core.errors import ArtifactError

    with pytest.raises(ArtifactError, match=r"predictions\.csv: missing"):
        smoke.holdout(bundled_params, tmp_path)
    (tmp_path / "predictions.csv").write_text("id,y_true,y_pred\n999999,0,0\n")
    with pytest.raises(ArtifactError, match="row id '999999' is not in"):
        smoke.holdout(bundled_params, tmp_path)
    assert smoke._json_value(float("nan")) is None and smoke._json_value(pd_na()) is None


def pd_na() -> Any:
    import pandas as pd

    return pd.NA


class FakeContainer:
    def __init__(self, status: str) -> None:
        self.status = status
        self.attrs = {"State": {"ExitCode": 2}}

    def reload(self) -> None:
        pass

    def logs(self) -> bytes:
        return b"starting\nmlci: error: artifacts/model.skops: sha256 mismatch\n"


def test_wait_ready_reports_an_exited_container_and_a_timeout() -> None:
    from mlci.core.errors import GateFailed

    with pytest.raises(GateFailed, match=r"container exited \(2\) before /ready: mlci: error: .*sha256 mismatch"):
        smoke.wait_ready("http://127.0.0.1:9", FakeContainer("exited"), timeout=5)
    with pytest.raises(GateFailed, match="not ready after"):
        smoke.wait_ready("http://127.0.0.1:9", FakeContainer("running"), timeout=0.2)


def test_recorded_model_sha256_is_read_up_front_with_clean_errors(trained_run: Path, tmp_path: Path) -> None:
    from mlci.core.errors import ArtifactError

    run = json.loads((trained_run / "run.json").read_text())
    assert smoke.recorded_model_sha256(trained_run) == run["model"]["sha256"]
    with pytest.raises(ArtifactError, match=r"run\.json: missing"):
        smoke.recorded_model_sha256(tmp_path)
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(ArtifactError, match=r"run\.json: not valid JSON"):
        smoke.recorded_model_sha256(tmp_path)
    without_hash = {**run, "model": {key: value for key, value in run["model"].items() if key != "sha256"}}
    (tmp_path / "run.json").write_text(json.dumps(without_hash))
    with pytest.raises(ArtifactError, match=r"run\.json: key 'model\.sha256' is missing"):
        smoke.recorded_model_sha256(tmp_path)
    (tmp_path / "run.json").write_text('{"model": {}}')
    with pytest.raises(ArtifactError, match=r"run\.json: format_version is missing"):
        smoke.recorded_model_sha256(tmp_path)


class ServingContainer:
    def exec_run(self, command: list[str]) -> Any:
        return type("Exec", (), {"output": b"10001\n"})()


def test_check_serving_holds_the_served_sha_against_the_recorded_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlci.core.errors import GateFailed

    monkeypatch.setattr(smoke, "_http", lambda url, *a, **k: (200, json.dumps({"model_sha256": "served"}).encode()))
    data = smoke.Holdout(records=[{"x": 1}], expected=pd_frame())
    with pytest.raises(GateFailed, match="img:1: serves model served, artifacts record recorded"):
        smoke._check_serving(
            "img:1", "http://127.0.0.1:9", ServingContainer(), data=data, recorded="recorded", batch=10
        )


def pd_frame() -> Any:
    import pandas as pd

    return pd.DataFrame({"id": ["1"], "y_true": ["0"], "y_pred": ["0"]})


def test_python_dash_m_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    from mlci.serve import server

    seen: list[Any] = []
    monkeypatch.setattr(server, "serve", lambda artifacts: seen.append(artifacts) or 0)
    monkeypatch.setattr("sys.argv", ["python -m mlci.serve", "--artifacts", "x"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("mlci.serve", run_name="__main__")
    assert exit_info.value.code == 0 and seen == [Path("x")]


def test_python_dash_m_entry_point_reports_user_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad setting is one line and exit 2, as with `mlci serve`."""
    import runpy

    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setattr("sys.argv", ["python -m mlci.serve", "--artifacts", "x"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("mlci.serve", run_name="__main__")
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "mlci: error: PORT: expected a positive integer, got 'eighty'\n"


def test_container_entry_imports_only_the_serve_command() -> None:
    """`python -m mlci.serve --help` leaves checks, reports, config and yaml unimported (container start time)."""
    import subprocess
    import sys

    probe = (
        "import runpy, sys\n"
        "sys.argv = ['python -m mlci.serve', '--help']\n"
        "try:\n"
        "    runpy.run_module('mlci.serve', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('mlci', 'yaml')))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(result.stdout.split())
    assert "mlci.serve.server" in loaded and "--artifacts" in result.stdout
    assert not loaded & {"mlci.cli", "mlci.commands", "mlci.checks", "mlci.comparison", "mlci.config", "yaml"}


def test_full_command_list_is_unchanged() -> None:
    import mlci.cli

    names = [command.__name__.rsplit(".", 1)[1] for command in mlci.cli.all_commands()]
    assert names == ["init", "run", "config", "check", "compare", "report", "govern", "serve", "image", "records"]
