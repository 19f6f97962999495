"""Dashboard timings at a million users: seed, then time every page and filter server-side.

PAGES is the one list to extend: every dashboard page and filter, as a URL. Each is
requested through the app in-process (Flask's test client: the view, its queries and its
template, without the network), REPEAT times after one warm-up, and reported as p50/p95.

AUTHENTICATE signs the test client in as an operator through the real sign-in form (CSRF
token included). The overview's first look on a fresh data set (counting 32 days into the
per-slot table and the scan-bound totals) is timed apart from the steady state.

PROBES are the queries a users/events dashboard is built from, timed on the same data so
that missing indexes show before the pages exist. Each states the index it relies on.
"""

from __future__ import annotations

import statistics
import time

import procs
import seed
from sqlalchemy import text

REPEAT = 20
SIZES = {"postgresql": (1_000_000, 10_000_000), "sqlite": (1_000_000, 5_000_000)}
TARGET_P95_MS = {"postgresql": 200, "sqlite": 400}

# Every dashboard page and filter. {uid} is a user from the middle of the data set, {appid}
# the benchmark's AppID, {day_45}/{day_38} dates 45 and 38 days ago and {deep} a keyset
# cursor 45 days back (a page deep in the list: keyset makes it cost what page 1 costs).
PAGES: list[str] = [
    "/dashboard/",
    "/dashboard/users",
    "/dashboard/users?after={deep}",
    "/dashboard/users?phone=bound",
    "/dashboard/users?phone=unbound",
    "/dashboard/users?app={appid}",
    "/dashboard/users?q=o-dash-424242",  # openid
    "/dashboard/users?q=u-dash-424242",  # unionid
    "/dashboard/users?q=424242",  # user id (and phone numbers ending so)
    "/dashboard/users?q=4244",  # last 4 digits of a phone
    "/dashboard/users?q=13000424244",  # a whole phone number
    "/dashboard/users?q=用户42424",  # part of a nickname, a few matches
    "/dashboard/users?q=no-such-name",  # part of a nickname, no match: the worst case
    "/dashboard/users?q=用户&phone=bound&app={appid}",
    "/dashboard/users/{uid}",
    "/dashboard/logins",
    "/dashboard/logins?after={deep}",
    "/dashboard/logins?outcome=success",
    "/dashboard/logins?outcome=failed",
    "/dashboard/logins?outcome=invalid_code",
    "/dashboard/logins?outcome=code_used",  # an outcome with no rows at all
    "/dashboard/logins?app={appid}",
    "/dashboard/logins?openid=o-dash-424242",
    "/dashboard/logins?from={day_45}&to={day_38}",
    "/dashboard/logins?outcome=failed&from={day_45}&to={day_38}",
    "/dashboard/logins?outcome=invalid_code&app={appid}&from={day_45}&to={day_38}",
    "/dashboard/failures",
    "/dashboard/failures?after={deep}",
    "/dashboard/failures?kind=phone_encrypted",
    "/dashboard/failures?reason=bad_padding",
    "/dashboard/failures?kind=phone_code&reason=bad_padding",  # a combination with no rows
    "/dashboard/failures?user={uid}",
    "/dashboard/failures?from={day_45}&to={day_38}",
    "/dashboard/reveals",
    "/dashboard/settings",
]
OPERATOR = ("bench-operator", "bench-operator-password")


def AUTHENTICATE(app, client) -> bool:  # noqa: N802 - a hook, named to stand out
    """Sign `client` in as an operator through the sign-in form; False if that fails."""
    import re

    from wxauth.services import operators

    username, password = OPERATOR
    with app.app_context():
        if operators.find(username) is None:
            operators.create(username, password)
    page = client.get("/dashboard/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token is None:
        return False
    answer = client.post("/dashboard/login", data={"csrf_token": token[1], "username": username, "password": password})
    return answer.status_code == 302 and client.get("/dashboard/settings").status_code == 200


def page_values(now) -> dict:
    from datetime import timedelta

    from wxauth.dashboard.queries import Cursor

    return {
        "uid": 424242,
        "appid": procs.APPID,
        "day_45": (now - timedelta(days=45)).date().isoformat(),
        "day_38": (now - timedelta(days=38)).date().isoformat(),
        "deep": str(Cursor(now - timedelta(days=45), 2**62)),
    }


# (what it is, SQL, the index it relies on). :uid is a user id from the middle of the data set.
PROBES: list[tuple[str, str, str]] = [
    ("users: count", "SELECT count(*) FROM users", "pk_users (index-only scan)"),
    ("users: newest 50", "SELECT * FROM users ORDER BY created_at DESC LIMIT 50", "ix_users_created_at"),
    ("users: by openid", "SELECT * FROM users WHERE appid = :appid AND openid = :openid", "uq_users_appid_openid"),
    ("users: by phone", "SELECT * FROM users WHERE phone_number = :phone", "ix_users_phone_number"),
    ("users: by unionid", "SELECT * FROM users WHERE unionid = :unionid", "ix_users_unionid"),
    ("events: newest 50", "SELECT * FROM login_events ORDER BY created_at DESC LIMIT 50", "ix_login_events_created_at"),
    (
        "events: one user's newest 50",
        "SELECT * FROM login_events WHERE user_id = :uid ORDER BY created_at DESC LIMIT 50",
        "ix_login_events_user_id",
    ),
    (
        "events: failures newest 50",
        "SELECT * FROM login_events WHERE outcome = 'invalid_code' ORDER BY created_at DESC LIMIT 50",
        "ix_login_events_outcome",
    ),
    (
        "events: last 24 h by outcome",
        "SELECT outcome, count(*) FROM login_events WHERE created_at >= :day_ago GROUP BY outcome",
        "ix_login_events_created_at",
    ),
    (
        "events: logins per day, last 30 days",
        "SELECT CAST(created_at AS DATE), count(*) FROM login_events WHERE created_at >= :month_ago GROUP BY 1",
        "ix_login_events_created_at (3 M rows: the overview sums activity_counts instead)",
    ),
]


def _stats(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95 + 0.5) - 1)]


def time_pages(database_url: str) -> list[tuple[str, str, float, float]]:
    from datetime import datetime, timezone

    from wxauth.factory import create_app

    app = create_app(environ=procs.app_env(database_url, "http://127.0.0.1:9"))
    client = app.test_client()
    if not AUTHENTICATE(app, client):
        return [(url, "sign-in failed: see AUTHENTICATE()", 0.0, 0.0) for url in PAGES]
    values = page_values(datetime.now(timezone.utc))
    # The first look at the overview on this data: it counts 32 days into activity_counts
    # and the scan-bound totals (every later look reads them).
    started = time.perf_counter()
    status = client.get("/dashboard/").status_code
    first = (time.perf_counter() - started) * 1000
    rows = [("first look at /dashboard/ (fills the per-slot counts and totals, once)", str(status), first, first)]
    for template in PAGES:
        url = template.format(**values)
        status = client.get(url).status_code  # warm-up: templates, statement cache
        samples = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
        rows.append((url, str(status), *_stats(samples)))
    return rows


def time_probes(database_url: str) -> list[tuple[str, str, float, float]]:
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    now = datetime.now(timezone.utc)
    sqlite = engine.dialect.name == "sqlite"
    when = (lambda d: d.replace(tzinfo=None).isoformat(" ")) if sqlite else (lambda d: d)
    params = {
        "appid": procs.APPID,
        "openid": "o-dash-424242",
        "phone": str(13000000000 + 424244),
        "unionid": "u-dash-424242",
        "uid": 424242,
        "day_ago": when(now - timedelta(days=1)),
        "month_ago": when(now - timedelta(days=30)),
    }
    rows = []
    with engine.connect() as conn:
        for name, sql, index in PROBES:
            stmt = text(sql.replace("CAST(created_at AS DATE)", "date(created_at)") if sqlite else sql)
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            conn.execute(stmt, used).fetchall()
            samples = []
            for _ in range(REPEAT if "30 days" not in name else 5):
                started = time.perf_counter()
                conn.execute(stmt, used).fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            rows.append((name, index, *_stats(samples)))
    engine.dispose()
    return rows


def run(say) -> list[str]:
    lines = []
    for backend, (users, events) in SIZES.items():
        if backend == "sqlite":
            url = f"sqlite:///{procs.workdir('sqlite') / 'wxauth.sqlite3'}"
        else:
            url = procs.postgres(durable=True, opts="-c shared_buffers=1GB -c max_wal_size=4GB")
        seed.migrate(url)
        say(f"== {backend}: seeding {users:,} users and {events:,} login events")
        seconds = seed.seed_dashboard(url, users, events, log=say)
        say(f"   seeded in {seconds:.0f} s")
        pages = time_pages(url)
        probes = time_probes(url)
        target = TARGET_P95_MS[backend]
        lines += [
            f"### {backend}: {users:,} users, {events:,} login events (seeded in {seconds:.0f} s)",
            "",
            "| page | status | p50 ms | p95 ms | ≤ target |",
            "|---|---|---:|---:|---|",
        ]
        if not pages:
            lines.append("| (no dashboard pages in this tree: list them in bench/dashboard.py PAGES) | | | | |")
        for url_, status, p50, p95 in pages:
            ok = "" if not p95 or url_.startswith("first look") else ("yes" if p95 <= target else "**no**")
            shown = url_ if url_.startswith("first look") else f"`{url_}`"
            lines.append(f"| {shown} | {status} | {p50:.1f} | {p95:.1f} | {ok} |")
        lines += [
            "",
            f"Query probes (the building blocks of the pages; target p95 ≤ {target} ms):",
            "",
            "| query | relies on | p50 ms | p95 ms | ≤ target |",
            "|---|---|---:|---:|---|",
        ]
        for name, index, p50, p95 in probes:
            verdict = "yes" if p95 <= target else "**no**"
            if "instead" in index:  # shown for scale: no page runs it any more
                verdict = "(no page runs it)"
            lines.append(f"| {name} | {index} | {p50:.1f} | {p95:.1f} | {verdict} |")
        lines.append("")
    return lines
