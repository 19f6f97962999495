"""Each error message says what is actually wrong."""

from __future__ import annotations

import io

import pytest

from tests.support import assert_error


def _message(resp, status, code) -> str:
    return assert_error(resp, status, code)["message"]


def test_malformed_json_is_not_valid_json(client):
    assert "not valid JSON" in _message(
        client.post("/api/auth/login", data="{nope", content_type="application/json"), 400, "invalid_request"
    )


def test_a_body_that_is_not_utf8_says_so(client):
    resp = client.post("/api/auth/login", data=b'{"code": "\xff\xfe"}', content_type="application/json")
    assert "not UTF-8" in _message(resp, 400, "invalid_request")


@pytest.mark.parametrize("body", ["[]", '"code"', "42", ""])
def test_json_that_is_not_an_object_says_so(client, body):
    assert "must be a JSON object" in _message(
        client.post("/api/auth/login", data=body, content_type="application/json"), 400, "invalid_request"
    )


def test_a_utf8_bom_is_tolerated(client):
    resp = client.post("/api/auth/login", data='\ufeff{"code": "abc"}'.encode(), content_type="application/json")
    assert resp.status_code == 401  # parsed: the made-up code reached WeChat


def test_a_lone_surrogate_is_not_a_control_character(api):
    session = api.login()
    resp = api.patch("/api/me", session, data=b'{"nickName": "a\\ud800b"}', content_type="application/json")
    message = _message(resp, 400, "invalid_request")
    assert "surrogate" in message and "control" not in message


def test_an_avatar_with_a_quote_is_not_a_valid_url(api):
    session = api.login()
    resp = api.patch("/api/me", session, json={"avatarUrl": 'https://cdn.example.com/a".png'})
    assert "not a valid URL" in _message(resp, 400, "invalid_request")


def test_413_names_the_limit(client):
    resp = client.post("/api/auth/login", data="x" * 70000, content_type="application/json")
    assert "64 KiB" in _message(resp, 413, "request_too_large")


def test_a_chunked_body_over_the_limit_is_413_too(client):
    body = io.BytesIO(b'{"code":"' + b"a" * 70000 + b'"}')
    resp = client.post(
        "/api/auth/login",
        input_stream=body,
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert "64 KiB" in _message(resp, 413, "request_too_large")


def test_metrics_name_one_charset(client):
    assert client.get("/metrics").headers["Content-Type"].count("charset") == 1
