"""Unusual and hostile input: clear 4xx or correct storage, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support import assert_error
from wxauth.extensions import db
from wxauth.models import User

NICKNAMES = ["🐱🐶🦊", "𠀋𡈽𡌛", "阿明 (Ming) ✨", "<script>alert(1)</script>", "' OR 1=1 --", "Zoë ß ǅ", "٩(◕‿◕｡)۶"]


@pytest.mark.parametrize("nickname", NICKNAMES)
def test_unicode_and_hostile_nicknames_are_stored_exactly(api, app, nickname):
    s = api.login()
    resp = api.patch("/api/me", s, json={"nickName": nickname})
    assert resp.status_code == 200, resp.get_json()
    assert api.get("/api/me", s).get_json()["user"]["nickName"] == nickname
    with app.app_context():
        assert db.session.scalar(select(User.nickname)) == nickname


def _raw(obj) -> str:
    """JSON with \\u escapes, as a client would send a lone surrogate."""
    import json

    return json.dumps(obj, ensure_ascii=True)


@pytest.mark.parametrize("nickname", ["a\x00b", "\ud800", "x\u0085y", "tab\there"])
def test_control_characters_and_lone_surrogates_are_rejected(api, nickname):
    s = api.login()
    resp = api.patch("/api/me", s, data=_raw({"nickName": nickname}), content_type="application/json")
    assert_error(resp, 400, "invalid_request")


def test_nul_and_surrogates_in_codes_are_rejected(client):
    for code in ("abc\x00", "\udc80abc", "a\u2028b"):
        resp = client.post("/api/auth/login", data=_raw({"code": code}), content_type="application/json")
        assert_error(resp, 400, "invalid_request")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ('{"code": "abc"}', "text/plain"),
        ("code=abc", "application/x-www-form-urlencoded"),
        ('{"code": "abc"}', "multipart/form-data; boundary=x"),
        (b"\xff\xfe\x00{", "application/json"),
        ("", "application/json"),
        ("null", "application/json"),
        ('"code"', "application/json"),
        ("[]", "application/json"),
    ],
)
def test_wrong_content_types_and_bodies(client, data, content_type):
    assert_error(client.post("/api/auth/login", data=data, content_type=content_type), 400, "invalid_request")


def test_json_with_charset_is_accepted(client, sandbox):
    code, _ = sandbox.login_code()
    resp = client.post("/api/auth/login", data=f'{{"code": "{code}"}}', content_type="application/json; charset=utf-8")
    assert resp.status_code == 200


def test_huge_fields_under_the_body_limit(api, client):
    s = api.login()
    assert_error(api.post("/api/auth/phone", s, json={"encryptedData": "A" * 20000, "iv": "A" * 24}), 400, "invalid_request")
    assert_error(
        client.post("/api/auth/login", json={"code": "c", "rawData": "x" * 9000, "signature": "s"}), 400, "invalid_request"
    )


def test_unknown_fields_are_ignored_on_login(client, sandbox):
    code, _ = sandbox.login_code()
    assert client.post("/api/auth/login", json={"code": code, "extra": {"deep": [1, 2, 3]}}).status_code == 200
