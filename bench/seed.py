"""Schemas and data for the benchmark: migrations, the login pool, the dashboard's millions.

The login pool is `bench-<n>` codes for n < pool; the first `returning` openids already
exist as users (as after a launch), the rest are created by the load itself.

The dashboard data set (1 M users, 10 M login events by default) is made with set-based
INSERT … SELECT over generate_series (PostgreSQL) or a recursive CTE (SQLite), in chunks
with progress, then ANALYZE: seconds per million rows, not hours of ORM inserts.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, func, insert, select, text

from procs import ROOT, SECRET_KEY, APPID, app_env

sys.path.insert(0, str(ROOT))

from wxauth.factory import create_app  # noqa: E402
from wxauth.models import User  # noqa: E402
from wxauth.security import seal  # noqa: E402
from wxauth.services.login import SESSION_KEY_PURPOSE  # noqa: E402

STANDIN_SESSION_KEY = "YmVuY2gtc2Vzc2lvbi1rIQ=="


def migrate(database_url: str) -> None:
    from flask_migrate import upgrade

    app = create_app(environ=app_env(database_url, "http://127.0.0.1:9"))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from wxauth.extensions import db

        db.engine.dispose()


def seed_pool(database_url: str, returning: int) -> None:
    """Users o-bench-0 … o-bench-<returning-1>, as if each had logged in once before."""
    engine = create_engine(database_url)
    now = datetime.now(timezone.utc) - timedelta(days=1)
    sealed = seal(SECRET_KEY, SESSION_KEY_PURPOSE, STANDIN_SESSION_KEY)
    rows = [
        {
            "appid": APPID,
            "openid": f"o-bench-{n}",
            "gender": 0,
            "created_at": now,
            "last_login_at": now,
            "session_key_ciphertext": sealed,
            "session_key_issued_at": now,
        }
        for n in range(returning)
    ]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(User), rows[start : start + 5000])
    engine.dispose()


def count_users(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(User))
    engine.dispose()
    return n


# -- the dashboard's data set ------------------------------------------------------------------

# Outcomes in roughly the proportions a live service sees; 1 in 20 attempts fails.
OUTCOMES = ["success"] * 19 + ["invalid_code"]
DAYS = 90  # events spread over the last 90 days


def _pg_users(start: int, stop: int) -> str:
    return f"""
    INSERT INTO users (appid, openid, unionid, nickname, gender, phone_country_code, phone_number,
                       phone_bound_at, created_at, last_login_at, session_key_ciphertext, session_key_issued_at)
    SELECT '{APPID}', 'o-dash-' || n,
           CASE WHEN n % 3 = 0 THEN 'u-dash-' || n END,
           CASE WHEN n % 2 = 0 THEN '用户' || n END,
           n % 3,
           CASE WHEN n % 4 = 0 THEN '86' END,
           CASE WHEN n % 4 = 0 THEN (13000000000 + n)::text END,
           CASE WHEN n % 4 = 0 THEN now() - (n % {DAYS}) * interval '1 day' END,
           now() - ((n * 7919) % ({DAYS} * 86400)) * interval '1 second',
           now() - ((n * 104729) % (7 * 86400)) * interval '1 second',
           'v1.bench', now()
    FROM generate_series({start}::bigint, {stop - 1}::bigint) AS n
    """


def _pg_events(start: int, stop: int, users: int, first_user_id: int) -> str:
    return f"""
    INSERT INTO login_events (created_at, appid, openid, user_id, outcome, wechat_errcode, upstream_ms,
                              is_new_user, ip, user_agent)
    SELECT now() - ((n * 7919) % ({DAYS} * 86400)) * interval '1 second',
           '{APPID}', 'o-dash-' || (n % {users}), {first_user_id} + (n % {users}),
           CASE WHEN n % 20 = 0 THEN 'invalid_code' ELSE 'success' END,
           CASE WHEN n % 20 = 0 THEN 40029 END,
           20 + n % 180,
           n < {users},
           '10.' || (n % 250) || '.' || (n / 250 % 250) || '.1',
           'Mozilla/5.0 MicroMessenger/8.0.' || (n % 50)
    FROM generate_series({start}::bigint, {stop - 1}::bigint) AS n
    """


def _sqlite_series(start: int, stop: int) -> str:
    return f"WITH RECURSIVE s(n) AS (SELECT {start} UNION ALL SELECT n + 1 FROM s WHERE n < {stop - 1})"


def _sqlite_users(start: int, stop: int) -> str:
    return f"""
    {_sqlite_series(start, stop)}
    INSERT INTO users (appid, openid, unionid, nickname, gender, phone_country_code, phone_number,
                       phone_bound_at, created_at, last_login_at, session_key_ciphertext, session_key_issued_at)
    SELECT '{APPID}', 'o-dash-' || n,
           CASE WHEN n % 3 = 0 THEN 'u-dash-' || n END,
           CASE WHEN n % 2 = 0 THEN '用户' || n END,
           n % 3,
           CASE WHEN n % 4 = 0 THEN '86' END,
           CASE WHEN n % 4 = 0 THEN CAST(13000000000 + n AS TEXT) END,
           CASE WHEN n % 4 = 0 THEN datetime('now', '-' || (n % {DAYS}) || ' days') END,
           datetime('now', '-' || ((n * 7919) % ({DAYS} * 86400)) || ' seconds'),
           datetime('now', '-' || ((n * 104729) % (7 * 86400)) || ' seconds'),
           'v1.bench', datetime('now')
    FROM s
    """


def _sqlite_events(start: int, stop: int, users: int, first_user_id: int) -> str:
    return f"""
    {_sqlite_series(start, stop)}
    INSERT INTO login_events (created_at, appid, openid, user_id, outcome, wechat_errcode, upstream_ms,
                              is_new_user, ip, user_agent)
    SELECT datetime('now', '-' || ((n * 7919) % ({DAYS} * 86400)) || ' seconds'),
           '{APPID}', 'o-dash-' || (n % {users}), {first_user_id} + (n % {users}),
           CASE WHEN n % 20 = 0 THEN 'invalid_code' ELSE 'success' END,
           CASE WHEN n % 20 = 0 THEN 40029 END,
           20 + n % 180,
           n < {users},
           '10.' || (n % 250) || '.' || (n / 250 % 250) || '.1',
           'Mozilla/5.0 MicroMessenger/8.0.' || (n % 50)
    FROM s
    """


def seed_dashboard(database_url: str, users: int, events: int, chunk: int = 1_000_000, log=print) -> float:
    """Add `users` users and `events` login events; return the seconds it took."""
    engine = create_engine(database_url)
    postgres = engine.dialect.name == "postgresql"
    started = time.monotonic()
    with engine.connect() as conn:
        if not postgres:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")  # a bulk load: redo it if it crashes
        first_user_id = (conn.scalar(text("SELECT coalesce(max(id), 0) FROM users")) or 0) + 1
        for label, total, make in (
            ("users", users, lambda a, b: (_pg_users if postgres else _sqlite_users)(a, b)),
            ("login events", events, lambda a, b: (_pg_events if postgres else _sqlite_events)(a, b, users, first_user_id)),
        ):
            for start in range(0, total, chunk):
                stop = min(start + chunk, total)
                conn.execute(text(make(start, stop)))
                conn.commit()
                log(f"  seeded {stop:>11,} / {total:,} {label}  ({time.monotonic() - started:6.1f} s)")
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return time.monotonic() - started
