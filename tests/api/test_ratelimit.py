"""Rate limits on login and phone: per IP, and per user for the (paid) phone API."""

from __future__ import annotations

import pytest

from tests.support import assert_error
from wxauth.extensions import limiter


@pytest.fixture()
def limits(app, override_settings):
    """Turn rate limiting on, with small limits, for one test."""
    override_settings(ratelimit_login="3/minute", ratelimit_phone="100/minute", ratelimit_phone_user="2/minute")
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


def test_login_is_limited_per_ip_with_retry_after(client, sandbox, limits):
    for _ in range(3):
        code, _ = sandbox.login_code()
        assert client.post("/api/auth/login", json={"code": code}).status_code == 200
    code, _ = sandbox.login_code()
    resp = client.post("/api/auth/login", json={"code": code})
    assert_error(resp, 429, "rate_limited")
    assert int(resp.headers["Retry-After"]) > 0
    # Another client IP is not affected.
    resp = client.post("/api/auth/login", json={"code": code}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert resp.status_code == 200


def test_limited_login_does_not_consume_the_code(client, sandbox, limits):
    for _ in range(3):
        client.post("/api/auth/login", json={"code": "x" * 32})
    code, _ = sandbox.login_code()
    assert client.post("/api/auth/login", json={"code": code}).status_code == 429
    assert client.post("/api/auth/login", json={"code": code}, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200


def test_phone_is_limited_per_user(api, sandbox, limits, app, override_settings):
    override_settings(ratelimit_login="100/minute")
    a = api.login()
    b = api.login()
    for _ in range(2):
        assert api.post("/api/auth/phone", a, json={"code": sandbox.phone_code(a.openid)}).status_code == 200
    assert_error(api.post("/api/auth/phone", a, json={"code": sandbox.phone_code(a.openid)}), 429, "rate_limited")
    # A second device of the same user shares the user's budget...
    a2 = api.login(a.openid)
    assert_error(api.post("/api/auth/phone", a2, json={"code": sandbox.phone_code(a.openid)}), 429, "rate_limited")
    # ...while another user from the same IP still gets through.
    assert api.post("/api/auth/phone", b, json={"code": sandbox.phone_code(b.openid)}).status_code == 200


def test_memory_storage_counts_without_a_thread_per_hit(app, monkeypatch):
    """limits' MemoryStorage starts a Timer thread on most hits; ours sweeps from one thread."""
    import threading
    import time

    from wxauth.ratelimit import SweptMemoryStorage

    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self.name), real_start(self))[1])
    storage = SweptMemoryStorage()
    started.clear()
    for _ in range(50):
        storage.incr("k", expiry=1)
        time.sleep(0.012)  # longer than MemoryStorage's 10 ms timer: it would start a new one each time
    assert storage.get("k") == 50
    assert started == ["ratelimit-sweeper"]
    with app.app_context():
        assert isinstance(limiter.storage, SweptMemoryStorage)  # what memory:// gives the app


def test_a_limited_answer_says_its_limit_and_an_unlimited_one_says_nothing(client, sandbox, limits):
    """The extension's after-request hook runs only where a view checked a limit."""
    remaining = []
    for _ in range(2):
        code, _ = sandbox.login_code()
        resp = client.post("/api/auth/login", json={"code": code})
        assert resp.status_code == 200
        assert resp.headers["X-RateLimit-Limit"] == "3"
        remaining.append(int(resp.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1]
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert not [h for h in resp.headers.keys() if h.startswith("X-RateLimit")]


def test_stacked_limits_answer_one_set_of_headers(api, sandbox, limits, override_settings):
    """The phone view checks two limits (per IP, per user): the after-request hook runs once."""
    override_settings(ratelimit_login="100/minute")
    user = api.login()
    resp = api.post("/api/auth/phone", user, json={"code": sandbox.phone_code(user.openid)})
    assert resp.status_code == 200
    assert len(resp.headers.getlist("X-RateLimit-Limit")) == 1
    assert len(resp.headers.getlist("X-RateLimit-Remaining")) == 1
    resp = api.post("/api/auth/phone", user, json={"code": sandbox.phone_code(user.openid)})
    resp = api.post("/api/auth/phone", user, json={"code": sandbox.phone_code(user.openid)})
    assert_error(resp, 429, "rate_limited")
    assert len(resp.headers.getlist("Retry-After")) == 1
