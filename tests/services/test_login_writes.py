"""The login's rows: both renderers write the same rows from one LoginRows.

On PostgreSQL a login is written by one statement; the plain statements are its fallback
and SQLite's path. Here both run on purpose on the same database, from the same prior
state, and every row they leave behind is compared.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from wxauth.extensions import db
from wxauth.models import ApiSession, LoginEvent, User, utcnow
from wxauth.services import login_writes
from wxauth.services.login_writes import LoginRows


def _rows(now, *, openid="o-parity", unionid=None, **profile) -> LoginRows:
    return LoginRows(
        appid="wx-parity",
        openid=openid,
        unionid=unionid,
        now=now,
        changes={"last_login_at": now, "session_key_ciphertext": "v1.sealed", "session_key_issued_at": now, **profile},
        session={
            "id": "session-parity",
            "created_at": now,
            "expires_at": now + timedelta(days=7),
            "last_seen_at": now,
            "ip": "203.0.113.9",
            "user_agent": "parity/1",
        },
        event={
            "created_at": now,
            "appid": "wx-parity",
            "openid": openid,
            "outcome": "success",
            "wechat_errcode": None,
            "upstream_ms": 12,
            "ip": "203.0.113.9",
            "user_agent": "parity/1",
            "request_id": "req-parity",
        },
    )


def _existing_user(now, **columns) -> None:
    values = {
        "appid": "wx-parity",
        "openid": "o-parity",
        "gender": 2,
        "created_at": now - timedelta(days=3),
        "last_login_at": now - timedelta(days=1),
        "nickname": "before",
        **columns,
    }
    db.session.add(User(**values))
    db.session.commit()


def _everything() -> dict:
    def rows(model, skip=()):
        table = model.__table__
        result = db.session.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
        return [{k: v for k, v in r.items() if k not in skip} for r in result]

    snapshot = {"users": rows(User), "sessions": rows(ApiSession), "events": rows(LoginEvent, skip=("id",))}
    db.session.commit()
    return snapshot


def _reset() -> None:
    db.session.execute(text("TRUNCATE users, api_sessions, login_events RESTART IDENTITY CASCADE"))
    db.session.commit()


SCENARIOS = {
    "a first login": ({}, {"nickname": "新用户", "gender": 1}, "oUnion-new"),
    "a returning user with a new profile": ({}, {"nickname": "after", "avatar_url": "https://example.com/a.png"}, None),
    "a returning user learns a unionid": ({}, {}, "oUnion-learnt"),
    "a known unionid is kept": ({"unionid": "oUnion-kept"}, {}, "oUnion-other"),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_statement_and_plain_statements_write_the_same_rows(app, scenario):
    prior, profile, unionid = SCENARIOS[scenario]
    now = utcnow()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite has the plain statements alone")
        written = {}
        for name, renderer in (("one statement", login_writes.write), ("plain", login_writes.write_plain)):
            _reset()
            if scenario != "a first login":
                _existing_user(now, **prior)
            user = renderer(_rows(now, unionid=unionid, **profile))
            written[name] = (user, _everything())
        (one_user, one), (plain_user, plain) = written["one statement"], written["plain"]
    assert one == plain
    assert (one_user.id, one_user.unionid, one_user.created_at) == (plain_user.id, plain_user.unionid, plain_user.created_at)
    event = one["events"][0]
    assert event["is_new_user"] is (scenario == "a first login")
    assert event["created_at"] == now and event["user_id"] == one_user.id
    assert one["sessions"][0]["user_id"] == one_user.id
    expected_unionid = prior.get("unionid") or unionid
    assert one["users"][0]["unionid"] == expected_unionid
    assert one["users"][0]["session_key_ciphertext"] == "v1.sealed"


def test_the_one_statement_is_served_from_the_statement_cache(app):
    """Rendered once per set of columns; SQLAlchemy would compile ON CONFLICT on every login."""
    rows = _rows(utcnow(), nickname="x")
    statement = login_writes._statement(tuple(rows.changes), tuple(rows.session), tuple(rows.event))
    assert statement._generate_cache_key() is not None
    assert login_writes._statement(tuple(rows.changes), tuple(rows.session), tuple(rows.event)) is statement


def test_a_returning_login_is_short_enough_for_psycopg_to_keep_it_parsed(app, client, sandbox, monkeypatch):
    """psycopg parses a statement's placeholders on every execution unless it is at most
    MAX_CACHED_STATEMENT_LENGTH bytes with at most MAX_CACHED_STATEMENT_PARAMS parameters;
    a returning user's login statement must stay within both."""
    from psycopg import _queries

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: the one statement")
    code, openid = sandbox.login_code()
    assert client.post("/api/auth/login", json={"code": code}).status_code == 200
    converted = []
    real_convert = _queries.PostgresQuery.convert

    def convert(self, query, vars):
        if vars is not None and b"api_sessions" in (query if isinstance(query, bytes) else str(query).encode()):
            converted.append((len(self._ensure_bytes(query)), len(vars)))
        return real_convert(self, query, vars)

    monkeypatch.setattr(_queries.PostgresQuery, "convert", convert)
    code, _ = sandbox.login_code(openid)
    assert client.post("/api/auth/login", json={"code": code}).status_code == 200
    ((length, params),) = converted
    assert length <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert params <= _queries.MAX_CACHED_STATEMENT_PARAMS
