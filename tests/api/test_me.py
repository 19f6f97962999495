"""GET/PATCH/PUT /api/me."""

from __future__ import annotations

import pytest

from tests.support import assert_error


@pytest.mark.parametrize("method", ["patch", "put"])
def test_profile_update_changes_only_the_fields_sent(api, client, method):
    session = api.login()
    send = getattr(client, method)
    resp = send("/api/me", json={"nickName": "阿明"}, headers=session.headers)
    assert resp.status_code == 200, resp.get_json()
    resp = send("/api/me", json={"avatarUrl": "https://cdn.example.com/a.png"}, headers=session.headers)
    assert resp.status_code == 200, resp.get_json()
    user = api.get("/api/me", session).get_json()["user"]
    assert (user["nickName"], user["avatarUrl"]) == ("阿明", "https://cdn.example.com/a.png")


def test_put_is_in_the_openapi_document(client):
    # wx.request has no PATCH: the document must offer mini-programs a method they can send.
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert paths["/api/me"]["put"]["requestBody"] == paths["/api/me"]["patch"]["requestBody"]


def test_profile_update_needs_a_token_and_known_fields(api, client):
    assert_error(client.put("/api/me", json={"nickName": "x"}), 401, "invalid_token")
    session = api.login()
    assert_error(client.put("/api/me", json={"phoneNumber": "1"}, headers=session.headers), 400, "invalid_request")


def test_linked_apps_are_the_same_persons_other_mini_programs(api, client, sandbox, app, override_settings):
    from config import Apps, MiniApp

    default = app.extensions["wxauth.settings"].apps.default
    shop = MiniApp("wxlinkedshop00001", "secret-" + "s" * 24, "Shop")
    override_settings(apps=Apps([default, shop]))
    here = api.login(unionid="oUnionPerson")
    code, _ = sandbox.login_code(appid=shop.appid, unionid="oUnionPerson")
    there = client.post("/api/auth/login", json={"code": code, "appid": shop.appid}).get_json()
    assert there["user"]["appid"] == shop.appid and there["user"]["id"] != here.user["id"]

    me = api.get("/api/me", here).get_json()
    assert me["linkedApps"] == [{"appid": shop.appid, "name": "Shop"}]
    other = client.get("/api/me", headers={"Authorization": "Bearer " + there["token"]}).get_json()
    assert other["linkedApps"] == [{"appid": default.appid, "name": default.name}]
    assert there["user"]["openid"] not in str(me)  # never the other app's openid

    stranger = api.login(unionid="oUnionSomeoneElse")
    assert api.get("/api/me", stranger).get_json()["linkedApps"] == []
    assert api.get("/api/me", api.login()).get_json()["linkedApps"] == []  # no unionid, no links
