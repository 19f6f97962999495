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
