"""One validation for a profile, however it arrives: login's userInfo, rawData, encryptedData, PATCH."""

from __future__ import annotations

import pytest

from tests.support import assert_error

BAD_NICKNAMES = ["two\nlines", "\x1b[31mred\x1b[0m", "carriage\rreturn", "tab\there", "nul\x00byte"]


@pytest.mark.parametrize("nickname", BAD_NICKNAMES)
def test_patch_refuses_it(api, nickname):
    session = api.login()
    assert_error(api.patch("/api/me", session, json={"nickName": nickname}), 400, "invalid_request")


@pytest.mark.parametrize("nickname", BAD_NICKNAMES)
def test_login_userinfo_does_not_store_it(api, nickname):
    session = api.login(userInfo={"nickName": nickname, "gender": 1})
    assert session.user["nickName"] is None
    assert session.user["gender"] == 1  # the rest of the profile still counts


@pytest.mark.parametrize("nickname", [n for n in BAD_NICKNAMES if "\x00" not in n])
def test_login_raw_data_does_not_store_it(client, sandbox, nickname):
    user = sandbox.user()
    code, _ = sandbox.login_code(user["openid"])
    info = sandbox.encrypted_userinfo(user["openid"], nickName=nickname, gender=2)
    resp = client.post("/api/auth/login", json={"code": code, "rawData": info["rawData"], "signature": info["signature"]})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["user"]["nickName"] is None and resp.get_json()["user"]["gender"] == 2


@pytest.mark.parametrize("nickname", ["two\nlines", "\x1b[2J"])
def test_login_encrypted_data_does_not_store_it(client, sandbox, nickname):
    user = sandbox.user()
    code, _ = sandbox.login_code(user["openid"])
    info = sandbox.encrypted_userinfo(user["openid"], nickName=nickname)
    resp = client.post("/api/auth/login", json={"code": code, "encryptedData": info["encryptedData"], "iv": info["iv"]})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["user"]["nickName"] is None


def test_good_profiles_still_arrive_every_way(api, client, sandbox):
    assert api.login(userInfo={"nickName": "  阿花🌸 "}).user["nickName"] == "阿花🌸"
    user = sandbox.user()
    code, _ = sandbox.login_code(user["openid"])
    info = sandbox.encrypted_userinfo(user["openid"], nickName="小明")
    resp = client.post("/api/auth/login", json={"code": code, "rawData": info["rawData"], "signature": info["signature"]})
    assert resp.get_json()["user"]["nickName"] == "小明"


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "https://exa mple.com/a.png", 'https://example.com/"onerror=x', "https://example.com/<b>"]
)
def test_login_drops_an_avatar_that_patch_refuses(api, bad):
    session = api.login(userInfo={"avatarUrl": bad})
    assert session.user["avatarUrl"] is None
    assert_error(api.patch("/api/me", session, json={"avatarUrl": bad}), 400, "invalid_request")
