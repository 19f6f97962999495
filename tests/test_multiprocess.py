"""Several app processes on one database, as in a real deployment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from wxauth.extensions import db
from wxauth.models import ApiSession, LoginEvent, User

pytestmark = pytest.mark.slow


def test_first_login_race_creates_exactly_one_user(spawn_server, sandbox, app):
    server = spawn_server(workers=2, threads=16)
    user = sandbox.user()
    codes = [sandbox.login_code(user["openid"], rotate=False)[0] for _ in range(32)]

    def login(code):
        return requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=30)

    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(login, codes))
    assert [r.status_code for r in responses] == [200] * 32, [r.text for r in responses if r.status_code != 200]
    assert sum(r.json()["isNewUser"] for r in responses) == 1
    assert len({r.json()["user"]["id"] for r in responses}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(ApiSession)) == 32
        assert db.session.scalar(select(func.count()).select_from(LoginEvent).where(LoginEvent.outcome == "success")) == 32


def test_two_processes_share_tokens_and_one_access_token(spawn_server, sandbox, app):
    a = spawn_server()
    b = spawn_server()
    user = sandbox.user(phoneNumber="13611112222")
    code, _ = sandbox.login_code(user["openid"])
    token = requests.post(a.url + "/api/auth/login", json={"code": code}, timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    # A token issued by one instance is honoured by the other...
    assert requests.get(b.url + "/api/me", headers=auth, timeout=10).status_code == 200

    # ...and the access_token is fetched once for both, even under concurrent phone binds.
    phone_codes = [sandbox.phone_code(user["openid"]) for _ in range(16)]

    def bind(i):
        server = a if i % 2 else b
        return requests.post(server.url + "/api/auth/phone", json={"code": phone_codes[i]}, headers=auth, timeout=20)

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(bind, range(16)))
    assert [r.status_code for r in responses] == [200] * 16, [r.text for r in responses]
    assert sandbox.stats()["stable_token"] == 1

    # Logout through one instance revokes the token on the other.
    assert requests.post(b.url + "/api/auth/logout", headers=auth, timeout=10).status_code == 200
    resp = requests.get(a.url + "/api/me", headers=auth, timeout=10)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_token"


def test_invalidated_access_token_is_refreshed_once_across_processes(spawn_server, sandbox):
    a = spawn_server()
    b = spawn_server()
    user = sandbox.user()
    code, _ = sandbox.login_code(user["openid"])
    auth = {
        "Authorization": "Bearer " + requests.post(a.url + "/api/auth/login", json={"code": code}, timeout=10).json()["token"]
    }
    assert (
        requests.post(
            a.url + "/api/auth/phone", json={"code": sandbox.phone_code(user["openid"])}, headers=auth, timeout=10
        ).status_code
        == 200
    )
    assert (
        requests.post(
            b.url + "/api/auth/phone", json={"code": sandbox.phone_code(user["openid"])}, headers=auth, timeout=10
        ).status_code
        == 200
    )
    sandbox.expire_tokens(invalidate=True)  # someone force-refreshed: every cached token is now 40001
    phone_codes = [sandbox.phone_code(user["openid"]) for _ in range(12)]

    def bind(i):
        return requests.post((a if i % 2 else b).url + "/api/auth/phone", json={"code": phone_codes[i]}, headers=auth, timeout=20)

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(bind, range(12)))
    assert [r.status_code for r in responses] == [200] * 12, [r.text for r in responses]
    # One fetch at first, and after the invalidation one normal + one forced fetch by one process.
    assert sandbox.stats()["stable_token"] <= 3
    assert sandbox.stats()["issued:stable"] == 2


@pytest.fixture()
def redis_url(tmp_path):
    """A private redis-server (Debian's package) on a free loopback port."""
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        import os

        if os.environ.get("CI"):
            pytest.fail("redis-server is missing in CI: .ci/run should have installed it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_rate_limit_is_shared_between_processes_through_redis(spawn_server, sandbox, redis_url):
    env = {"WXAUTH_RATELIMIT_STORAGE_URI": redis_url, "WXAUTH_RATELIMIT_LOGIN": "4/minute"}
    a = spawn_server(**env)
    b = spawn_server(**env)
    statuses = []
    for i in range(6):
        code, _ = sandbox.login_code()
        server = a if i % 2 else b
        statuses.append(requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=10).status_code)
    # Each process alone would allow 4; together they allow 4 in all.
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_memory_storage_is_per_process(spawn_server, sandbox):
    env = {"WXAUTH_RATELIMIT_LOGIN": "2/minute"}
    a = spawn_server(**env)
    b = spawn_server(**env)
    statuses = []
    for i in range(4):
        code, _ = sandbox.login_code()
        statuses.append(requests.post((a if i % 2 else b).url + "/api/auth/login", json={"code": code}, timeout=10).status_code)
    assert statuses == [200, 200, 200, 200]  # why several instances need redis
