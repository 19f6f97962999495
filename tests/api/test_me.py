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
