"""Engine behaviour that the app relies on: a database restart must not need an app restart."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from wxauth import database
from wxauth.extensions import db


def test_dead_pooled_connections_are_replaced_after_a_database_restart(app, client, monkeypatch, database_url):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite has no server to restart")
    assert client.get("/healthz").status_code == 200  # leaves a connection in the pool
    admin = create_engine(database_url, poolclass=NullPool)
    with admin.begin() as conn:  # what a server restart does to every open connection
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE pid <> pg_backend_pid() AND datname = current_database()"
            )
        ).scalar()
    admin.dispose()
    assert killed >= 1
    monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)  # as if the connection sat idle
    assert client.get("/healthz").status_code == 200
    # Other connections the pool holds were killed too and have not sat idle: the next
    # test must not inherit them.
    with app.app_context():
        db.engine.dispose()


def test_sqlite_writers_take_turns_across_threads_and_processes(tmp_path):
    """database.SQLiteWriters: one holder at a time, whatever thread or process asks."""
    import multiprocessing
    import threading
    import time

    writers = database.SQLiteWriters(str(tmp_path / "wxauth.sqlite3"))
    log = tmp_path / "log"

    def write_in_turns(tag: str) -> None:
        def one(n: int) -> None:
            for _ in range(5):
                with writers.hold():
                    with open(log, "a") as fh:
                        fh.write(f"in {tag}{n}\n")
                    time.sleep(0.002)
                    with open(log, "a") as fh:
                        fh.write(f"out {tag}{n}\n")

        threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    ctx = multiprocessing.get_context("fork")
    others = [ctx.Process(target=write_in_turns, args=(tag,)) for tag in "ab"]
    for p in others:
        p.start()
    write_in_turns("c")
    for p in others:
        p.join(30)
        assert p.exitcode == 0
    lines = log.read_text().splitlines()
    assert len(lines) == 3 * 4 * 5 * 2
    for enter, leave in zip(lines[::2], lines[1::2], strict=True):
        assert enter.startswith("in ") and leave == "out " + enter[3:], (enter, leave)
