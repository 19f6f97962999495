"""Dashboard timings at a million users: seed, then time every page and filter server-side.

PAGES is the one list to extend: every dashboard page and filter, as a URL. Each is
requested through the app in-process (Flask's test client: the view, its queries and its
template, without the network), REPEAT times after one warm-up, and reported as p50/p95.

AUTHENTICATE signs the test client in as an operator; the dashboard's login lands with its
branch, so until then pages that need a login are reported as such, not timed.

PROBES are the queries a users/events dashboard is built from, timed on the same data so
that missing indexes show before the pages exist. Each states the index it relies on.
"""

from __future__ import annotations

import statistics
import time

from sqlalchemy import text

import procs
import seed

REPEAT = 20
SIZES = {"postgresql": (1_000_000, 10_000_000), "sqlite": (1_000_000, 5_000_000)}
TARGET_P95_MS = {"postgresql": 200, "sqlite": 400}

# Every dashboard page and filter, e.g. "/dashboard/users?q=o-dash-4242". After the
# dashboard merges, list them here; nothing else needs to change.
PAGES: list[str] = []


def AUTHENTICATE(app, client) -> bool:  # noqa: N802 - a hook, named to stand out
    """Sign `client` in as an operator; return False when the app has no dashboard login."""
    return "dashboard" in app.blueprints and False  # fill in with the dashboard's operator login


# (what it is, SQL, the index it relies on). :uid is a user id from the middle of the data set.
PROBES: list[tuple[str, str, str]] = [
    ("users: count", "SELECT count(*) FROM users", "pk_users (index-only scan)"),
    ("users: newest 50", "SELECT * FROM users ORDER BY created_at DESC LIMIT 50", "ix_users_created_at"),
    ("users: by openid", "SELECT * FROM users WHERE appid = :appid AND openid = :openid", "uq_users_appid_openid"),
    ("users: by phone", "SELECT * FROM users WHERE phone_number = :phone", "ix_users_phone_number"),
    ("users: by unionid", "SELECT * FROM users WHERE unionid = :unionid", "ix_users_unionid"),
    ("events: newest 50", "SELECT * FROM login_events ORDER BY created_at DESC LIMIT 50", "ix_login_events_created_at"),
    ("events: one user's newest 50",
     "SELECT * FROM login_events WHERE user_id = :uid ORDER BY created_at DESC LIMIT 50", "ix_login_events_user_id"),
    ("events: failures newest 50",
     "SELECT * FROM login_events WHERE outcome = 'invalid_code' ORDER BY created_at DESC LIMIT 50",
     "ix_login_events_outcome"),
    ("events: last 24 h by outcome",
     "SELECT outcome, count(*) FROM login_events WHERE created_at >= :day_ago GROUP BY outcome",
     "ix_login_events_created_at"),
    ("events: logins per day, last 30 days",
     "SELECT CAST(created_at AS DATE), count(*) FROM login_events WHERE created_at >= :month_ago GROUP BY 1",
     "ix_login_events_created_at (range of 3 M rows: needs a daily rollup to be fast)"),
]


def _stats(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95 + 0.5) - 1)]


def time_pages(database_url: str) -> list[tuple[str, str, float, float]]:
    from wxauth.factory import create_app

    app = create_app(environ=procs.app_env(database_url, "http://127.0.0.1:9"))
    client = app.test_client()
    if not PAGES:
        return []
    if not AUTHENTICATE(app, client):
        return [(url, "needs AUTHENTICATE() (dashboard login not in this tree)", 0.0, 0.0) for url in PAGES]
    rows = []
    for url in PAGES:
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
    params = {"appid": procs.APPID, "openid": "o-dash-424242", "phone": str(13000000000 + 424244),
              "unionid": "u-dash-424242", "uid": 424242, "day_ago": when(now - timedelta(days=1)),
              "month_ago": when(now - timedelta(days=30))}
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
            ok = "" if not p95 else ("yes" if p95 <= target else "**no**")
            lines.append(f"| `{url_}` | {status} | {p50:.1f} | {p95:.1f} | {ok} |")
        lines += ["", f"Query probes (the building blocks of the pages; target p95 ≤ {target} ms):", "",
                  "| query | relies on | p50 ms | p95 ms | ≤ target |", "|---|---|---:|---:|---|"]
        for name, index, p50, p95 in probes:
            lines.append(f"| {name} | {index} | {p50:.1f} | {p95:.1f} | {'yes' if p95 <= target else '**no**'} |")
        lines.append("")
    return lines
