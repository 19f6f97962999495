"""The sandbox's control API validates what it stores, with the usual error shape."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("phone", ["abc", "138 0000 1111", "+86 13800001111", "12", "1" * 16, "+12345-13800001111"])
def test_the_control_api_refuses_a_phone_that_is_not_a_number(client, phone):
    for path in ("/_sandbox/api/login-code", "/_sandbox/api/users"):
        resp = client.post(path, json={"phoneNumber": phone})
        assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_request", (path, phone)


def test_the_control_api_takes_a_number_with_its_country_code(api, client, sandbox):
    user = sandbox.user(phoneNumber="+1-2025550123")
    assert (user["phoneNumber"], user["countryCode"]) == ("2025550123", "1")
    session = api.login(user["openid"])
    resp = api.post("/api/auth/phone", session, json={"code": sandbox.phone_code(user["openid"])})
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["purePhoneNumber"], resp.get_json()["countryCode"]) == ("2025550123", "1")
