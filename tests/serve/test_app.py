"""The serving app: good requests match the offline predictions; every bad one is a 4xx naming the problem."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from mlci.release.smoke import compare, holdout
from mlci.serve.app import create_app
from mlci.serve.bundle import Bundle, Limits


def post(client: TestClient, body: bytes | str, content_type: str = "application/json") -> Any:
    return client.post("/predict", content=body, headers={"content-type": content_type})


def test_health_ready_metadata(client: TestClient, trained_run: Path) -> None:
    run = json.loads((trained_run / "run.json").read_text())
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json()["model_sha256"] == run["model"]["sha256"]
    meta = client.get("/metadata").json()
    assert meta["model_sha256"] == run["model"]["sha256"]
    assert meta["data_sha256"] == run["data"]["sha256"]
    assert meta["params_hash"] == run["params_hash"]
    assert meta["commit"] == run["commit"]
    assert set(meta["metrics"]) >= {"roc_auc", "accuracy"}
    assert "sex" in meta["features"]["categorical"]


def test_served_holdout_equals_offline_predictions(client: TestClient, bundled_params: Any, trained_run: Path) -> None:
    data = holdout(bundled_params, trained_run)
    predictions: list[Any] = []
    probabilities: list[list[float]] = []
    for offset in range(0, len(data.records), 1000):
        answer = post(client, json.dumps({"records": data.records[offset : offset + 1000]})).json()
        predictions += answer["predictions"]
        probabilities += answer["probabilities"]
    assert compare(data.expected, predictions, probabilities, answer["classes"]) == []


def test_single_record_and_null_feature(client: TestClient, record: dict[str, Any]) -> None:
    answer = post(client, json.dumps({"records": [record, {**record, "length": None, "sex": None}]}))
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["predictions"]) == 2
    assert all(abs(sum(p) - 1) < 1e-9 for p in body["probabilities"])


def test_parse_body_returns_the_feature_frame() -> None:
    from mlci.serve.request import Schema, parse_body

    schema = Schema(columns=("length", "sex"), numeric=frozenset({"length"}))
    frame = parse_body(b'{"records": [{"sex": "F", "length": 1}, {"length": null, "sex": null}]}', schema, 10)
    assert list(frame.columns) == ["length", "sex"] and frame["length"].dtype == float
    assert frame["length"].isna().tolist() == [False, True] and frame["sex"].tolist()[0] == "F"


@pytest.mark.parametrize(
    ("name", "body", "status", "needle"),
    [
        ("invalid JSON", '{"records": [', 400, "not valid JSON"),
        ("empty body", "", 400, "empty"),
        ("not an object", "[1, 2]", 422, "expected an object"),
        ("no records key", "{}", 422, "body.records: field required"),
        ("records not a list", '{"records": 3}', 422, "expected an array"),
        ("empty records", '{"records": []}', 422, "body.records: empty"),
        ("extra top-level key", '{"records": [], "x": 1}', 422, "body.x: unknown field"),
        ("record not an object", '{"records": [1]}', 422, "records[0]: expected an object"),
        ("deep nesting", "[" * 100_000, 400, "not valid JSON"),
    ],
)
def test_bad_bodies(client: TestClient, name: str, body: str, status: int, needle: str) -> None:
    answer = post(client, body)
    assert answer.status_code == status, name
    assert needle in answer.json()["detail"]


def test_missing_field_is_named(client: TestClient, record: dict[str, Any]) -> None:
    answer = post(client, json.dumps({"records": [record, {k: v for k, v in record.items() if k != "height"}]}))
    assert answer.status_code == 422
    assert answer.json()["detail"] == "records[1].height: field required"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("length", "0.4", "expected a number, got string"),
        ("length", True, "expected a number, got boolean"),
        ("sex", 3, "expected a string, got number"),
        ("sex", ["M"], "expected a string, got array"),
    ],
)
def test_wrong_type_is_named(client: TestClient, record: dict[str, Any], field: str, value: Any, expected: str) -> None:
    answer = post(client, json.dumps({"records": [{**record, field: value}]}))
    assert answer.status_code == 422
    assert answer.json()["detail"] == f"records[0].{field}: {expected}"


def test_unknown_field_is_rejected(client: TestClient, record: dict[str, Any]) -> None:
    answer = post(client, json.dumps({"records": [{**record, "colour": "red"}]}))
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("records[0].colour: unknown field")


@pytest.mark.parametrize(
    ("literal", "needle"),
    [
        ("NaN", "NaN is not a valid JSON number"),
        ("Infinity", "Infinity is not a valid JSON number"),
        ("-Infinity", "-Infinity is not a valid JSON number"),
        ("1e400", "number 1e400 is out of float64 range"),
        ("-1e400", "number -1e400 is out of float64 range"),
        ("1E+309", "number 1E+309 is out of float64 range"),
        ("1.8e308", "number 1.8e308 is out of float64 range"),
        ("-0.5e999999999999", "out of float64 range"),
        ("1" + "0" * 309, "out of float64 range"),  # an integer just beyond float64's largest (~1.8e308)
        ("-" + "9" * 400, "out of float64 range"),
        ("1" * 5000, "out of float64 range (not finite)"),  # past int()'s 4,300-digit limit too
    ],
)
def test_numbers_beyond_float64_are_422_naming_the_field(
    client: TestClient, record: dict[str, Any], literal: str, needle: str
) -> None:
    body = json.dumps({"records": [record, {**record, "length": 123.25}]}).replace("123.25", literal)
    answer = post(client, body)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail.startswith("records[1].length: ") and needle in detail
    assert len(detail) < 200  # a 5,000-digit literal is shortened, not echoed


@pytest.mark.parametrize("literal", ["1" + "0" * 308, "-" + "1" * 300, "1e308", "1e-400", "123456789012345678901"])
def test_large_but_representable_numbers_are_scored(client: TestClient, record: dict[str, Any], literal: str) -> None:
    body = json.dumps({"records": [{**record, "length": 123.25}]}).replace("123.25", literal)
    assert post(client, body).status_code == 200


def test_out_of_range_numbers_elsewhere_are_422_not_500(client: TestClient, record: dict[str, Any]) -> None:
    for body in ("1e400", '{"records": [1e400]}', "9" * 5000, '{"records": 1e400}'):
        assert post(client, body).status_code == 422, body
    answer = post(client, json.dumps({"records": [{**record, "sex": 123.25}]}).replace("123.25", "1e400"))
    assert answer.json()["detail"] == "records[0].sex: expected a string, got number"


def test_a_422_lists_every_field_at_fault(client: TestClient, record: dict[str, Any]) -> None:
    bad = {**record, "length": "long", "sex": 1, "colour": "red"}
    del bad["height"]
    answer = post(client, json.dumps({"records": [record, bad, 7]}))
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert errors == [
        "records[1].sex: expected a string, got number",
        "records[1].length: expected a number, got string",
        "records[1].height: field required",
        "records[1].colour: unknown field; expected only " + ", ".join(record),
        "records[2]: expected an object, got number",
    ]
    assert answer.json()["detail"] == "; ".join(errors)


def test_a_422_lists_at_most_the_cap_then_how_many_more(client: TestClient, record: dict[str, Any]) -> None:
    from mlci.serve.request import MAX_ERRORS

    answer = post(client, json.dumps({"records": [{**record, "length": "x", "height": "y"}] * 30}))
    errors = answer.json()["errors"]
    assert answer.status_code == 422 and len(errors) == MAX_ERRORS + 1
    assert errors[0] == "records[0].length: expected a number, got string"
    assert errors[-1] == f"... and {60 - MAX_ERRORS} more"


def test_body_over_the_size_limit_is_413(client: TestClient, record: dict[str, Any]) -> None:
    body = json.dumps({"records": [record] * 130_000})
    assert len(body) > 20_000_000
    answer = post(client, body)
    assert answer.status_code == 413
    assert "over the limit" in answer.json()["detail"]


def test_streamed_body_without_length_is_cut_at_the_limit(bundle: Bundle, record: dict[str, Any]) -> None:
    small = Bundle(**{**bundle.__dict__, "limits": Limits(max_body_bytes=1000, max_batch=10)})
    chunks = [json.dumps({"records": [record] * 20}).encode()]
    with TestClient(create_app(small)) as client:
        answer = client.post("/predict", content=iter(chunks), headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_batch_over_the_limit_is_413(client: TestClient, bundle: Bundle) -> None:
    answer = post(client, json.dumps({"records": [{}] * 100_000}))
    assert answer.status_code == 413
    assert (
        answer.json()["detail"]
        == f"body.records: 100000 records, over the limit of {bundle.limits.max_batch} per request"
    )


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type_is_415(client: TestClient, record: dict[str, Any], content_type: str) -> None:
    answer = post(client, json.dumps({"records": [record]}), content_type)
    assert answer.status_code == 415


def test_metrics_and_one_log_line_per_request(
    client: TestClient, record: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mlci.serve"):
        post(client, json.dumps({"records": [record]}))
        post(client, "{")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "mlci.serve"]
    assert [(line["path"], line["status"]) for line in lines] == [("/predict", 200), ("/predict", 400)]
    assert lines[0]["rows"] == 1 and "error" in lines[1]
    text = client.get("/metrics").text
    assert 'mlci_requests_total{path="/predict",status="200"}' in text
    assert "mlci_predicted_rows_total" in text
    assert 'mlci_request_duration_seconds_bucket{path="/predict",le="+Inf"}' in text
    client.get("/nowhere")
    assert 'path="other",status="404"' in client.get("/metrics").text


def test_openapi_documents_the_record_schema(client: TestClient, bundle: Bundle) -> None:
    spec = client.get("/openapi.json").json()
    schema = spec["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    record = schema["properties"]["records"]["items"]
    assert record["required"] == list(bundle.schema.columns)
    assert record["additionalProperties"] is False
    assert client.get("/docs").status_code == 200


def test_regression_model_serves_without_probabilities(make_project: Any, tmp_path: Path) -> None:
    from mlci.config import load_params
    from mlci.core.progress import StageTimer
    from mlci.serve.bundle import load_bundle
    from mlci.training.run import run_pipeline

    params = load_params(make_project("regression"))
    out = tmp_path / "reg"
    run_pipeline(params, out, StageTimer(quiet=True))
    frame = pd.read_csv(params.data_path)
    row = {
        c: frame[c].iloc[0].item() if hasattr(frame[c].iloc[0], "item") else frame[c].iloc[0]
        for c in ("x1", "x2", "noise", "colour")
    }
    with TestClient(create_app(load_bundle(out, environ={}))) as client:
        answer = post(client, json.dumps({"records": [row]})).json()
    assert answer["probabilities"] is None and isinstance(answer["predictions"][0], float)
