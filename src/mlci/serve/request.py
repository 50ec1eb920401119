"""Parse and validate a /predict body into a feature frame. Pure: bytes and a schema in, frame or error out.

The body is parsed by hand rather than by a pydantic model so that the batch limit is enforced before any
per-record work, NaN/Infinity (JSON has no such numbers) and numbers beyond float64 (1e400, 400-digit integers)
are refused, and every error names the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MAX_ERRORS = 20  # a 422 names at most this many faults (then how many more): bounded work and answer size


class RequestError(Exception):
    """A client mistake: an HTTP status (4xx) and what is wrong, one line per fault (each naming its field)."""

    def __init__(self, status: int, message: str, errors: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or (message,)


@dataclass(frozen=True)
class BadNumber:
    """A JSON number float64 cannot hold (1e400, a 400-digit integer) or a non-JSON constant (NaN, Infinity).

    The parser returns this instead of failing, so the record check can name the field that holds it.
    """

    text: str

    def describe(self) -> str:
        shown = self.text if len(self.text) <= 24 else f"{self.text[:12]}...({len(self.text)} characters)"
        if self.text in ("NaN", "Infinity", "-Infinity"):
            return f"{shown} is not a valid JSON number; send finite numbers or null"
        return f"number {shown} is out of float64 range (not finite)"


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


def _parse_float(text: str) -> float | BadNumber:
    value = float(text)
    return value if math.isfinite(value) else BadNumber(text)


def _parse_int(text: str) -> int | float | BadNumber:
    """Short literals as int; long ones through float(), which has no digit limit (int() refuses > 4,300 digits
    with a ValueError) and overflows to inf exactly when the number is beyond float64."""
    if len(text) < 19:  # below 1e18: always an int float64 can hold
        return int(text)
    value = float(text)
    return value if math.isfinite(value) else BadNumber(text)


def _type_name(value: object) -> str:
    return (
        "null"
        if value is None
        else {bool: "boolean", str: "string", list: "array", dict: "object"}.get(type(value), "number")
    )


def parse_body(body: bytes, schema: Schema, max_batch: int) -> pd.DataFrame:
    """The records' feature frame, or RequestError(400/413/422) naming the problem."""
    return to_frame(parse_records(body, schema, max_batch), schema)


def parse_records(body: bytes, schema: Schema, max_batch: int) -> list[dict[str, Any]]:
    """The validated records (the frame is built later, once per scored batch), or RequestError(400/413/422).

    A 422 for the records lists every field at fault, up to MAX_ERRORS, not only the first.
    """
    if not body.strip():
        raise RequestError(400, 'body: empty; send {"records": [{...}, ...]}')
    try:
        payload = json.loads(body, parse_float=_parse_float, parse_int=_parse_int, parse_constant=BadNumber)
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
    errors = _capped(error for index, record in enumerate(records) for error in _record_errors(index, record, schema))
    if errors:
        raise RequestError(422, "; ".join(errors), errors)
    return records


def _capped(errors: Iterator[str]) -> tuple[str, ...]:
    """The first MAX_ERRORS messages, then one line saying how many more there were."""
    listed: list[str] = []
    more = 0
    for error in errors:
        if len(listed) < MAX_ERRORS:
            listed.append(error)
        else:
            more += 1
    return (*listed, f"... and {more} more") if more else tuple(listed)


def _record_errors(index: int, record: object, schema: Schema) -> Iterator[str]:
    where = f"records[{index}]"
    if not isinstance(record, dict):
        yield f"{where}: expected an object, got {_type_name(record)}"
        return
    missing = 0
    for column in schema.columns:
        if column not in record:
            missing += 1
            yield f"{where}.{column}: field required"
            continue
        value = record[column]
        if value is None:
            continue
        if column in schema.numeric:
            if isinstance(value, BadNumber):
                yield f"{where}.{column}: {value.describe()}"
            elif isinstance(value, bool) or not isinstance(value, int | float):
                yield f"{where}.{column}: expected a number, got {_type_name(value)}"
        elif not isinstance(value, str):
            yield f"{where}.{column}: expected a string, got {_type_name(value)}"
    if len(record) + missing != len(schema.columns):  # cheap test: only then look for unknown keys
        expected = ", ".join(schema.columns)
        for extra in sorted(set(record) - set(schema.columns)):
            yield f"{where}.{extra}: unknown field; expected only {expected}"


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
