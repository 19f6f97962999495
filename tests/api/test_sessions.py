"""Tokens: revocation, expiry, tampering; logout; /api/me."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.support import assert_error
from wxauth.extensions import db
from wxauth.models import ApiSession, User, utcnow


def test_me_returns_the_user(api):
    s = api.login()
    resp = api.get("/api/me", s)
    assert resp.status_code == 200
    assert resp.get_json()["user"] == s.user


def test_logout_revokes_token_and_drops_session_key(api, app):
    s = api.login()
    assert api.post("/api/auth/logout", s).get_json() == {"ok": True}
    assert_error(api.get("/api/me", s), 401, "invalid_token")
    assert_error(api.post("/api/auth/logout", s), 401, "invalid_token")
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.session_key_ciphertext is None and user.session_key_issued_at is None
        assert db.session.scalar(select(ApiSession.revoked_at)) is not None


def test_logout_of_one_device_keeps_the_other(api):
    a = api.login()
    b = api.login(a.openid)
    api.post("/api/auth/logout", a)
    assert api.get("/api/me", b).status_code == 200


def test_tampered_and_garbage_tokens_are_rejected(api, client):
    s = api.login()
    head, sig = s.token.rsplit(".", 1)
    for token in ("", "garbage", s.token + "x", head + ".AAAA", "a" * 600, "Bearer", head):
        assert_error(client.get("/api/me", headers={"Authorization": f"Bearer {token}"}), 401, "invalid_token")
    assert_error(client.get("/api/me", headers={"Authorization": f"Token {s.token}"}), 401, "invalid_token")
    assert_error(client.get("/api/me"), 401, "invalid_token")


def test_garbage_token_costs_no_database_query(api, client, app):
    from sqlalchemy import event

    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get("/api/me", headers={"Authorization": "Bearer WyJhIiwxXQ.forged"})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements == []


def test_token_signed_with_another_secret_is_rejected(api, client, app):
    from itsdangerous import URLSafeSerializer

    from wxauth.services.sessions import SALT

    s = api.login()
    with app.app_context():
        sid = db.session.scalar(select(ApiSession.id))
    forged = URLSafeSerializer("another-secret", salt=SALT).dumps([sid, int(utcnow().timestamp()) + 3600])
    assert_error(client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}), 401, "invalid_token")
    assert api.get("/api/me", s).status_code == 200


def test_expired_session_is_rejected(api, app):
    s = api.login()
    with app.app_context():
        db.session.execute(update(ApiSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert_error(api.get("/api/me", s), 401, "invalid_token")


def test_token_ttl_is_configurable(api, app, override_settings):
    override_settings(token_ttl=120)
    s = api.login()
    with app.app_context():
        session = db.session.scalar(select(ApiSession))
    assert timedelta(seconds=110) < session.expires_at - session.created_at <= timedelta(seconds=120)
    assert s.body["expiresAt"].startswith(session.expires_at.strftime("%Y-%m-%dT%H:%M"))


def test_last_seen_is_refreshed_at_most_once_a_minute(api, app):
    s = api.login()
    with app.app_context():
        old = utcnow() - timedelta(minutes=5)
        db.session.execute(update(ApiSession).values(last_seen_at=old))
        db.session.commit()
    api.get("/api/me", s)
    with app.app_context():
        seen = db.session.scalar(select(ApiSession.last_seen_at))
    assert seen > old + timedelta(minutes=4)


def test_profile_update(api):
    s = api.login()
    resp = api.patch("/api/me", s, json={"nickName": "  小明 🐱  ", "avatarUrl": "https://cdn.example.com/a.png"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["user"]["nickName"] == "小明 🐱"
    assert api.get("/api/me", s).get_json()["user"]["avatarUrl"] == "https://cdn.example.com/a.png"


def test_profile_update_validation(api, app, override_settings):
    override_settings(sandbox=False)  # only https outside sandbox
    s = api.login()
    bad = [
        {},
        {"nickName": ""},
        {"nickName": "   "},
        {"nickName": "x" * 65},
        {"nickName": 7},
        {"nickName": "a\x07b"},
        {"avatarUrl": "javascript:alert(1)"},
        {"avatarUrl": "data:image/png;base64,AAAA"},
        {"avatarUrl": "http://cdn.example.com/a.png"},
        {"avatarUrl": "https://" + "a" * 600},
        {"avatarUrl": "https://"},
        {"avatarUrl": "https://\u00cf/a.png"},
        {"avatarUrl": "https://exa mple.com/a.png"},
        {"avatarUrl": "https://example.com:99999/a.png"},
        {"avatarUrl": "https://-bad-.com/a.png"},
        {"openid": "takeover"},
        {"nickName": "ok", "phoneNumber": "13800138000"},
    ]
    for body in bad:
        assert_error(api.patch("/api/me", s, json=body), 400, "invalid_request")
    assert api.get("/api/me", s).get_json()["user"]["nickName"] is None


def test_refresh_issues_a_new_token_and_revokes_the_old(api, client):
    s = api.login()
    resp = api.post("/api/auth/refresh", s)
    assert resp.status_code == 200
    new = resp.get_json()["token"]
    assert new != s.token
    assert_error(api.get("/api/me", s), 401, "invalid_token")
    me = client.get("/api/me", headers={"Authorization": f"Bearer {new}"})
    assert me.status_code == 200 and me.get_json()["user"]["id"] == s.user["id"]
    assert_error(api.post("/api/auth/refresh", s), 401, "invalid_token")


def test_database_outage_is_a_503_json(api, app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from wxauth.services import sessions

    s = api.login()

    def down(*a, **kw):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(sessions.db.session, "scalar", down)
    assert_error(api.get("/api/me", s), 503, "database_unavailable")
