"""Service clients: created from the CLI (secret once, stored hashed), HTTP Basic, scopes,
rate-limited failures; token introspection (RFC 7662); the shared WeChat access_token."""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import event, select, update

from tests.support import assert_error
from wxauth.extensions import db, limiter
from wxauth.models import ApiSession, ServiceClient, utcnow


def _create(runner, name: str, *scopes: str) -> tuple[str, str]:
    args = ["clients", "create", name]
    for scope in scopes:
        args += ["--scope", scope]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["client_id", "client_secret"]
    return lines[0].split(": ", 1)[1], lines[1].split(": ", 1)[1]


def _basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.fixture()
def introspector(runner) -> dict:
    return _basic(*_create(runner, "orders", "introspect"))


def _introspect(client, headers: dict, token: str):
    return client.post("/api/oauth/introspect", data={"token": token}, headers=headers)


def test_the_secret_is_shown_once_and_stored_as_a_hash(runner, app):
    client_id, secret = _create(runner, "orders", "introspect", "wechat_token")
    with app.app_context():
        row = db.session.scalars(select(ServiceClient)).one()
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in repr(row.__dict__)
        assert row.scope_list == ["introspect", "wechat_token"] and row.client_id == client_id
    listing = runner.invoke(args=["clients", "list"]).output
    assert "orders" in listing and client_id in listing and secret not in listing
    assert runner.invoke(args=["clients", "create", "orders", "--scope", "introspect"]).exit_code != 0
    assert runner.invoke(args=["clients", "create", "x", "--scope", "admin"]).exit_code != 0


def test_introspection_of_a_live_opaque_token(api, client, introspector):
    session = api.login(unionid="u-intro")
    resp = _introspect(client, introspector, session.token)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["active"] is True and body["token_type"] == "access_token"
    assert body["sub"] == str(session.user["id"]) and body["openid"] == session.openid and body["unionid"] == "u-intro"
    assert body["appid"] == session.user["appid"] and body["exp"] > body["iat"]
    assert set(body) == {"active", "sub", "appid", "openid", "unionid", "iat", "exp", "token_type"}


def test_every_token_that_is_not_live_is_exactly_inactive(api, client, app, introspector, override_settings):
    garbage = ["x", "eyJ.e.e", "a" * 3000, ""]
    logged_out = api.login()
    api.post("/api/auth/logout", logged_out)
    deleted = api.login()
    client.delete("/api/me", headers=deleted.headers)
    expired = api.login()
    with app.app_context():
        db.session.execute(update(ApiSession).where(ApiSession.id.isnot(None)).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    override_settings(token_format="jwt")
    refresh_token = api.login().body["refreshToken"]
    for token in [*garbage[:3], logged_out.token, deleted.token, expired.token, refresh_token]:
        resp = _introspect(client, introspector, token)
        assert resp.status_code == 200 and resp.get_json() == {"active": False}, (token[:20], resp.get_json())
    assert_error(_introspect(client, introspector, ""), 400, "invalid_request")
    assert_error(_introspect(client, introspector, "a" * 5000), 400, "invalid_request")


def test_introspection_reflects_a_jwt_logout_at_once(api, client, introspector, override_settings):
    override_settings(token_format="jwt")
    session = api.login()
    body = _introspect(client, introspector, session.token).get_json()
    assert body["active"] is True and body["sub"] == str(session.user["id"])
    api.post("/api/auth/logout", session)
    assert _introspect(client, introspector, session.token).get_json() == {"active": False}


def test_introspection_is_one_statement_once_the_client_is_known(api, client, app, introspector):
    session = api.login()
    _introspect(client, introspector, session.token)  # the client's first call reads and remembers it
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, sql, params, context, many: statements.append(sql)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert _introspect(client, introspector, session.token).get_json()["active"] is True
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    real = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    assert len(real) == 1, statements
    assert "api_sessions.id =" in real[0]


def test_wrong_credentials_are_401_basic_and_a_missing_scope_is_403(api, client, runner):
    token = api.login().token
    client_id, secret = _create(runner, "push", "wechat_token")
    for headers in ({}, _basic(client_id, "wrong"), _basic("nobody", secret), {"Authorization": "Bearer " + token}):
        resp = _introspect(client, headers, token)
        assert_error(resp, 401, "invalid_client")
        assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert_error(_introspect(client, _basic(client_id, secret), token), 403, "insufficient_scope")


def test_a_revoked_client_is_refused(runner, api, client):
    headers = _basic(*_create(runner, "orders", "introspect"))
    token = api.login().token
    assert _introspect(client, headers, token).status_code == 200
    assert runner.invoke(args=["clients", "revoke", "orders"]).exit_code == 0
    assert_error(_introspect(client, headers, token), 401, "invalid_client")
    assert runner.invoke(args=["clients", "revoke", "orders"]).exit_code != 0


@pytest.fixture()
def small_limit(app, override_settings):
    override_settings(ratelimit_service_auth="3/minute")
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


def test_failed_authentications_are_rate_limited_per_ip(runner, api, client, small_limit):
    client_id, secret = _create(runner, "orders", "introspect")
    token = api.login().token
    for _ in range(3):
        assert_error(_introspect(client, _basic(client_id, "guess"), token), 401, "invalid_client")
    resp = _introspect(client, _basic(client_id, secret), token)
    assert_error(resp, 429, "rate_limited")
    assert "Retry-After" in resp.headers


def test_successes_do_not_count_against_the_limit(runner, api, client, small_limit):
    headers = _basic(*_create(runner, "orders", "introspect"))
    token = api.login().token
    assert all(_introspect(client, headers, token).status_code == 200 for _ in range(6))


@pytest.fixture()
def token_client(runner) -> dict:
    return _basic(*_create(runner, "push", "wechat_token"))


def test_the_shared_access_token_comes_from_the_cache(client, sandbox, app, token_client):
    first = client.get("/api/internal/wechat/access-token", headers=token_client)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert set(body) == {"accessToken", "expiresAt"} and first.headers["Cache-Control"] == "no-store"
    fetched = app.extensions["wxauth.wechat"].tokens.fetches
    appid = app.extensions["wxauth.settings"].apps.default.appid
    again = client.get(f"/api/internal/wechat/access-token?appid={appid}", headers=token_client).get_json()
    assert again == body and app.extensions["wxauth.wechat"].tokens.fetches == fetched == 1
    assert_error(client.get("/api/internal/wechat/access-token?appid=wxnotours", headers=token_client), 400, "unknown_app")


def test_a_rejected_token_is_refreshed_only_while_it_is_current(client, app, token_client):
    tokens = app.extensions["wxauth.wechat"].tokens
    current = client.get("/api/internal/wechat/access-token", headers=token_client).get_json()["accessToken"]
    resp = client.post("/api/internal/wechat/access-token", json={"rejected": "an-old-token"}, headers=token_client)
    assert resp.get_json()["accessToken"] == current and tokens.fetches == 1
    resp = client.post("/api/internal/wechat/access-token", json={"rejected": current}, headers=token_client)
    fresh = resp.get_json()["accessToken"]
    assert fresh != current and tokens.fetches == 2
    assert_error(client.post("/api/internal/wechat/access-token", json={}, headers=token_client), 400, "invalid_request")


def test_ten_services_reporting_one_rejection_cause_one_refresh(app, live_url, token_client, client, sandbox):
    current = client.get("/api/internal/wechat/access-token", headers=token_client).get_json()["accessToken"]
    before = sandbox.stats()
    answers: list[str] = []
    barrier = threading.Barrier(10)

    def report() -> None:
        barrier.wait()
        resp = requests.post(
            live_url + "/api/internal/wechat/access-token", json={"rejected": current}, headers=token_client, timeout=15
        )
        answers.append(resp.json()["accessToken"])

    threads = [threading.Thread(target=report) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    after = sandbox.stats()
    assert len(set(answers)) == 1 and answers[0] != current
    # One refresh: one new token issued by WeChat, one fetch by wxauth (stable_token's
    # normal mode hands back the rejected token, so that fetch forces a new one: two calls).
    assert after["issued:stable"] - before["issued:stable"] == 1, (before, after)
    assert app.extensions["wxauth.wechat"].tokens.fetches == 2  # the first GET's and the refresh


def test_the_access_token_needs_its_scope(client, introspector):
    assert_error(client.get("/api/internal/wechat/access-token", headers=introspector), 403, "insufficient_scope")
