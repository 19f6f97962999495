"""wxauth/json.py writes what the stdlib encoder writes (compact), by orjson or by falling back."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid

import pytest
from flask.json.provider import DefaultJSONProvider

from wxauth.json import dumps


@dataclasses.dataclass
class Point:
    y: int
    x: str


VALUES = [
    {"b": 1, "a": "微信用户", "none": None, "float": 1.5, "list": [1, (2, 3)], "nested": {"z": True, "y": False}},
    {"when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC), "day": datetime.date(2026, 1, 2)},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "amount": decimal.Decimal("1.10")},
    {"point": Point(1, "x")},
    {"beyond 64 bits": 2**70},
    [{"line\nbreak": "tab\t<script>"}],
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("sort_keys", [True, False])
def test_output_is_the_stdlib_encoders(value, sort_keys):
    default = DefaultJSONProvider.default
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys, default=default)
    assert dumps(value, sort_keys=sort_keys, default=default) == expected


def test_what_neither_encoder_writes_raises_as_the_stdlib_does():
    with pytest.raises(TypeError):
        dumps({"key": object()})
    with pytest.raises(TypeError):
        dumps({1: "an int key among str keys", "a": 1}, sort_keys=True)


def test_responses_are_sorted_compact_utf8(app):
    with app.test_request_context():
        response = app.json.response({"b": "昵称", "a": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)})
    assert response.get_data(as_text=True) == '{"a":"Fri, 02 Jan 2026 00:00:00 GMT","b":"昵称"}\n'
