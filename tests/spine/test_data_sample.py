"""`data.sample`: pull requests train on a stable sample by row key, main on every row, and the records say so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.cli import main
from mlci.config import parse_params
from mlci.config.training import SampleParams, SplitParams
from mlci.core.artifacts import RunFile, dumps_json
from mlci.core.errors import ConfigError
from mlci.data import sample
from mlci.data.dataset import Dataset, file_sha256
from mlci.data.split import holdout_mask, sample_positions, split_dataset
from synthetic import EXAMPLE, ProjectFactory, synthetic_frame

BUNDLED = (EXAMPLE / "params.yaml").read_text(encoding="utf-8")
ROWS = 1600


def with_sample(text: str) -> str:
    """The bundled params with `text` as data.sample's block (indented under data:)."""
    anchor = "  categorical: [sex]\n"
    assert anchor in BUNDLED
    return BUNDLED.replace(anchor, anchor + "  sample:\n" + "".join(f"    {line}\n" for line in text.splitlines()), 1)


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_params(text, root=EXAMPLE)
    return caught.value.message


# --- the option -----------------------------------------------------------------------------------------------


def test_sample_option_is_validated_and_defaults_to_pull_requests() -> None:
    params = parse_params(with_sample("rows: 500"), root=EXAMPLE)
    assert params.data.sample == SampleParams(rows=500, seed=42, events=["pull_request"])
    line = with_sample("rows: 500").splitlines().index("    rows: 500") + 1
    assert error_of(with_sample("rows: 5")).startswith(f"params.yaml:{line}: data.sample.rows: ")
    assert "greater than or equal to 100" in error_of(with_sample("rows: 5"))
    misspelt = error_of(with_sample("rows: 500\nevents: [pull-request]"))
    assert "data.sample.events: unknown GitHub event 'pull-request'" in misspelt
    assert "data.sample.events: list at least one" in error_of(with_sample("rows: 500\nevents: []"))
    assert "data.sample.size: unknown key 'size'" in error_of(with_sample("rows: 500\nsize: 500"))
    assert "data.sample.rows: required key is missing" in error_of(with_sample("seed: 1"))


def test_bad_sample_option_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(with_sample("rows: 500\nevents: [pull-request]"))
    assert main(["config", "--check", "--params", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "data.sample.events" in err and "Traceback" not in err


def test_schema_documents_the_sample_and_unset_params_are_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert set(schema["$defs"]["SampleParams"]["properties"]) == {"rows", "seed", "events"}
    assert "sample" in schema["$defs"]["DataParams"]["properties"]
    # Absent, not null, when unset: the params hash and params.json of a project without it stay as they were.
    assert "sample" not in parse_params(BUNDLED, root=EXAMPLE).canonical()["data"]
    assert parse_params(with_sample("rows: 500"), root=EXAMPLE).canonical()["data"]["sample"]["rows"] == 500


# --- which rows ----------------------------------------------------------------------------------------------


def _ids(count: int, prefix: str = "") -> pd.Series:
    return pd.Series([f"{prefix}{i}" for i in range(count)], dtype=object)


def _sampled(ids: pd.Series, rows: int) -> np.ndarray:
    positions = sample_positions(ids, rows, 42, sample.SAMPLE_SALT)
    assert positions is not None
    return positions


@pytest.mark.parametrize("stratify", [False, True])
def test_the_sample_stays_put_as_rows_are_added_and_keeps_each_rows_side(stratify: bool) -> None:
    old = _ids(20_000)
    grown = pd.concat([old, _ids(5_000, "new-")], ignore_index=True)
    picked_old, picked_new = set(old.iloc[_sampled(old, 2_000)]), set(grown.iloc[_sampled(grown, 2_000)])
    assert len(picked_old) == len(picked_new) == 2_000
    assert picked_new & set(old) <= picked_old  # an old row never enters the sample as data grows
    assert len(picked_new & picked_old) > 1_400  # and most stay (the new rows take about a fifth)
    # The split's own hash under the split's seed would pick holdout rows only; the sample's hash is its own,
    # so about test_size of the sample is holdout.
    labels = pd.Series(np.arange(len(grown)) % 3)
    full = holdout_mask(grown, labels, SplitParams(test_size=0.25, seed=42, stratify=stratify), stratify)
    assert 0.2 < full[_sampled(grown, 2_000)].mean() < 0.3


@pytest.mark.parametrize("stratify", [False, True])
def test_a_sampled_holdout_is_part_of_the_full_holdout(stratify: bool) -> None:
    n = 6_000
    data = Dataset(
        path=Path("d.csv"),
        sha256="0" * 64,
        ids=_ids(n),
        X=pd.DataFrame({"x": np.arange(n, dtype=float)}),
        y=pd.Series(np.arange(n) % 3),
        numeric=("x",),
        categorical=(),
    )
    params = SplitParams(test_size=0.25, seed=42, stratify=stratify)
    full = split_dataset(data, params, classification=True)
    sampled = split_dataset(data, params, classification=True, keep=sample.pick(data, SampleParams(rows=900)))
    assert sampled.train.rows + sampled.test.rows == 900
    assert set(sampled.test.ids) <= set(full.test.ids) and set(sampled.train.ids) <= set(full.train.ids)


def test_which_runs_sample() -> None:
    configured = SampleParams(rows=500)
    assert sample.chosen(configured, None, "pull_request") == configured
    assert sample.chosen(configured, None, "push") is None
    assert sample.chosen(configured, None, None) is None  # a local run: every row
    assert sample.chosen(None, None, "pull_request") is None
    assert sample.chosen(configured, False, "pull_request") is None
    assert sample.chosen(configured, True, None) == configured
    forced = sample.parse_request("300:7", "MLCI_SAMPLE", configured)
    assert forced == SampleParams(rows=300, seed=7) and sample.chosen(None, forced, "push") == forced
    assert sample.parse_request("300", "MLCI_SAMPLE", configured) == SampleParams(rows=300, seed=42)
    assert sample.spec(SampleParams(rows=300, seed=7)) == "300:7"
    with pytest.raises(ConfigError, match=r"no data\.sample"):
        sample.chosen(None, True, None)
    with pytest.raises(ConfigError, match=r"^MLCI_SAMPLE: 'half' is not on, off, ROWS"):
        sample.parse_request("half", "MLCI_SAMPLE", None)
    with pytest.raises(ConfigError, match=r"^--sample: rows: .*100"):
        sample.parse_request("50", "--sample", None)


# --- a sampled run ------------------------------------------------------------------------------------------


def _sampled_project(make_project: ProjectFactory, rows: int = 500, seed: int = 3) -> Path:
    def add_sample(params: dict[str, Any]) -> None:
        params["data"]["sample"] = {"rows": rows, "seed": seed}

    return make_project("binary", frame=synthetic_frame("binary", rows=ROWS), edit=add_sample)


def _run(params: Path, out: str, *extra: str) -> int:
    return main(["run", "--params", str(params), "--out", str(params.parent / out), *extra])


def _read(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def test_a_pull_request_run_trains_on_the_sample_and_records_it(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = _sampled_project(make_project)
    assert _run(params, "full") == 0  # a local run: every row
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    assert _run(params, "pr") == 0
    assert _run(params, "pr-again") == 0
    assert _run(params, "pr-full", "--no-sample") == 0
    pr, full = params.parent / "pr", params.parent / "full"
    run = _read(pr, "run.json")
    assert run["data"]["sample"] == {"max_rows": 500, "seed": 3, "file_rows": ROWS}
    assert run["data"]["rows"]["total"] == 500 == _read(pr, "metrics.json")["rows"]["total"]
    assert run["data"]["sha256"] == file_sha256(params.parent / "data.csv")  # the file's hash, not the sample's
    assert dumps_json(RunFile.model_validate(run).dump()) == (pr / "run.json").read_text()  # read back as written
    assert "sample" not in _read(full, "run.json")["data"]
    assert _read(full, "run.json")["data"]["rows"]["total"] == ROWS
    assert "a sample of 500 of the file's 1,600 rows" in (pr / "model_card.md").read_text()
    assert "sample" not in (full / "model_card.md").read_text().split("## Metrics")[0]
    # Deterministic, and the sampled holdout is part of the full run's holdout.
    assert (pr / "model.sha256").read_text() == (params.parent / "pr-again" / "model.sha256").read_text()
    assert (params.parent / "pr-full" / "model.sha256").read_text() == (full / "model.sha256").read_text()
    pr_holdout = set(pd.read_csv(pr / "predictions.csv")["id"])
    assert pr_holdout < set(pd.read_csv(full / "predictions.csv")["id"])


def test_records_sample_tells_scripts_which_rows_a_run_folder_trained_on(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """fetch-baseline.sh compares main's artifact with the pull request's run through this line, and hands it to
    MLCI_SAMPLE to retrain main's code on the same rows."""
    params = _sampled_project(make_project)
    assert _run(params, "pr", "--sample") == 0 and _run(params, "full") == 0
    capsys.readouterr()

    def sample_of(folder: Path) -> tuple[int, str, str]:
        code = main(["records", "sample", str(folder)])
        out, err = capsys.readouterr()
        return code, out.strip(), err

    assert sample_of(params.parent / "pr") == (0, "500:3", "")
    assert sample_of(params.parent / "full") == (0, "off", "")
    assert sample_of(params.parent / "nothing-here") == (0, "off", "")  # no run.json: nothing was trained there
    (params.parent / "full" / "run.json").write_text('{"format_version": 1}', encoding="utf-8")
    code, out, err = sample_of(params.parent / "full")
    assert (code, out) == (2, "") and "run.json" in err and "Traceback" not in err


def test_a_local_run_reproduces_the_pull_request_run(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    params = _sampled_project(make_project)
    assert _run(params, "flag", "--sample") == 0
    monkeypatch.setenv("MLCI_SAMPLE", "on")
    assert _run(params, "env") == 0
    monkeypatch.setenv("MLCI_SAMPLE", "every")
    assert _run(params, "bad") == 2
    assert "MLCI_SAMPLE: 'every' is not on, off, ROWS or ROWS:SEED" in capsys.readouterr().err
    assert not (params.parent / "bad").exists()
    flag, env = params.parent / "flag", params.parent / "env"
    assert (flag / "model.sha256").read_text() == (env / "model.sha256").read_text()
    assert _read(flag, "run.json")["data"]["sample"]["max_rows"] == 500


def test_asking_for_a_sample_params_do_not_set_exits_2(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    params = make_project("binary")
    assert _run(params, "out", "--sample") == 2
    assert "params.yaml sets no data.sample" in capsys.readouterr().err
    assert _run(params, "out", "--sample", "150:1") == 0
    assert _read(params.parent / "out", "run.json")["data"]["sample"] == {"max_rows": 150, "seed": 1, "file_rows": 400}


def test_a_sample_larger_than_the_file_trains_on_every_row(make_project: ProjectFactory) -> None:
    params = _sampled_project(make_project, rows=5000)
    assert _run(params, "all", "--sample") == 0
    assert _run(params, "full") == 0
    folder = params.parent / "all"
    assert _read(folder, "run.json")["data"]["sample"] == {"max_rows": 5000, "seed": 3, "file_rows": ROWS}
    assert (folder / "model.sha256").read_text() == (params.parent / "full" / "model.sha256").read_text()
    assert "every row of the file (1,600; `data.sample` allows up to 5,000)" in (folder / "model_card.md").read_text()


# --- comparing sampled runs ---------------------------------------------------------------------------------


def test_compare_refuses_runs_trained_on_different_samples(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    params = _sampled_project(make_project)
    assert _run(params, "main") == 0
    assert _run(params, "main-sampled", "--sample") == 0
    assert _run(params, "pr", "--sample") == 0
    folder = params.parent
    compare = ["compare", "--params", str(params), "--artifacts", str(folder / "pr"), "--baseline"]
    assert main([*compare, str(folder / "main")]) == 0  # gates.incomparable: pass (the default)
    comparison = _read(folder / "pr", "comparison.json")
    assert (comparison["status"], comparison["comparable"]) == ("incomparable", False)
    assert comparison["reason"] == (
        "the baseline was trained on every row, this run on a data.sample of 500 rows (seed 3);"
        " a fair baseline is main's code trained on the same sample"
    )
    assert "not compared" in capsys.readouterr().out
    assert main(["report", "--params", str(params), "--artifacts", str(folder / "pr")]) == 0
    report = (folder / "pr" / "report.md").read_text()
    assert "This run was trained on a sample of 500 of the file's 1,600 rows" in report
    assert main([*compare, str(folder / "main-sampled")]) == 0
    same = _read(folder / "pr", "comparison.json")
    assert (same["status"], same["verdict"], same["like_for_like"]) == ("compared", "no-significant-change", True)
    assert (
        same["candidate"]["data_sample"]
        == same["baseline"]["data_sample"]
        == {
            "max_rows": 500,
            "seed": 3,
            "file_rows": ROWS,
        }
    )
