"""Statements and transactions per request, counted on the engine while the app serves them.

Runs the app in-process on the benchmark's database and WeChat stand-in, and counts what
reaches the driver: every statement (SQLAlchemy's before_cursor_execute) and every
transaction ended (commit or rollback events). With psycopg, a transaction adds a BEGIN
and a COMMIT round trip to its statements; autocommit reads add none.
"""

from __future__ import annotations

import procs
from sqlalchemy import event


def _label(statement: str) -> str:
    """`INSERT api_sessions`, `UPDATE users`, `SELECT api_sessions`: the verb and the table."""
    words = statement.replace("(", " ( ").split()
    verb = words[0].upper()
    if verb == "WITH":  # one statement doing several writes: name them all
        parts = [
            f"{w.upper()} {words[i + (2 if w.upper() == 'INSERT' else 1)]}"
            for i, w in enumerate(words)
            if w.upper() in ("INSERT", "UPDATE") and i + 2 < len(words) and words[i - 1].upper() != "DO"
        ]
        return f"WITH ({' + '.join(parts)})"
    table = {"INSERT": 2, "UPDATE": 1}.get(verb)
    if table is None and "FROM" in words:
        table = words.index("FROM") + 1
    return f"{verb} {words[table]}" if table is not None and table < len(words) else verb


def _client(app) -> dict:
    import base64
    import secrets

    from wxauth.services import clients

    with app.app_context():
        made = clients.create(f"bench-statements-{secrets.token_hex(3)}", ["introspect"])
    return {"Authorization": "Basic " + base64.b64encode(f"{made.client_id}:{made.client_secret}".encode()).decode()}


def _endpoint(app) -> str:
    import secrets

    from wxauth.webhooks import endpoints

    url = f"http://127.0.0.1:9/statements-{secrets.token_hex(3)}"
    with app.app_context():
        endpoints.add(url, ["user.created"])
    return url


def _remove(app, url: str) -> None:
    from wxauth.webhooks import endpoints

    with app.app_context():
        endpoints.remove(url)


def count(database_url: str, wechat_url: str, pool: int) -> list[tuple[str, int, int, list[str]]]:
    from wxauth.extensions import db
    from wxauth.factory import create_app

    # Delivery is left to a worker here: the delivery thread's own reads would be counted.
    env = {**procs.app_env(database_url, wechat_url), "WXAUTH_LOG_LEVEL": "WARNING", "WXAUTH_WEBHOOK_DELIVERY": "worker"}
    app = create_app(environ=env)
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    ends = {"n": 0}

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        seen.append(_label(statement))

    def on_end(conn):
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            ends["n"] += 1

    rows = []

    def measure(name, call):
        call()  # warm-up: caches, a connection in the pool
        seen.clear()
        ends["n"] = 0
        call()
        rows.append((name, len(seen), ends["n"], list(seen)))

    token = client.post("/api/auth/login", json={"code": "bench-1"}).get_json()["token"]
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_end)
    event.listen(engine, "rollback", on_end)
    try:
        measure("login, returning user", lambda: client.post("/api/auth/login", json={"code": "bench-2"}))
        fresh = iter(range(pool + 1_000_000, pool + 2_000_000))
        measure("login, first time", lambda: client.post("/api/auth/login", json={"code": f"bench-{next(fresh)}"}))
        measure("GET /api/me", lambda: client.get("/api/me", headers={"Authorization": f"Bearer {token}"}))
        basic = _client(app)
        measure("POST /api/oauth/introspect", lambda: client.post("/api/oauth/introspect", data={"token": token}, headers=basic))
        hook = _endpoint(app)
        measure(
            "login, first time, a webhook endpoint on",
            lambda: client.post("/api/auth/login", json={"code": f"bench-{next(fresh)}"}),
        )
        _remove(app, hook)
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_end)
        event.remove(engine, "rollback", on_end)
        engine.dispose()
    return rows
