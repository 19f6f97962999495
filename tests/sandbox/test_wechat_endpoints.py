"""The sandbox's WeChat endpoints as any client meets them: checksession, resetusersessionkey,
and POST bodies read the way WeChat reads them."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from config import SANDBOX_APPID, SANDBOX_SECRET

WECHAT = "/_sandbox/wechat"


def _signature(session_key: str, body: str = "") -> str:
    return hmac.new(session_key.encode(), body.encode(), hashlib.sha256).hexdigest()


@pytest.fixture()
def token(client) -> str:
    resp = client.get(
        f"{WECHAT}/cgi-bin/token",
        query_string={"grant_type": "client_credential", "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET},
    )
    return resp.get_json()["access_token"]


def _session(client, sandbox) -> tuple[str, str]:
    code, openid = sandbox.login_code()
    body = client.get(
        f"{WECHAT}/sns/jscode2session",
        query_string={"appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "js_code": code, "grant_type": "authorization_code"},
    ).get_json()
    assert body["openid"] == openid
    return openid, body["session_key"]


def _check(client, token: str, openid: str, signature: str, sig_method: str = "hmac_sha256") -> dict:
    params = {"access_token": token, "openid": openid, "signature": signature, "sig_method": sig_method}
    resp = client.get(f"{WECHAT}/wxa/checksession", query_string=params)
    assert resp.status_code == 200  # WeChat answers errors with HTTP 200 and an errcode
    return resp.get_json()


def test_the_official_signature_rule():
    # The reference's vectors: the key is the base64 text itself, the message the body.
    assert (
        _signature("o0q0otL8aEzpcZL/FT9WsQ==", '{"foo":"bar"}')
        == "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b"
    )
    assert _signature("tiihtNczf5v6AKRyjwEUhQ==") == "7154f9f8b4b76b92f541cbf0e37d48840fa06e5e42da92a6f80168a1516a4735"


def test_checksession_accepts_the_current_key_and_only_it(client, sandbox, token):
    openid, key = _session(client, sandbox)
    assert _check(client, token, openid, _signature(key)) == {"errcode": 0, "errmsg": "ok"}
    assert _check(client, token, openid, _signature(key).upper())["errcode"] == 0  # hex in either case
    assert _check(client, token, openid, _signature("not-the-key"))["errcode"] == 87009
    sandbox.login_code(openid)  # a new wx.login rotates the key
    assert _check(client, token, openid, _signature(key))["errcode"] == 87009


@pytest.mark.parametrize(
    ("change", "errcode"),
    [
        ({"sig_method": "md5"}, 87008),
        ({"openid": "oNobodyAtAll0000000000000000"}, 40003),
        ({"token": "not-a-token"}, 40001),
        ({"token": ""}, 41001),
    ],
)
def test_checksession_errors(client, sandbox, token, change, errcode):
    openid, key = _session(client, sandbox)
    args = {"token": token, "openid": openid, "signature": _signature(key), "sig_method": "hmac_sha256", **change}
    assert _check(client, args["token"], args["openid"], args["signature"], args["sig_method"])["errcode"] == errcode


def test_resetusersessionkey_gives_a_new_key_and_the_old_one_dies(client, sandbox, token):
    openid, old = _session(client, sandbox)
    params = {"access_token": token, "openid": openid, "signature": _signature(old), "sig_method": "hmac_sha256"}
    body = client.get(f"{WECHAT}/wxa/resetusersessionkey", query_string=params).get_json()
    assert (body["errcode"], body["openid"]) == (0, openid)
    new = body["session_key"]
    assert new != old
    assert _check(client, token, openid, _signature(old))["errcode"] == 87009
    assert _check(client, token, openid, _signature(new))["errcode"] == 0
    # A reset needs the current key's signature too.
    again = client.get(f"{WECHAT}/wxa/resetusersessionkey", query_string=params).get_json()
    assert again["errcode"] == 87009


def test_a_post_body_is_json_whatever_its_content_type(client, sandbox, token):
    user = sandbox.user()
    code = sandbox.phone_code(user["openid"])
    path = f"{WECHAT}/wxa/business/getuserphonenumber?access_token={token}"
    # As wechatpy sends it: the JSON as bytes, no Content-Type at all.
    resp = client.post(path, data=json.dumps({"code": code}).encode(), headers={"Content-Type": ""})
    assert resp.get_json()["errcode"] == 0 and resp.get_json()["phone_info"]["purePhoneNumber"]
    stable = client.post(
        f"{WECHAT}/cgi-bin/stable_token",
        data=json.dumps({"grant_type": "client_credential", "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET}),
        content_type="text/plain",
    )
    assert "access_token" in stable.get_json()


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"code"'])
def test_a_post_body_that_is_not_a_json_object_is_47001(client, token, body):
    resp = client.post(f"{WECHAT}/wxa/business/getuserphonenumber?access_token={token}", data=body)
    assert resp.get_json()["errcode"] == 47001


def test_answers_are_written_as_wechat_writes_them(client, sandbox):
    code, _ = sandbox.login_code()
    params = {"appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "js_code": code, "grant_type": "authorization_code"}
    for resp in (
        client.get(f"{WECHAT}/sns/jscode2session", query_string=params),  # a success
        client.get(f"{WECHAT}/sns/jscode2session", query_string=params),  # an error: the code is spent
    ):
        raw = resp.get_data()
        assert resp.headers["Content-Type"] == "application/json; encoding=utf-8"
        # Compact, and no trailing newline: co-wechat-api's parser fails on one.
        assert raw == json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode()
