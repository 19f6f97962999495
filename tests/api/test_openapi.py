"""The OpenAPI document describes what the server really answers."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from tests.support import assert_error


@pytest.fixture()
def spec(client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1")
    return doc


def check(spec, path, method, resp):
    """Validate a real response against the documented schema for its status."""
    documented = spec["paths"][path][method]["responses"]
    assert str(resp.status_code) in documented, f"{method.upper()} {path} answered undocumented {resp.status_code}"
    schema = documented[str(resp.status_code)]["content"]["application/json"]["schema"]
    Draft202012Validator({**spec, **schema}).validate(resp.get_json())


def test_every_path_is_served(spec, app):
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert set(spec["paths"]) <= rules


def test_real_responses_match_the_document(spec, api, client, sandbox):
    code, openid = sandbox.login_code(phoneNumber="13500001234")
    resp = client.post("/api/auth/login", json={"code": code})
    check(spec, "/api/auth/login", "post", resp)
    s_headers = {"Authorization": "Bearer " + resp.get_json()["token"]}
    check(spec, "/api/auth/login", "post", client.post("/api/auth/login", json={"code": code}))
    check(spec, "/api/auth/login", "post", client.post("/api/auth/login", json={}))
    check(spec, "/api/me", "get", client.get("/api/me", headers=s_headers))
    check(spec, "/api/me", "patch", client.patch("/api/me", headers=s_headers, json={"nickName": "阿花"}))
    check(spec, "/api/me", "patch", client.patch("/api/me", headers=s_headers, json={"nickName": ""}))
    check(
        spec,
        "/api/auth/phone",
        "post",
        client.post("/api/auth/phone", headers=s_headers, json={"code": sandbox.phone_code(openid)}),
    )
    check(spec, "/api/auth/phone", "post", client.post("/api/auth/phone", headers=s_headers, json={"code": "nope"}))
    check(
        spec,
        "/api/auth/phone",
        "post",
        client.post("/api/auth/phone", headers=s_headers, json={"encryptedData": "AA==", "iv": "AA=="}),
    )
    check(spec, "/api/auth/logout", "post", client.post("/api/auth/logout", headers=s_headers))
    check(spec, "/api/auth/logout", "post", client.post("/api/auth/logout", headers=s_headers))
    check(spec, "/healthz", "get", client.get("/healthz"))


def test_wechat_error_statuses_are_documented(spec, client, sandbox):
    for fault, status in (
        (dict(errcode=45011), 429),
        (dict(errcode=40125), 500),
        (dict(body="html"), 502),
        (dict(errcode=-1, count=2), 503),
    ):
        code, _ = sandbox.login_code()
        sandbox.fault("jscode2session", **fault)
        resp = client.post("/api/auth/login", json={"code": code})
        assert resp.status_code == status
        check(spec, "/api/auth/login", "post", resp)


def test_unknown_paths_and_methods_answer_json(client):
    assert_error(client.get("/api/nope"), 404, "not_found")
    assert_error(client.get("/api/auth/login"), 405, "method_not_allowed")
    assert_error(client.post("/api/me"), 405, "method_not_allowed")  # DELETE /api/me is the account deletion


def test_oversized_body_is_413_json(client):
    resp = client.post("/api/auth/login", data="{" + " " * 70000 + "}", content_type="application/json")
    assert_error(resp, 413, "request_too_large")


def test_unexpected_error_is_500_json_without_details(app, client, monkeypatch):
    from wxauth.services import login as login_service

    def boom(*a, **kw):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(login_service, "login", boom)
    monkeypatch.setattr("wxauth.api.auth.login", boom)
    monkeypatch.setitem(app.config, "TESTING", False)
    body = assert_error(client.post("/api/auth/login", json={"code": "abc"}), 500, "internal_error")
    assert "secret internals" not in body["message"]


def test_deep_json_is_a_clean_400(client):
    deep = "[" * 30000 + "]" * 30000  # under MAX_CONTENT_LENGTH, deeper than the parser allows
    resp = client.post("/api/auth/login", data=deep, content_type="application/json")
    assert_error(resp, 400, "invalid_request")


def _request_schemas(spec):
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody")
            for media in (body or {}).get("content", {}).values():
                yield f"{method.upper()} {path}", media["schema"]


def _closed(spec, schema, where, seen=()):
    """Every object in a request schema names its properties and forbids others; every string is bounded."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        assert name not in seen, f"{where}: {name} refers to itself"
        return _closed(spec, spec["components"]["schemas"][name], f"{where} > {name}", (*seen, name))
    if schema.get("type") == "object":
        assert schema.get("additionalProperties") is False, f"{where}: an object open to any property"
        assert schema.get("properties"), f"{where}: an object with no properties"
        for prop, sub in schema["properties"].items():
            _closed(spec, sub, f"{where}.{prop}", seen)
    elif schema.get("type") == "string" and "enum" not in schema:
        assert "maxLength" in schema, f"{where}: an unbounded string"
    else:
        assert "type" in schema or "enum" in schema, f"{where}: a value of any type"


def test_request_bodies_are_closed_and_bounded(spec):
    """A free-form object lets a fuzzer build unbounded recursive JSON the API must refuse."""
    ops = dict(_request_schemas(spec))
    assert {"POST /api/auth/login", "POST /api/auth/phone", "PATCH /api/me", "POST /api/oauth/introspect"} <= set(ops)
    for where, schema in ops.items():
        _closed(spec, schema, where)


def test_the_login_appid_is_one_this_server_serves(spec, app):
    appid = spec["components"]["schemas"]["LoginRequest"]["properties"]["appid"]
    assert appid["enum"] == list(app.extensions["wxauth.settings"].apps.appids)


@pytest.mark.parametrize("code", ["abc def", "码", "tab\there", "\u200bzero-width"])
def test_a_code_outside_the_documented_pattern_is_invalid_request(client, spec, code):
    pattern = spec["components"]["schemas"]["LoginRequest"]["properties"]["code"]["pattern"]
    assert not re.match(pattern, code)
    assert_error(client.post("/api/auth/login", json={"code": code}), 400, "invalid_request")


def test_service_and_jwt_answers_match_the_document(spec, api, client, runner, override_settings):
    import base64

    result = runner.invoke(args=["clients", "create", "svc", "--scope", "introspect", "--scope", "wechat_token"])
    client_id, secret = (line.split(": ", 1)[1] for line in result.output.strip().splitlines())
    basic = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}
    override_settings(token_format="jwt")
    login = client.post("/api/auth/login", json={"code": api.sandbox.login_code()[0]})
    check(spec, "/api/auth/login", "post", login)
    body = login.get_json()
    check(spec, "/api/auth/refresh", "post", client.post("/api/auth/refresh", json={"refreshToken": body["refreshToken"]}))
    check(spec, "/api/auth/refresh", "post", client.post("/api/auth/refresh", json={"refreshToken": body["refreshToken"]}))
    check(spec, "/.well-known/jwks.json", "get", client.get("/.well-known/jwks.json"))
    for token in (api.login().token, "garbage"):
        check(spec, "/api/oauth/introspect", "post", client.post("/api/oauth/introspect", data={"token": token}, headers=basic))
    check(spec, "/api/oauth/introspect", "post", client.post("/api/oauth/introspect", data={"token": "x"}))
    check(
        spec, "/api/oauth/introspect", "post", client.post("/api/oauth/introspect", data={"token": "x", "y": "z"}, headers=basic)
    )
    path = "/api/internal/wechat/access-token"
    check(spec, path, "get", client.get(path, headers=basic))
    check(spec, path, "post", client.post(path, json={"rejected": "old"}, headers=basic))
    check(spec, path, "post", client.post(path, json={"rejected": "old", "extra": 1}, headers=basic))
