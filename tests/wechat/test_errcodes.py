"""Every WeChat errcode in the reference, and every broken answer, injected through the
sandbox: each gives its documented error within the time bound and is recorded."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.support import assert_error
from wxauth.extensions import db
from wxauth.models import Failure, LoginEvent

BOUND = 10.0  # a whole WeChat call, retries included

# code2Session (reference §1, plus the undocumented ones seen in the wild). Faults are
# injected twice so a retried -1 fails too.
LOGIN = [
    (-1, 503, "wechat_unavailable"),
    (40029, 401, "invalid_code"),
    (40163, 401, "invalid_code"),
    (41008, 401, "invalid_code"),
    (40226, 403, "user_blocked"),
    (45011, 429, "rate_limited"),
    (40125, 500, "wechat_misconfigured"),
    (40013, 500, "wechat_misconfigured"),
    (41002, 500, "wechat_misconfigured"),
    (41004, 500, "wechat_misconfigured"),
    (40164, 500, "wechat_misconfigured"),
    (48001, 500, "wechat_misconfigured"),
    (12345, 502, "wechat_error"),
]

# getuserphonenumber (§3) and the token errors of §2c when they persist after the one refresh.
PHONE = [
    (-1, 503, "wechat_unavailable"),
    (40029, 400, "invalid_phone_code"),
    (40013, 400, "invalid_phone_code"),
    (45011, 429, "rate_limited"),
    (45009, 500, "wechat_misconfigured"),
    (48001, 500, "wechat_misconfigured"),
    (40001, 503, "wechat_unavailable"),
    (40014, 503, "wechat_unavailable"),
    (42001, 503, "wechat_unavailable"),
    (41001, 502, "wechat_error"),
]

# stable_token (§2b) failing while a phone bind needs a token.
TOKEN = [
    (-1, 503, "wechat_unavailable"),
    (40002, 500, "wechat_misconfigured"),
    (40013, 500, "wechat_misconfigured"),
    (40125, 500, "wechat_misconfigured"),
    (40164, 500, "wechat_misconfigured"),
    (40243, 500, "wechat_misconfigured"),
    (41002, 500, "wechat_misconfigured"),
    (41004, 500, "wechat_misconfigured"),
    (45009, 500, "wechat_misconfigured"),
    (45011, 429, "rate_limited"),
    (50004, 500, "wechat_misconfigured"),
    (50007, 500, "wechat_misconfigured"),
    (89503, 500, "wechat_misconfigured"),
    (89506, 500, "wechat_misconfigured"),
    (89507, 500, "wechat_misconfigured"),
]

BROKEN = [
    ({"body": "html"}, 502),
    ({"body": "empty"}, 502),
    ({"body": "garbage"}, 502),
    ({"body": "reset"}, 503),
    ({"status": 500, "count": 2}, 503),
    ({"status": 404}, 502),
]


def _timed(call, bound: float = BOUND):
    started = time.monotonic()
    resp = call()
    elapsed = time.monotonic() - started
    assert elapsed < bound, elapsed
    return resp


@pytest.mark.parametrize(("errcode", "status", "error"), LOGIN)
def test_login_errcode(client, sandbox, app, errcode, status, error):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", errcode=errcode, count=2)
    resp = _timed(lambda: client.post("/api/auth/login", json={"code": code}))
    assert_error(resp, status, error)
    if status == 429:
        assert int(resp.headers["Retry-After"]) > 0
    with app.app_context():
        event = db.session.scalar(select(LoginEvent))
    assert (event.outcome, event.wechat_errcode) == (error, errcode)


@pytest.mark.parametrize(("errcode", "status", "error"), PHONE)
def test_phone_errcode(api, sandbox, app, errcode, status, error):
    s = api.login()
    code = sandbox.phone_code(s.openid)
    sandbox.fault("getuserphonenumber", errcode=errcode, count=2)
    assert_error(_timed(lambda: api.post("/api/auth/phone", s, json={"code": code})), status, error)
    with app.app_context():
        failure = db.session.scalar(select(Failure))
    assert (failure.kind, failure.reason, failure.wechat_errcode) == ("phone_code", "wechat_errcode", errcode)


@pytest.mark.parametrize(("errcode", "status", "error"), TOKEN)
def test_access_token_errcode(api, sandbox, app, errcode, status, error):
    s = api.login()
    code = sandbox.phone_code(s.openid)
    sandbox.fault("stable_token", errcode=errcode, count=2)
    assert_error(_timed(lambda: api.post("/api/auth/phone", s, json={"code": code})), status, error)
    with app.app_context():
        failure = db.session.scalar(select(Failure))
    assert (failure.kind, failure.wechat_errcode) == ("phone_code", errcode)
    # The phone code was never sent to WeChat, so it still works once the token is back.
    api.client.delete("/_sandbox/api/faults")
    assert api.post("/api/auth/phone", s, json={"code": code}).status_code == 200


@pytest.mark.parametrize(("fault", "status"), BROKEN)
def test_broken_login_answers(client, sandbox, app, fault, status):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", **fault)
    # No delay was injected: a broken answer must not cost a timeout.
    assert_error(_timed(lambda: client.post("/api/auth/login", json={"code": code}), 3.0), status, "wechat_unavailable")
    with app.app_context():
        event = db.session.scalar(select(LoginEvent))
    assert event.outcome == "wechat_unavailable"


@pytest.mark.parametrize(("fault", "status"), BROKEN)
def test_broken_phone_answers(api, sandbox, app, fault, status):
    s = api.login()
    code = sandbox.phone_code(s.openid)
    sandbox.fault("getuserphonenumber", **fault)
    assert_error(_timed(lambda: api.post("/api/auth/phone", s, json={"code": code}), 3.0), status, "wechat_unavailable")
    with app.app_context():
        failure = db.session.scalar(select(Failure))
    assert (failure.kind, failure.reason) == ("phone_code", "wechat_unavailable")


def test_slow_wechat_within_the_bound_still_succeeds(client, sandbox):
    code, _ = sandbox.login_code()
    sandbox.fault("jscode2session", delay=1.0)
    assert _timed(lambda: client.post("/api/auth/login", json={"code": code})).status_code == 200
