"""Engine settings per backend."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from typing import cast

from flask import Flask
from sqlalchemy import CursorResult, Result, event, exc
from sqlalchemy.engine import make_url

# A pooled PostgreSQL connection idle longer than this is pinged before use (see _ping_if_idle).
PING_AFTER_IDLE = 5.0


def engine_options(database_url: str) -> dict:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # Threads of one worker share the file; SQLite serialises writers itself.
        return {"connect_args": {"timeout": 15, "check_same_thread": False}}
    return {
        # Connections are checked before use only after sitting idle (_ping_if_idle), not on
        # every checkout as pool_pre_ping does: that round trip is a large share of a short
        # request (docs/scaling.md).
        "pool_pre_ping": False,
        # Up to 30 per process, each kept once opened: an overflow connection is closed when
        # returned and opened again by the next burst, a PostgreSQL backend started and
        # stopped per burst (docs/scaling.md).
        "pool_size": 30,
        "max_overflow": 0,
        # Fail fast when the database is away: a 503 within seconds, not a hung worker
        # (2 s is libpq's smallest connect timeout).
        "pool_timeout": 2,
        "connect_args": {"connect_timeout": 2},
    }


class SQLiteWriters:
    """One SQLite writer at a time across threads and processes, woken the moment it is free.

    SQLite admits one writer; a writer that finds the file locked sleeps in its busy handler
    (1, 2, 5, … up to 100 ms) and looks again, so at a few hundred logins a second over two
    processes the lock stood idle while writers slept, and logins queued for seconds. Here
    threads queue on a lock of their process and processes on an flock() of a file beside
    the database: both wake the next writer as soon as the last one commits.
    """

    def __init__(self, database_path: str):
        self._thread_lock = threading.Lock()
        self._path = database_path + ".writer-lock"
        self._fd: int | None = None
        self._pid: int | None = None

    @contextlib.contextmanager
    def hold(self):
        with self._thread_lock:
            if self._fd is None or self._pid != os.getpid():  # opened per process: a forked child gets its own
                fd = self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            else:
                fd = self._fd
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)


def writing(engine):
    """Hold around a write transaction, up to its commit (see SQLiteWriters); nothing on
    PostgreSQL, which locks rows."""
    writers = _writers.get(engine.url.database) if engine.dialect.name == "sqlite" else None
    return writers.hold() if writers is not None else contextlib.nullcontext()


_writers: dict[str, SQLiteWriters] = {}  # by database file


def rowcount(result: Result) -> int:
    """The rows an UPDATE or DELETE changed (Session.execute types its result as a plain Result)."""
    return cast(CursorResult, result).rowcount


def autocommit() -> None:
    """Run the request's next statement outside a transaction, if none is open yet.

    For a single statement, a read or one atomic write: on PostgreSQL that spares the BEGIN
    and COMMIT round trips around it. A transaction already open is left as it is.
    """
    from wxauth.extensions import db

    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def init_app(app: Flask) -> None:
    from wxauth.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if engine.url.database and engine.url.database != ":memory:":
            _writers.setdefault(engine.url.database, SQLiteWriters(engine.url.database))
    else:
        event.listen(engine, "checkin", _mark_idle)
        dialect = engine.dialect
        event.listen(engine, "checkout", lambda dbapi_con, record, proxy: _ping_if_idle(dialect, dbapi_con, record))


def _mark_idle(dbapi_connection, connection_record) -> None:
    if connection_record is not None:
        connection_record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect, dbapi_connection, connection_record) -> None:
    """Survive a database restart without restarting the app, at a round trip per idle period.

    A connection that came back to the pool moments ago is trusted. One that sat idle is
    pinged first, and a dead one is replaced (DisconnectionError makes the pool reconnect).
    A restart while connections are busy fails those requests, as it would anyway, plus at
    most one per process, after which SQLAlchemy invalidates the whole pool.
    """
    idle_since = connection_record.info.get("idle_since")
    if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE:
        return
    try:
        alive = dialect.do_ping(dbapi_connection)
    except Exception as error:  # noqa: BLE001 - any failure to answer means a dead connection
        raise exc.DisconnectionError(f"database connection is gone ({type(error).__name__})") from error
    if not alive:
        raise exc.DisconnectionError("database connection is gone")


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue instead
    # of failing with "database is locked"; NORMAL sync is durable across app crashes in WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
