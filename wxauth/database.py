"""Engine settings per backend."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import make_url


def engine_options(database_url: str) -> dict:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # Threads of one worker share the file; SQLite serialises writers itself.
        return {"connect_args": {"timeout": 15, "check_same_thread": False}}
    return {
        "pool_pre_ping": True,  # survive a database restart without restarting the app
        "pool_size": 10,
        "max_overflow": 20,
        # Fail fast when the database is away: a request answers 503 within ~2 s instead of
        # hanging a worker (2 s is libpq's smallest connect timeout).
        "pool_timeout": 2,
        "connect_args": {"connect_timeout": 2},
    }


def init_app(app: Flask) -> None:
    from wxauth.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue instead
    # of failing with "database is locked"; NORMAL sync is durable across app crashes in WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


