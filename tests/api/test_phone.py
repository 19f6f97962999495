"""POST /api/auth/phone: the new code API and the legacy encryptedData."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support import assert_error
from wxauth.extensions import db
from wxauth.models import Failure, User


def test_phone_by_code(api, sandbox, app):
    s = api.login(phoneNumber="13912345678")
    resp = api.post("/api/auth/phone", s, json={"code": sandbox.phone_code(s.openid)})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["phoneNumber"], body["purePhoneNumber"], body["countryCode"]) == ("13912345678", "13912345678", "86")
    assert body["user"]["phoneNumber"] == "13912345678"
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.phone_country_code, user.phone_number) == ("86", "13912345678")
        assert user.phone_bound_at is not None


def test_phone_code_is_single_use(api, sandbox):
    s = api.login()
    code = sandbox.phone_code(s.openid)
    assert api.post("/api/auth/phone", s, json={"code": code}).status_code == 200
    assert_error(api.post("/api/auth/phone", s, json={"code": code}), 400, "invalid_phone_code")


def test_login_code_sent_as_phone_code_is_invalid_phone_code(api, sandbox, app):
    s = api.login()
    login_code, _ = sandbox.login_code(s.openid)
    assert_error(api.post("/api/auth/phone", s, json={"code": login_code}), 400, "invalid_phone_code")
    with app.app_context():
        failure = db.session.scalar(select(Failure))
    assert (failure.kind, failure.reason, failure.wechat_errcode) == ("phone_code", "wechat_errcode", 40029)


def test_expired_phone_code(api, sandbox):
    s = api.login()
    code = sandbox.phone_code(s.openid, ageSeconds=301)
    assert_error(api.post("/api/auth/phone", s, json={"code": code}), 400, "invalid_phone_code")


def test_access_token_is_cached_between_phone_calls(api, sandbox, app):
    s = api.login()
    for _ in range(3):
        assert api.post("/api/auth/phone", s, json={"code": sandbox.phone_code(s.openid)}).status_code == 200
    assert sandbox.stats().get("stable_token") == 1
    assert app.extensions["wxauth.wechat"].tokens.fetches == 1


def test_expired_access_token_is_refreshed_once_and_replayed(api, sandbox, app):
    s = api.login()
    assert api.post("/api/auth/phone", s, json={"code": sandbox.phone_code(s.openid)}).status_code == 200
    sandbox.expire_tokens()  # WeChat now answers 42001 for the cached token
    resp = api.post("/api/auth/phone", s, json={"code": sandbox.phone_code(s.openid)})
    assert resp.status_code == 200, resp.get_json()
    stats = sandbox.stats()
    assert stats["stable_token"] == 2
    assert stats["getuserphonenumber"] == 3  # first call, rejected call, replay


def test_invalidated_access_token_forces_a_new_stable_token(api, sandbox):
    s = api.login()
    assert api.post("/api/auth/phone", s, json={"code": sandbox.phone_code(s.openid)}).status_code == 200
    sandbox.expire_tokens(invalidate=True)  # another server force-refreshed: 40001
    assert api.post("/api/auth/phone", s, json={"code": sandbox.phone_code(s.openid)}).status_code == 200


def test_phone_by_legacy_encrypted_data(api, sandbox, app):
    s = api.login(phoneNumber="13700001111")
    resp = api.post("/api/auth/phone", s, json=sandbox.encrypted_phone(s.openid))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["purePhoneNumber"] == "13700001111"
    with app.app_context():
        assert db.session.scalar(select(User.phone_number)) == "13700001111"


def test_legacy_data_after_another_wx_login_fails_as_stale_key(api, sandbox, app):
    s = api.login(phoneNumber="13700001111")
    data = sandbox.encrypted_phone(s.openid)
    sandbox.login_code(s.openid)  # the classic bug: wx.login inside the phone callback rotates the key
    api.login(s.openid)  # ...and the server stores the new key
    body = assert_error(api.post("/api/auth/phone", s, json=data), 422, "decrypt_failed")
    assert "wx.login" in body["message"]
    with app.app_context():
        failure = db.session.scalar(select(Failure))
        assert failure.kind == "phone_encrypted"
        assert failure.reason in ("bad_padding", "not_json")
        assert failure.session_key_age_s is not None and failure.session_key_age_s >= 0
        assert db.session.scalar(select(User.phone_number)) is None


def test_garbage_legacy_data_is_classified(api, sandbox, app):
    s = api.login()
    assert_error(
        api.post("/api/auth/phone", s, json={"encryptedData": "@@@", "iv": "AAAAAAAAAAAAAAAAAAAAAA=="}), 422, "decrypt_failed"
    )
    assert_error(api.post("/api/auth/phone", s, json={"encryptedData": "AAAA", "iv": "AAAA"}), 422, "decrypt_failed")
    with app.app_context():
        reasons = db.session.scalars(select(Failure.reason).order_by(Failure.id)).all()
    assert reasons == ["bad_base64", "bad_iv_length"]


def test_phone_after_logout_has_no_session_key(api, sandbox):
    s = api.login()
    data = sandbox.encrypted_phone(s.openid)
    other = api.login(s.openid)  # a second device, same user
    assert api.post("/api/auth/logout", s).status_code == 200
    assert_error(api.post("/api/auth/phone", other, json=data), 422, "decrypt_failed")


def test_phone_needs_a_token_and_a_body(api, client):
    assert_error(client.post("/api/auth/phone", json={"code": "abc"}), 401, "invalid_token")
    s = api.login()
    assert_error(api.post("/api/auth/phone", s, json={}), 400, "invalid_request")
    assert_error(api.post("/api/auth/phone", s, json={"code": 5}), 400, "invalid_request")
    assert_error(api.post("/api/auth/phone", s, json={"encryptedData": "AAAA"}), 400, "invalid_request")
    assert_error(api.post("/api/auth/phone", s, data="x", content_type="text/plain"), 400, "invalid_request")


def test_classic_token_api_can_be_chosen(api, sandbox, app, monkeypatch):
    monkeypatch.setattr(app.extensions["wxauth.wechat"].tokens, "api", "token")
    s = api.login()
    assert api.post("/api/auth/phone", s, json={"code": sandbox.phone_code(s.openid)}).status_code == 200
    stats = sandbox.stats()
    assert stats.get("token") == 1 and "stable_token" not in stats


def test_a_stored_key_wechat_no_longer_holds_is_confirmed_stale(api, sandbox, app):
    # The mini-program called wx.login for something else: WeChat rotated the key, and the
    # code never reached wxauth, so the key stored at the last login is dead.
    s = api.login(phoneNumber="13700001111")
    sandbox.login_code(s.openid)
    data = sandbox.encrypted_phone(s.openid)  # sealed with WeChat's current key
    before = sandbox.stats().get("checksession", 0)
    body = assert_error(api.post("/api/auth/phone", s, json=data), 422, "decrypt_failed")
    assert body["reason"] == "stale_session_key"
    assert "Log in again" in body["message"]
    assert sandbox.stats()["checksession"] == before + 1
    with app.app_context():
        assert db.session.scalar(select(Failure.reason)) == "stale_session_key"
    # Logging in again stores WeChat's current key; fresh data then binds.
    api.login(s.openid)
    assert api.post("/api/auth/phone", s, json=sandbox.encrypted_phone(s.openid)).status_code == 200


def test_a_key_wechat_still_holds_keeps_the_original_reason(api, sandbox, app):
    s = api.login()
    other = api.login()  # another user: their data cannot decrypt under s's key
    body = assert_error(api.post("/api/auth/phone", s, json=sandbox.encrypted_phone(other.openid)), 422, "decrypt_failed")
    assert body["reason"] in ("bad_padding", "not_json")
    assert sandbox.stats()["checksession"] == 1  # asked, and WeChat said the key is current


def test_failures_no_stale_key_explains_are_not_checked(api, sandbox):
    s = api.login()
    body = assert_error(api.post("/api/auth/phone", s, json={"encryptedData": "AAAA", "iv": "AAAA"}), 422, "decrypt_failed")
    assert body["reason"] == "bad_iv_length"
    assert sandbox.stats().get("checksession", 0) == 0


@pytest.mark.parametrize("fault", [{"status": 503, "count": 2}, {"delay": 3, "count": 1}])
def test_without_an_answer_from_checksession_the_original_reason_stands(api, sandbox, fault):
    s = api.login(phoneNumber="13700001111")
    sandbox.login_code(s.openid)
    data = sandbox.encrypted_phone(s.openid)
    sandbox.fault("checksession", **fault)
    body = assert_error(api.post("/api/auth/phone", s, json=data), 422, "decrypt_failed")
    assert body["reason"] in ("bad_padding", "not_json")
