"""Parse and validate a /predict body into a feature frame. Pure: bytes and a schema in, frame or error out.

The body is parsed by hand rather than by a pydantic model so that the batch limit is enforced before any
per-record work, NaN/Infinity are refused (JSON has no such numbers), and every error names the field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


class RequestError(Exception):
    """A client mistake: an HTTP status (4xx) and one line naming what is wrong."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Schema:
    """Feature columns in the order the model was fitted on; numeric ones take numbers, the rest strings."""

    columns: tuple[str, ...]
    numeric: frozenset[str]

    def json_schema(self) -> dict[str, Any]:
        """OpenAPI description of the request body (for /docs)."""
        properties = {
            column: {"type": ["number", "null"]} if column in self.numeric else {"type": ["string", "null"]}
            for column in self.columns
        }
        record = {
            "type": "object",
            "properties": properties,
            "required": list(self.columns),
            "additionalProperties": False,
        }
        return {
            "type": "object",
            "properties": {"records": {"type": "array", "minItems": 1, "items": record}},
            "required": ["records"],
            "additionalProperties": False,
        }


def _refuse_constant(name: str) -> Any:
    raise RequestError(422, f"body: {name} is not a valid JSON number; send finite numbers or null")


def _type_name(value: object) -> str:
    return (
        "null"
        if value is None
        else {bool: "boolean", str: "string", list: "array", dict: "object"}.get(type(value), "number")
    )


def parse_body(body: bytes, schema: Schema, max_batch: int) -> pd.DataFrame:
    """The records' feature frame, or RequestError(400/413/422) naming the problem."""
    if not body.strip():
        raise RequestError(400, 'body: empty; send {"records": [{...}, ...]}')
    try:
        payload = json.loads(body, parse_constant=_refuse_constant)
    except RequestError:
        raise
    except (ValueError, RecursionError) as exc:
        raise RequestError(400, f"body: not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise RequestError(422, f'body: expected an object {{"records": [...]}}, got {_type_name(payload)}')
    unknown = sorted(set(payload) - {"records"})
    if unknown:
        raise RequestError(422, f"body.{unknown[0]}: unknown field; the body takes only 'records'")
    if "records" not in payload:
        raise RequestError(422, "body.records: field required")
    records = payload["records"]
    if not isinstance(records, list):
        raise RequestError(422, f"body.records: expected an array, got {_type_name(records)}")
    if not records:
        raise RequestError(422, "body.records: empty; send at least one record")
    if len(records) > max_batch:
        raise RequestError(413, f"body.records: {len(records)} records, over the limit of {max_batch} per request")
    for index, record in enumerate(records):
        _check_record(index, record, schema)
    return to_frame(records, schema)


def _check_record(index: int, record: object, schema: Schema) -> None:
    where = f"records[{index}]"
    if not isinstance(record, dict):
        raise RequestError(422, f"{where}: expected an object, got {_type_name(record)}")
    for column in schema.columns:
        if column not in record:
            raise RequestError(422, f"{where}.{column}: field required")
        value = record[column]
        if value is None:
            continue
        if column in schema.numeric:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RequestError(422, f"{where}.{column}: expected a number, got {_type_name(value)}")
            if isinstance(value, float) and not math.isfinite(value):
                raise RequestError(422, f"{where}.{column}: number out of range (not finite)")
        elif not isinstance(value, str):
            raise RequestError(422, f"{where}.{column}: expected a string, got {_type_name(value)}")
    if len(record) != len(schema.columns):
        extra = sorted(set(record) - set(schema.columns))
        raise RequestError(422, f"{where}.{extra[0]}: unknown field; expected only {', '.join(schema.columns)}")


def to_frame(records: list[dict[str, Any]], schema: Schema) -> pd.DataFrame:
    """The frame the pipeline was fitted on: float64 numeric columns, object text columns, NaN for null."""
    data: dict[str, Any] = {}
    for column in schema.columns:
        values = [record[column] for record in records]
        if column in schema.numeric:
            data[column] = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:
            data[column] = np.array([np.nan if v is None else v for v in values], dtype=object)
    return pd.DataFrame(data, columns=list(schema.columns))
