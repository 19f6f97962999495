"""The WeChat client's retry, timeout and error mapping, through sandbox fault injection."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from tests.support import assert_error
from wxauth.extensions import db
from wxauth.models import LoginEvent


def _login(client, code):
    return client.post("/api/auth/login", json={"code": code})


def test_system_busy_once_is_retried(client, sandbox):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", errcode=-1)
    assert _login(client, code).status_code == 200
    assert sandbox.stats()["jscode2session"] == 2


def test_system_busy_twice_is_unavailable(client, sandbox, app):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", errcode=-1, count=2)
    assert_error(_login(client, code), 503, "wechat_unavailable")
    assert sandbox.stats()["jscode2session"] == 2
    with app.app_context():
        event = db.session.scalar(select(LoginEvent))
    assert (event.outcome, event.wechat_errcode) == ("wechat_unavailable", -1)


def test_5xx_once_is_retried(client, sandbox):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", status=502)
    assert _login(client, code).status_code == 200


def test_5xx_twice_is_unavailable(client, sandbox):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", status=503, count=2)
    assert_error(_login(client, code), 503, "wechat_unavailable")


@pytest.mark.parametrize("body", ["html", "empty", "garbage"])
def test_unreadable_answers_are_upstream_errors_without_retry(client, sandbox, body):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", body=body)
    assert_error(_login(client, code), 502, "wechat_unavailable")
    assert sandbox.stats()["jscode2session"] == 1  # the code may be consumed: never replayed


def test_read_timeout_is_bounded_and_not_retried(client, sandbox, app, monkeypatch):
    monkeypatch.setattr(app.extensions["wxauth.wechat"].client, "total_timeout", 1.0)
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", delay=2.5)
    started = time.monotonic()
    assert_error(_login(client, code), 503, "wechat_unavailable")
    assert time.monotonic() - started < 1.8
    assert sandbox.stats()["jscode2session"] == 1


def test_connection_refused_is_unavailable(client, sandbox, app, monkeypatch):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    monkeypatch.setattr(app.extensions["wxauth.wechat"].client, "base_url", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    assert_error(_login(client, "a" * 32), 503, "wechat_unavailable")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("errcode", "status", "error"),
    [
        (40029, 401, "invalid_code"),
        (40163, 401, "invalid_code"),
        (40226, 403, "user_blocked"),
        (45011, 429, "rate_limited"),
        (40125, 500, "wechat_misconfigured"),
        (40013, 500, "wechat_misconfigured"),
        (40164, 500, "wechat_misconfigured"),
        (41004, 500, "wechat_misconfigured"),
        (99999, 502, "wechat_error"),
    ],
)
def test_login_errcodes_map_to_our_errors(client, sandbox, app, errcode, status, error):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", errcode=errcode)
    body = assert_error(_login(client, code), status, error)
    assert app.extensions["wxauth.settings"].apps.default.secret not in body["message"]
    with app.app_context():
        event = db.session.scalar(select(LoginEvent))
    assert (event.outcome, event.wechat_errcode) == (error, errcode)


def test_misconfiguration_is_logged_for_the_operator_without_the_secret(client, sandbox, app, caplog):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", errcode=40125)
    with caplog.at_level("DEBUG"):
        _login(client, code)
    assert "40125" in caplog.text
    assert app.extensions["wxauth.settings"].apps.default.secret not in caplog.text
    assert code not in caplog.text


@pytest.mark.parametrize(
    ("errcode", "status", "error"),
    [
        (40029, 400, "invalid_phone_code"),
        (40013, 400, "invalid_phone_code"),
        (45011, 429, "rate_limited"),
        (-1, 503, "wechat_unavailable"),
    ],
)
def test_phone_errcodes_map_to_our_errors(api, sandbox, errcode, status, error):
    s = api.login()
    code = sandbox.phone_code(s.openid)
    sandbox.fault("getuserphonenumber", errcode=errcode, count=2)
    assert_error(api.post("/api/auth/phone", s, json={"code": code}), status, error)


def test_token_fetch_failure_is_unavailable(api, sandbox):
    s = api.login()
    sandbox.fault("stable_token", status=500, count=2)
    assert_error(api.post("/api/auth/phone", s, json={"code": sandbox.phone_code(s.openid)}), 503, "wechat_unavailable")


def test_concurrent_requests_with_one_code_share_one_wechat_call(app, sandbox):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", delay=0.5)  # hold the first call open while the others arrive
    results = []

    def attempt():
        results.append(app.test_client().post("/api/auth/login", json={"code": code}))

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200] * 5
    assert len({r.get_json()["user"]["id"] for r in results}) == 1
    assert len({r.get_json()["token"] for r in results}) == 1  # one code, one session
    assert sandbox.stats()["jscode2session"] == 1
