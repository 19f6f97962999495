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

from procs import APPID, ROOT, SECRET_KEY, app_env
from sqlalchemy import create_engine, func, insert, select, text

sys.path.insert(0, str(ROOT))

from wxauth.factory import create_app  # noqa: E402
from wxauth.models import User  # noqa: E402
from wxauth.services.session_keys import seal_session_key  # noqa: E402

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
    sealed = seal_session_key(SECRET_KEY, STANDIN_SESSION_KEY)
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


def count_rows(database_url: str, table: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        n = conn.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - our own table names
    engine.dispose()
    return n


def count_users(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(User))
    engine.dispose()
    return n


# -- the dashboard's data set ------------------------------------------------------------------

# 1 login attempt in 20 fails (invalid_code), as on a live service.
DAYS = 90  # events spread over the last 90 days


# The same rows on both backends; only these few expressions differ.
_PG = {
    "with": "",
    "from": "FROM generate_series({start}::bigint, {last}::bigint) AS s(n)",
    "ago": "now() - ({seconds}) * interval '1 second'",
    "now": "now()",
    "text": "({expr})::text",
}
_SQLITE = {
    "with": "WITH RECURSIVE s(n) AS (SELECT {start} UNION ALL SELECT n + 1 FROM s WHERE n < {last})",
    "from": "FROM s",
    "ago": "datetime('now', '-' || ({seconds}) || ' seconds')",
    "now": "datetime('now')",
    "text": "CAST({expr} AS TEXT)",
}


def _users_sql(d: dict, start: int, stop: int) -> str:
    ago = lambda seconds: d["ago"].format(seconds=seconds)  # noqa: E731
    return f"""
    {d["with"].format(start=start, last=stop - 1)}
    INSERT INTO users (appid, openid, unionid, nickname, gender, phone_country_code, phone_number,
                       phone_bound_at, created_at, last_login_at, session_key_ciphertext, session_key_issued_at)
    SELECT '{APPID}', 'o-dash-' || n,
           CASE WHEN n % 3 = 0 THEN 'u-dash-' || n END,
           CASE WHEN n % 2 = 0 THEN '用户' || n END,
           n % 3,
           CASE WHEN n % 4 = 0 THEN '86' END,
           CASE WHEN n % 4 = 0 THEN {d["text"].format(expr="13000000000 + n")} END,
           CASE WHEN n % 4 = 0 THEN {ago(f"(n % {DAYS}) * 86400")} END,
           {ago(f"(n * 7919) % ({DAYS} * 86400)")},
           {ago("(n * 104729) % (7 * 86400)")},
           'v1.bench', {d["now"]}
    {d["from"].format(start=start, last=stop - 1)}
    """


def _events_sql(d: dict, start: int, stop: int, users: int, first_user_id: int) -> str:
    return f"""
    {d["with"].format(start=start, last=stop - 1)}
    INSERT INTO login_events (created_at, appid, openid, user_id, outcome, wechat_errcode, upstream_ms,
                              is_new_user, ip, user_agent)
    SELECT {d["ago"].format(seconds=f"(n * 7919) % ({DAYS} * 86400)")},
           '{APPID}', 'o-dash-' || (n % {users}), {first_user_id} + (n % {users}),
           CASE WHEN n % 20 = 0 THEN 'invalid_code' ELSE 'success' END,
           CASE WHEN n % 20 = 0 THEN 40029 END,
           20 + n % 180,
           n < {users},
           '10.' || (n % 250) || '.' || (n / 250 % 250) || '.1',
           'Mozilla/5.0 MicroMessenger/8.0.' || (n % 50)
    {d["from"].format(start=start, last=stop - 1)}
    """


FAILURE_KINDS_REASONS = [
    ("phone_encrypted", "bad_padding"),
    ("phone_encrypted", "not_json"),
    ("userinfo_encrypted", "watermark_expired"),
    ("phone_code", "wechat_errcode"),
    ("signature", "signature_mismatch"),
    ("phone_encrypted", "no_session_key"),
]


def _failures_sql(d: dict, start: int, stop: int, users: int, first_user_id: int) -> str:
    kinds = " ".join(f"WHEN {i} THEN '{k}'" for i, (k, _) in enumerate(FAILURE_KINDS_REASONS))
    reasons = " ".join(f"WHEN {i} THEN '{r}'" for i, (_, r) in enumerate(FAILURE_KINDS_REASONS))
    n_kinds = len(FAILURE_KINDS_REASONS)
    return f"""
    {d["with"].format(start=start, last=stop - 1)}
    INSERT INTO failures (created_at, appid, user_id, kind, reason, wechat_errcode, session_key_age_s, ip, user_agent)
    SELECT {d["ago"].format(seconds=f"(n * 7919) % ({DAYS} * 86400)")},
           '{APPID}', {first_user_id} + (n * 37 % {users}),
           CASE n % {n_kinds} {kinds} END, CASE n % {n_kinds} {reasons} END,
           CASE WHEN n % {n_kinds} = 3 THEN 40029 END,
           n % 7200, '10.' || (n % 250) || '.' || (n / 250 % 250) || '.2', 'Mozilla/5.0 MicroMessenger/8.0.1'
    {d["from"].format(start=start, last=stop - 1)}
    """


def _binds_sql(d: dict, start: int, stop: int, users: int, first_user_id: int) -> str:
    return f"""
    {d["with"].format(start=start, last=stop - 1)}
    INSERT INTO phone_binds (created_at, appid, user_id, method, ip, user_agent)
    SELECT {d["ago"].format(seconds=f"(n * 7919) % ({DAYS} * 86400)")},
           '{APPID}', {first_user_id} + (n * 4 % {users}),
           CASE WHEN n % 5 = 0 THEN 'encrypted' ELSE 'code' END,
           '10.' || (n % 250) || '.' || (n / 250 % 250) || '.3', 'Mozilla/5.0 MicroMessenger/8.0.1'
    {d["from"].format(start=start, last=stop - 1)}
    """


def seed_dashboard(database_url: str, users: int, events: int, chunk: int = 1_000_000, log=print) -> float:
    """Add `users` users and `events` login events (and, beside them, a failure for every 20
    events and a phone bind for every 4 users); return the seconds it took."""
    engine = create_engine(database_url)
    postgres = engine.dialect.name == "postgresql"
    started = time.monotonic()
    with engine.connect() as conn:
        if not postgres:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")  # a bulk load: redo it if it crashes
        first_user_id = (conn.scalar(text("SELECT coalesce(max(id), 0) FROM users")) or 0) + 1
        d = _PG if postgres else _SQLITE
        for label, total, make in (
            ("users", users, lambda a, b: _users_sql(d, a, b)),
            ("login events", events, lambda a, b: _events_sql(d, a, b, users, first_user_id)),
            ("failures", events // 20, lambda a, b: _failures_sql(d, a, b, users, first_user_id)),
            ("phone binds", users // 4, lambda a, b: _binds_sql(d, a, b, users, first_user_id)),
        ):
            for start in range(0, total, chunk):
                stop = min(start + chunk, total)
                conn.execute(text(make(start, stop)))
                conn.commit()
                log(f"  seeded {stop:>11,} / {total:,} {label}  ({time.monotonic() - started:6.1f} s)")
    # What autovacuum would have done by the time a dashboard looks at this much data: the
    # planner's statistics, and the visibility map that index-only scans depend on.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
    engine.dispose()
    return time.monotonic() - started


# -- the reference peer (bench/peer/app.py) ------------------------------------------------------


def seed_peer(database_url: str, returning: int) -> None:
    """The peer's tables, with the same returning users as seed_pool gives wxauth."""
    from sqlalchemy import text

    engine = create_engine(database_url)
    now = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS peer_login_logs"))
        conn.execute(text("DROP TABLE IF EXISTS peer_users"))
        pk = "INTEGER PRIMARY KEY" if engine.dialect.name == "sqlite" else "SERIAL PRIMARY KEY"
        conn.execute(
            text(
                f"CREATE TABLE peer_users (id {pk}, openid VARCHAR(64) NOT NULL UNIQUE, session_key VARCHAR(64), "
                "created_at TIMESTAMP NOT NULL, last_login_at TIMESTAMP NOT NULL)"
            )
        )
        conn.execute(
            text(
                f"CREATE TABLE peer_login_logs (id {pk}, user_id INTEGER NOT NULL REFERENCES peer_users (id), "
                "created_at TIMESTAMP NOT NULL, ip VARCHAR(64))"
            )
        )
        rows = [{"openid": f"o-bench-{n}", "now": now} for n in range(returning)]
        stmt = text("INSERT INTO peer_users (openid, session_key, created_at, last_login_at) VALUES (:openid, 'k', :now, :now)")
        for start in range(0, len(rows), 5000):
            conn.execute(stmt, rows[start : start + 5000])
    engine.dispose()
