"""Revocation and single-use under real concurrency: threads against a live gunicorn server."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from wxauth.extensions import db
from wxauth.models import ApiSession, User, utcnow
from wxauth.services import user_admin

pytestmark = pytest.mark.slow


def _all_at_once(n: int, fn) -> list:
    """Run fn(i) in n threads released together."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def _login(server, sandbox, openid=None) -> tuple[str, str]:
    code, openid = sandbox.login_code(openid)
    resp = requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["token"], openid


def _live_sessions(app, openid: str) -> int:
    with app.app_context():
        stmt = (
            select(func.count())
            .select_from(ApiSession)
            .join(User)
            .where(User.openid == openid, ApiSession.revoked_at.is_(None), ApiSession.expires_at > utcnow())
        )
        count = db.session.scalar(stmt)
        db.session.remove()
        return count


def _refresh(server, token: str) -> requests.Response:
    return requests.post(server.url + "/api/auth/refresh", headers={"Authorization": f"Bearer {token}"}, timeout=15)


def test_a_token_refreshes_exactly_once_under_a_burst(app, spawn_server, sandbox):
    server = spawn_server(workers=2, threads=16)
    for _ in range(3):
        token, openid = _login(server, sandbox)
        answers = _all_at_once(20, lambda i, token=token: _refresh(server, token))
        ok = [r for r in answers if r.status_code == 200]
        assert len(ok) == 1, [r.status_code for r in answers]
        assert {r.status_code for r in answers} == {200, 401}
        assert _live_sessions(app, openid) == 1
        new = ok[0].json()["token"]
        assert requests.get(server.url + "/api/me", headers={"Authorization": f"Bearer {new}"}, timeout=10).status_code == 200


def test_revoke_all_catches_sessions_made_by_a_refresh_that_raced_it(app, spawn_server, sandbox):
    server = spawn_server(workers=2, threads=16)
    for _ in range(5):
        tokens = []
        token, openid = _login(server, sandbox)
        tokens.append(token)
        for _ in range(5):  # several live sessions, each refreshed while revoke-all runs
            tokens.append(_login(server, sandbox, openid)[0])
        with app.app_context():
            user = db.session.scalar(select(User).where(User.openid == openid))
            db.session.expunge(user)
            db.session.remove()

        def act(i, tokens=tokens, user=user):
            if i == len(tokens):
                with app.app_context():
                    user_admin.revoke_all_sessions(user)
                    db.session.remove()
                return None
            return _refresh(server, tokens[i]).status_code

        _all_at_once(len(tokens) + 1, act)
        assert _live_sessions(app, openid) == 0


def test_one_code_sent_many_times_at_once_opens_one_session(app, spawn_server, sandbox):
    server = spawn_server(workers=1, threads=32)
    code, openid = sandbox.login_code()
    answers = _all_at_once(26, lambda i: requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=15))
    ok = [r for r in answers if r.status_code == 200]
    # Those that arrive while the first is in flight share its answer; a late one finds the
    # code spent (WeChat's 40163), as it would at WeChat.
    assert all(r.status_code == 401 and r.json()["error"] == "invalid_code" for r in answers if r.status_code != 200)
    assert len(ok) >= 2, [r.status_code for r in answers]
    assert len({r.json()["token"] for r in ok}) == 1
    assert _live_sessions(app, openid) == 1
