"""The migration that brings roles: every operator who existed could do everything, so
each becomes an admin, and their earlier audit entries keep their name."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from wxauth.extensions import db
from wxauth.factory import ROOT, create_app


def test_existing_operators_become_admins(tmp_path):
    env = {
        "WXAUTH_SANDBOX": "1",
        "SECRET_KEY": "m" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}",
        "WXAUTH_SANDBOX_DB": str(tmp_path / "s.sqlite3"),
    }
    app = create_app({"TESTING": True}, environ=env)
    migrations = str(ROOT / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="7ee91548d365")
        db.session.execute(
            text(
                "INSERT INTO operators (id, username, password_hash, disabled, time_zone, created_at) "
                "VALUES (1, 'olga', 'x', 0, 'Asia/Shanghai', '2026-01-01 00:00:00')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO audit_events (id, created_at, operator_id, action) VALUES (1, '2026-01-02 00:00:00', 1, 'phone_search')"
            )
        )
        db.session.commit()
        upgrade(directory=migrations)
        role, mfa, must_change = db.session.execute(
            text("SELECT role, mfa_enabled_at, must_change_password FROM operators WHERE id = 1")
        ).one()
        assert (role, mfa, bool(must_change)) == ("admin", None, False)
        assert db.session.scalar(text("SELECT username FROM audit_events WHERE id = 1")) == "olga"
        db.session.execute(
            text(
                "INSERT INTO operators (username, password_hash, disabled, time_zone, created_at) VALUES ('new', 'x', 0, 'UTC', '2026-01-01')"
            )
        )
        assert db.session.scalar(text("SELECT role FROM operators WHERE username = 'new'")) == "support"
