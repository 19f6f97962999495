"""One audit log of every operator action: who, when, what, from which IP; filtered,
exported as CSV, never editable."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from tests.dashboard import factories
from tests.dashboard.conftest import PASSWORD
from wxauth.extensions import db
from wxauth.models import AuditEvent
from wxauth.services import audit, operators


def entries(app) -> list[tuple[str | None, str, str | None]]:
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.username, AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id))
        return [tuple(r) for r in rows]


def test_sign_in_attempts_are_audited_known_name_or_not(dashboard, operator, app):
    dashboard.sign_in("alice", "wrong-password")
    dashboard.sign_in("Nobody-Here", "wrong-password")
    for _ in range(operators.MAX_FAILED_ATTEMPTS):
        dashboard.sign_in("alice", "wrong-password")
    assert dashboard.sign_in("alice", PASSWORD).status_code == 429
    got = entries(app)
    assert got[0] == ("alice", "sign_in_failed", "password")
    assert got[1] == ("nobody-here", "sign_in_failed", "password")
    assert [a for _u, a, _d in got].count("sign_in_locked") >= 2
    with app.app_context():
        ids = dict(db.session.execute(select(AuditEvent.username, AuditEvent.operator_id)).all())
    assert ids["alice"] == operator.id and ids["nobody-here"] is None


def test_reveal_revoke_export_and_delete_are_audited(signed_in_client, app):
    with app.app_context():
        user = factories.user(nickname="阿审", phone_country_code="86", phone_number="13512345678")
        factories.session(user.id)
    page = signed_in_client.page("dashboard.user", user_id=user.id)
    signed_in_client.submit(page, signed_in_client.url("dashboard.reveal_phone", user_id=user.id))
    page = signed_in_client.page("dashboard.user", user_id=user.id)
    signed_in_client.submit(page, signed_in_client.url("dashboard.revoke_all_sessions", user_id=user.id))
    assert signed_in_client.response("dashboard.logins_csv", outcome="failed", **{"from": "2026-01-01"}).status_code == 200
    assert signed_in_client.response("dashboard.users_csv", q="13512345678").status_code == 200
    page = signed_in_client.page("dashboard.user", user_id=user.id)
    signed_in_client.submit(page, signed_in_client.url("dashboard.delete_user", user_id=user.id))
    got = [(a, d) for u, a, d in entries(app) if a != "sign_in"]
    assert got == [
        ("phone_reveal", f"user #{user.id} ({factories.APPID})"),
        ("session_revoke", f"user #{user.id}: all sessions"),
        ("export", "logins.csv: from=2026-01-01 outcome=failed"),
        ("phone_search", "users_csv: q=135****5678"),
        ("export", "users.csv: q=135****5678"),  # never the whole number
        ("account_delete", f"user #{user.id} ({factories.APPID})"),
    ]
    with app.app_context():
        ips = set(db.session.scalars(select(AuditEvent.ip)))
    assert ips == {"127.0.0.1"}


def test_the_page_filters_by_operator_action_day_and_ip(signed_in_client, app):
    with app.app_context():
        bob = operators.create("bob", PASSWORD, role="support")
        for who, action, at, ip in (
            (bob, "export", "2026-03-01 02:00", "10.0.0.1"),
            (bob, "phone_reveal", "2026-03-02 02:00", "10.0.0.2"),
            (None, "sign_in_failed", "2026-03-03 02:00", "10.0.0.3"),
        ):
            db.session.add(
                AuditEvent(
                    created_at=factories.at(at),
                    operator_id=who.id if who else None,
                    username=who.username if who else "mallory",
                    action=action,
                    ip=ip,
                )
            )
        db.session.commit()

    def actions(**args):
        page = signed_in_client.page("dashboard.audit_log", **args)
        return [row["data-action"] for row in page.select("tr[data-action]")]

    assert actions(operator="BOB") == ["phone_reveal", "export"]
    assert actions(action="sign_in_failed") == ["sign_in_failed"]
    assert actions(**{"from": "2026-03-02", "to": "2026-03-02"}) == ["phone_reveal"]
    assert actions(ip="10.0.0.1") == ["export"]
    assert signed_in_client.response("dashboard.audit_log", action="made_up").status_code == 200  # an unknown choice is dropped
    assert signed_in_client.response("dashboard.audit_log", **{"from": "yesterday"}).status_code == 400
    page = signed_in_client.page("dashboard.audit_log", operator="bob")
    assert "Revealed a phone" in page.get_text()


def test_the_csv_export_has_the_filtered_entries_and_is_itself_audited(signed_in_client, app):
    resp = signed_in_client.response("dashboard.audit_csv", action="sign_in")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["operator"], r["action"], r["detail"]) for r in rows] == [("alice", "sign_in", "password")]
    assert entries(app)[-1] == ("alice", "export", "audit.csv: action=sign_in")


def test_no_route_can_change_an_entry(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("dashboard.audit_log", "dashboard.audit_csv", "dashboard.reveals", "dashboard.deletions"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    audit_words = ("audit", "reveals", "deletions")
    writable = [
        r.rule
        for r in app.url_map.iter_rules()
        if any(w in r.rule for w in audit_words) and r.methods - {"GET", "HEAD", "OPTIONS"}
    ]
    assert writable == []


def test_every_action_has_a_label(app):
    from wxauth.dashboard.labels import AUDIT_ACTIONS

    assert set(audit.ACTIONS) == set(AUDIT_ACTIONS)


def test_settings_changes_are_audited(signed_in_client, app):
    page = signed_in_client.page("dashboard.settings")
    signed_in_client.submit(page, signed_in_client.url("dashboard.settings"), {"time_zone": "Europe/Paris"})
    assert ("alice", "settings_change", "time zone: Europe/Paris") in entries(app)
