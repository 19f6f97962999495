"""POST /api/auth/login."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support import assert_error
from wxauth.extensions import db
from wxauth.models import ApiSession, LoginEvent, User


def test_first_login_creates_user_and_returns_token(api, app):
    session = api.login()
    assert session.body["isNewUser"] is True
    assert session.body["needsPhone"] is False
    assert session.user["openid"] == session.openid
    assert session.user["phoneNumber"] is None
    assert session.body["expiresAt"].endswith("Z")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.openid == session.openid))
        assert user is not None and user.session_key_ciphertext.startswith("v1.")
        event = db.session.scalar(select(LoginEvent))
        assert (event.outcome, event.user_id, event.is_new_user) == ("success", user.id, True)
        assert event.upstream_ms is not None


def test_returning_user_is_not_new_and_keeps_one_row(api, app):
    first = api.login()
    second = api.login(first.openid)
    assert second.body["isNewUser"] is False
    assert second.user["id"] == first.user["id"]
    assert second.token != first.token
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(ApiSession)) == 2


def test_returning_user_gains_a_unionid_and_keeps_it(api, sandbox):
    first = api.login()
    assert first.user["unionid"] is None
    sandbox.user(openid=first.openid, unionid="oUnionLater")  # bound to an Open Platform account since
    assert api.login(first.openid).user["unionid"] == "oUnionLater"
    assert api.login(first.openid).user["unionid"] == "oUnionLater"


def test_login_event_commits_with_the_login_and_its_failure_does_not_break_it(api, app, caplog):
    from sqlalchemy import text

    # The database refuses every login event (as it would a row it cannot take): the login
    # must still succeed, with its user and session and without the event.
    refuse = {
        "sqlite": ["CREATE TRIGGER refuse_events BEFORE INSERT ON login_events BEGIN SELECT RAISE(ABORT, 'refused'); END"],
        "postgresql": ["ALTER TABLE login_events ADD CONSTRAINT refuse_events CHECK (false) NOT VALID"],
    }
    allow = {
        "sqlite": ["DROP TRIGGER refuse_events"],
        "postgresql": ["ALTER TABLE login_events DROP CONSTRAINT refuse_events"],
    }

    def run(statements):
        with app.app_context():
            for sql in statements[db.engine.dialect.name]:
                db.session.execute(text(sql))
            db.session.commit()

    run(refuse)
    try:
        session = api.login()
    finally:
        run(allow)
    assert "could not record login_events" in caplog.text
    assert session.user["openid"]
    assert api.get("/api/me", session).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(ApiSession)) == 1
        assert db.session.scalar(select(func.count()).select_from(LoginEvent)) == 0


def test_session_key_is_never_in_the_response(api, app, sandbox):
    session = api.login()
    text = str(session.body)
    assert "session_key" not in text and "sessionKey" not in text
    with app.app_context():
        stored = db.session.scalar(select(User.session_key_ciphertext))
    assert stored not in text


def test_unionid_from_code2session_is_stored(api):
    session = api.login(unionid="oUnion123")
    assert session.user["unionid"] == "oUnion123"


def test_reused_code_is_invalid_code(client, sandbox, app):
    code, _ = sandbox.login_code()
    assert client.post("/api/auth/login", json={"code": code}).status_code == 200
    assert_error(client.post("/api/auth/login", json={"code": code}), 401, "invalid_code")
    with app.app_context():
        events = db.session.scalars(select(LoginEvent).order_by(LoginEvent.id)).all()
    assert [(e.outcome, e.wechat_errcode) for e in events] == [("success", None), ("invalid_code", 40163)]


def test_unknown_and_expired_codes_are_invalid_code(client, sandbox):
    assert_error(client.post("/api/auth/login", json={"code": "0" * 32}), 401, "invalid_code")
    code, _ = sandbox.login_code(ageSeconds=301)
    assert_error(client.post("/api/auth/login", json={"code": code}), 401, "invalid_code")


def test_blocked_user_is_forbidden(client, sandbox):
    code, _ = sandbox.login_code(blocked=True)
    assert_error(client.post("/api/auth/login", json={"code": code}), 403, "user_blocked")


def test_bad_requests_are_invalid_request(client):
    cases = [
        client.post("/api/auth/login", data="code=abc", content_type="application/x-www-form-urlencoded"),
        client.post("/api/auth/login", data="{not json", content_type="application/json"),
        client.post("/api/auth/login", json=["code"]),
        client.post("/api/auth/login", json={}),
        client.post("/api/auth/login", json={"code": ""}),
        client.post("/api/auth/login", json={"code": "   "}),
        client.post("/api/auth/login", json={"code": 12345}),
        client.post("/api/auth/login", json={"code": "x" * 129}),
        client.post("/api/auth/login", json={"code": "abc\x00def"}),
        client.post("/api/auth/login", json={"code": "abc", "userInfo": "nope"}),
        client.post("/api/auth/login", json={"code": "abc", "rawData": "{}"}),
        client.post("/api/auth/login", json={"code": "abc", "encryptedData": "AAAA"}),
    ]
    for resp in cases:
        assert_error(resp, 400, "invalid_request")


def test_bad_request_costs_no_wechat_call(client, sandbox):
    client.post("/api/auth/login", json={"code": ""})
    assert "jscode2session" not in sandbox.stats()


def test_unknown_appid_is_rejected(client, sandbox):
    code, _ = sandbox.login_code()
    assert_error(client.post("/api/auth/login", json={"code": code, "appid": "wxnotours"}), 400, "unknown_app")


def test_require_phone_sets_needs_phone(api, app, override_settings):
    override_settings(require_phone=True)
    session = api.login()
    assert session.body["needsPhone"] is True


def test_user_info_fills_profile_but_placeholder_does_not(api):
    session = api.login(
        userInfo={
            "nickName": "微信用户",
            "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132",
            "gender": 0,
        }
    )
    assert session.user["nickName"] is None and session.user["avatarUrl"] is None
    session = api.login(session.openid, userInfo={"nickName": "阿明", "avatarUrl": "https://cdn.example.com/a.png", "gender": 1})
    assert (session.user["nickName"], session.user["avatarUrl"], session.user["gender"]) == (
        "阿明",
        "https://cdn.example.com/a.png",
        1,
    )


def test_raw_data_signature_verified(client, sandbox, app):
    user = sandbox.user(nickName="Band")
    info = sandbox.encrypted_userinfo(user["openid"], nickName="Band")
    # The code must be minted without rotating the key the data was signed with.
    code, _ = sandbox.login_code(user["openid"], rotate=False)
    resp = client.post("/api/auth/login", json={"code": code, "rawData": info["rawData"], "signature": info["signature"]})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["user"]["nickName"] == "Band"


def test_bad_signature_is_rejected_and_recorded(client, sandbox, app):
    from wxauth.models import Failure

    user = sandbox.user()
    info = sandbox.encrypted_userinfo(user["openid"], nickName="Band")
    code, _ = sandbox.login_code(user["openid"], rotate=False)
    resp = client.post("/api/auth/login", json={"code": code, "rawData": info["rawData"], "signature": "0" * 40})
    assert_error(resp, 401, "invalid_signature")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        failure = db.session.scalar(select(Failure))
        assert (failure.kind, failure.reason) == ("signature", "signature_mismatch")


def test_encrypted_userinfo_gives_unionid_and_profile(client, sandbox):
    user = sandbox.user(unionid="oUnionFromData")
    info = sandbox.encrypted_userinfo(user["openid"], nickName="小红", gender=2)
    code, _ = sandbox.login_code(user["openid"], rotate=False)
    resp = client.post("/api/auth/login", json={"code": code, "encryptedData": info["encryptedData"], "iv": info["iv"]})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()["user"]
    assert (body["unionid"], body["nickName"], body["gender"]) == ("oUnionFromData", "小红", 2)


def test_encrypted_userinfo_with_stale_key_fails_cleanly(client, sandbox, app):
    from wxauth.models import Failure

    user = sandbox.user()
    info = sandbox.encrypted_userinfo(user["openid"])
    code, _ = sandbox.login_code(user["openid"])  # rotates the key: the data is now stale
    resp = client.post("/api/auth/login", json={"code": code, "encryptedData": info["encryptedData"], "iv": info["iv"]})
    body = assert_error(resp, 422, "decrypt_failed")
    assert "wx.login" in body["message"]
    with app.app_context():
        failure = db.session.scalar(select(Failure))
        assert failure.kind == "userinfo_encrypted"
        assert failure.reason in ("bad_padding", "not_json")  # a wrong key pads correctly 1 time in 256
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_one_tap_login_binds_the_phone_in_the_same_request(client, sandbox, app):
    user = sandbox.user(phoneNumber="13811112222")
    code, openid = sandbox.login_code(user["openid"])
    phone_code = sandbox.phone_code(openid)
    resp = client.post("/api/auth/login", json={"code": code, "phoneCode": phone_code})
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["phoneBound"] is True and "phoneError" not in body
    assert body["user"]["phoneNumber"] == "13811112222"
    assert body["needsPhone"] is False
    with app.app_context():
        stored = db.session.scalar(select(User).where(User.openid == openid))
        assert stored.phone_number == "13811112222" and stored.phone_bound_at is not None


def test_a_failed_phone_exchange_does_not_fail_the_login(client, sandbox, app):
    code, openid = sandbox.login_code()
    resp = client.post("/api/auth/login", json={"code": code, "phoneCode": "not-a-phone-code"})
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body["phoneBound"] is False
    assert body["phoneError"]["error"] == "invalid_phone_code" and body["phoneError"]["message"]
    assert body["user"]["phoneNumber"] is None
    assert client.get("/api/me", headers={"Authorization": "Bearer " + body["token"]}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.openid == openid)) == 1


def test_phone_bound_is_false_on_every_login_without_a_phone_code(api):
    assert api.login().body["phoneBound"] is False


def test_a_bad_phone_code_is_refused_before_any_exchange(client, sandbox):
    code, _ = sandbox.login_code()
    for bad in (5, "", "has space", "x" * 1000):
        assert_error(client.post("/api/auth/login", json={"code": code, "phoneCode": bad}), 400, "invalid_request")
    assert client.post("/api/auth/login", json={"code": code}).status_code == 200  # the code was never spent
