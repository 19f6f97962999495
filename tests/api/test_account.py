"""The person's own data: GET /api/me/export and DELETE /api/me."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest
import requests
from sqlalchemy import func, select

from tests.support import assert_error
from wxauth.extensions import db, limiter
from wxauth.factory import ROOT
from wxauth.models import AccountDeletion, ApiSession, Failure, LoginEvent, Operator, PhoneBind, PhoneReveal, User, utcnow


def _user_id(app, openid: str) -> int | None:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.openid == openid))


@pytest.fixture()
def person(api, sandbox, app):
    """A user with two sessions, a bound phone, a failure and an operator's phone reveal."""
    first = api.login(phoneNumber="13655556666", userInfo={"nickName": "导出我"})
    second = api.login(first.openid)
    assert api.post("/api/auth/phone", second, json={"code": sandbox.phone_code(first.openid)}).status_code == 200
    api.post("/api/auth/phone", second, json={"encryptedData": "AAAA", "iv": "AAAA"})  # a failure
    with app.app_context():
        operator = Operator(username="support", password_hash="x", created_at=utcnow())
        db.session.add(operator)
        db.session.flush()
        db.session.add(PhoneReveal(created_at=utcnow(), operator_id=operator.id, user_id=first.user["id"]))
        db.session.commit()
    return first, second


def test_export_holds_everything_about_the_person_and_no_secret(api, app, person):
    first, second = person
    resp = api.get("/api/me/export", second)
    assert resp.status_code == 200
    doc = resp.get_json()
    assert set(doc) == {"exportedAt", "user", "sessions", "logins", "failures", "phoneBinds", "phoneReveals"}
    assert doc["user"]["openid"] == first.openid and doc["user"]["phoneNumber"] == "13655556666"
    assert doc["user"]["nickName"] == "导出我" and doc["user"]["phoneBoundAt"] and doc["user"]["lastLoginAt"]
    assert len(doc["sessions"]) == 2 and all(s["ip"] == "127.0.0.1" for s in doc["sessions"])
    assert [e["outcome"] for e in doc["logins"]] == ["success", "success"]
    assert [f["reason"] for f in doc["failures"]] == ["bad_iv_length"]
    assert [b["method"] for b in doc["phoneBinds"]] == ["code"]
    assert len(doc["phoneReveals"]) == 1 and set(doc["phoneReveals"][0]) == {"createdAt"}  # not which operator
    text = json.dumps(doc)
    with app.app_context():
        sealed = db.session.scalar(select(User.session_key_ciphertext))
        session_ids = db.session.scalars(select(ApiSession.id)).all()
    for secret in [sealed, first.token, second.token, *session_ids]:
        assert secret not in text
    assert "session_key" not in text and "sessionKey" not in text and "token" not in text.lower()


def test_export_and_delete_need_a_live_token(client, api):
    assert_error(client.get("/api/me/export"), 401, "invalid_token")
    assert_error(client.delete("/api/me"), 401, "invalid_token")
    s = api.login()
    assert client.post("/api/auth/logout", headers=s.headers).status_code == 200
    assert_error(client.get("/api/me/export", headers=s.headers), 401, "invalid_token")
    assert_error(client.delete("/api/me", headers=s.headers), 401, "invalid_token")


def test_export_is_rate_limited_per_user(api, app, override_settings):
    override_settings(ratelimit_export="2/hour")
    with app.app_context():
        limiter.reset()
    s, other = api.login(), api.login()
    assert [api.get("/api/me/export", s).status_code for _ in range(3)] == [200, 200, 429]
    assert api.get("/api/me/export", other).status_code == 200  # per user, not per address


def test_delete_erases_the_person_and_keeps_only_anonymous_counts(api, app, sandbox, client, person):
    first, second = person
    user_id = first.user["id"]
    with app.app_context():
        counts = {m: db.session.scalar(select(func.count()).select_from(m)) for m in (LoginEvent, Failure, PhoneBind)}
    resp = client.delete("/api/me", headers=second.headers)
    assert resp.status_code == 200 and resp.get_json() == {"deleted": True}

    for session in (first, second):  # every session dies at once
        assert_error(api.get("/api/me", session), 401, "invalid_token")
    with app.app_context():
        assert db.session.get(User, user_id) is None
        assert db.session.scalar(select(func.count()).select_from(ApiSession)) == 0
        assert {m: db.session.scalar(select(func.count()).select_from(m)) for m in counts} == counts
        for model in (LoginEvent, Failure, PhoneBind):
            rows = db.session.scalars(select(model)).all()
            assert all(r.ip is None and r.user_agent is None and r.user_id is None for r in rows), model
        assert db.session.scalar(select(func.count()).select_from(LoginEvent).where(LoginEvent.openid.is_not(None))) == 0
        deletion = db.session.scalar(select(AccountDeletion))
        assert (deletion.user_id, deletion.requested_by, deletion.operator_id) == (user_id, "user", None)
        assert deletion.appid == first.user["appid"]

    # The same WeChat user logging in later is a new user.
    again = api.login(first.openid)
    assert again.body["isNewUser"] is True and again.user["id"] != user_id
    assert again.user["phoneNumber"] is None and again.user["nickName"] is None


def test_deleting_twice_is_a_dead_token_the_second_time(api, client):
    s = api.login()
    assert client.delete("/api/me", headers=s.headers).status_code == 200
    assert_error(client.delete("/api/me", headers=s.headers), 401, "invalid_token")


@pytest.mark.slow
def test_a_deletion_racing_logins_leaves_a_deleted_user_or_a_new_one(live_url, sandbox, app):
    """Deletions and logins of one openid at once, through the live server: never a half user."""
    openid = sandbox.user()["openid"]
    for _ in range(8):
        code, _ = sandbox.login_code(openid)
        token = requests.post(f"{live_url}/api/auth/login", json={"code": code}, timeout=10).json()["token"]
        codes = [sandbox.login_code(openid)[0] for _ in range(3)]
        answers: list[int] = []

        def call(method, answers=answers, **kw):
            answers.append(requests.request(method, **kw, timeout=10).status_code)

        threads = [
            threading.Thread(
                target=call,
                args=("DELETE",),
                kwargs={"url": f"{live_url}/api/me", "headers": {"Authorization": f"Bearer {token}"}},
            )
        ]
        threads += [
            threading.Thread(target=call, args=("POST",), kwargs={"url": f"{live_url}/api/auth/login", "json": {"code": c}})
            for c in codes
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(answers) == [200, 200, 200, 200], answers
        with app.app_context():
            users = db.session.scalars(select(User).where(User.openid == openid)).all()
            assert len(users) <= 1
            for user in users:  # whoever is left is whole
                assert user.session_key_ciphertext and user.created_at and user.last_login_at
            orphans = db.session.scalar(
                select(func.count()).select_from(LoginEvent).where(LoginEvent.user_id.is_(None), LoginEvent.openid == openid)
            )
            assert orphans == 0  # a success event either names a live user or was anonymised
            sessions = db.session.scalars(select(ApiSession.user_id)).all()
            assert all(db.session.get(User, uid) is not None for uid in sessions)


DELETE_AND_DIE = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, sys.argv[1])
    from wxauth.factory import create_app
    from wxauth.extensions import db
    from wxauth.services import account
    app = create_app(environ=dict(os.environ))
    with app.app_context():
        real_commit = db.session.commit
        def die(when):
            def commit():
                if when == "before":
                    os.kill(os.getpid(), signal.SIGKILL)
                real_commit()
                os.kill(os.getpid(), signal.SIGKILL)
            return commit
        db.session.commit = die(sys.argv[3])
        account.delete_account(int(sys.argv[2]))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_deletion_killed_by_kill_9_is_all_or_nothing(api, app, app_env, person, when):
    first, _ = person
    user_id = first.user["id"]
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(LoginEvent).where(LoginEvent.openid.is_not(None)))
    env = {**os.environ, **app_env, "WXAUTH_LOG_LEVEL": "ERROR"}
    proc = subprocess.run(
        [sys.executable, "-c", DELETE_AND_DIE, str(ROOT), str(user_id), when], env=env, capture_output=True, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    with app.app_context():
        db.session.expire_all()
        user = db.session.get(User, user_id)
        named = db.session.scalar(select(func.count()).select_from(LoginEvent).where(LoginEvent.openid.is_not(None)))
        deletions = db.session.scalar(select(func.count()).select_from(AccountDeletion))
        live = db.session.scalar(select(func.count()).select_from(ApiSession).where(ApiSession.user_id == user_id))
    if when == "before":  # killed with every statement run but not committed: nothing happened
        assert (user is not None, named, deletions, live) == (True, before, 0, 2)
    else:  # killed right after the commit: all of it happened
        assert (user, named, deletions, live) == (None, 0, 1, 0)
