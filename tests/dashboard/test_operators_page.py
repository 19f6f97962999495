"""Admins manage operators on /dashboard/operators; every operator manages their own
password and dashboard sessions on /dashboard/settings."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.dashboard.conftest import PASSWORD, Dashboard
from wxauth.extensions import db
from wxauth.models import AuditEvent
from wxauth.services import operators


def audit_actions(app, action: str) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture()
def second_browser(app) -> Dashboard:
    return Dashboard(app, app.test_client())


def test_the_list_shows_role_second_factor_last_sign_in_and_status(signed_in_client, make_operator, app):
    make_operator("bob", role="viewer")
    with app.app_context():
        operators.set_disabled("bob", True)
    page = signed_in_client.page("dashboard.operators_page")
    alice, bob = page.select_one("tr[data-operator=alice]"), page.select_one("tr[data-operator=bob]")
    assert alice.select_one("select[name=role] option[selected]")["value"] == "admin"
    assert bob.select_one("select[name=role] option[selected]")["value"] == "viewer"
    assert bob.select_one("[data-mfa]")["data-mfa"] == "off"
    assert bob.select_one("[data-status]")["data-status"] == "disabled"
    assert "never" in bob.get_text()
    assert "never" not in alice.get_text()


def test_a_new_operator_gets_a_one_time_password_shown_once_and_must_change_it(signed_in_client, second_browser, app):
    page = signed_in_client.page("dashboard.operators_page")
    resp = signed_in_client.submit(
        page, signed_in_client.url("dashboard.create_operator"), {"username": "Carol", "role": "viewer"}
    )
    assert resp.status_code == 200
    shown = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    password = shown.select_one("[data-one-time-password]").get_text(strip=True)
    assert shown.select_one("[data-created-username]").get_text(strip=True) == "carol"
    assert password not in signed_in_client.response("dashboard.operators_page").get_data(as_text=True)
    assert audit_actions(app, "operator_create") == ["carol: viewer"]

    assert second_browser.sign_in("carol", password).status_code == 302
    for endpoint in ("dashboard.overview", "dashboard.users", "dashboard.settings"):
        resp = second_browser.response(endpoint)
        assert resp.headers.get("Location") == second_browser.url("dashboard.password"), endpoint
    form = second_browser.page("dashboard.password")
    assert form.select_one("#must-change") is not None
    new = "carols-own-passphrase"
    resp = second_browser.submit(form, second_browser.url("dashboard.password"), {"current": password, "new": new, "repeat": new})
    assert resp.status_code == 302
    assert second_browser.response("dashboard.overview").status_code == 200
    with app.app_context():
        assert operators.get("carol").must_change_password is False


def test_an_admin_changes_a_role_and_the_operator_is_signed_out(signed_in_client, second_browser, make_operator, app):
    bob = make_operator("bob", role="support")
    assert second_browser.sign_in("bob", PASSWORD).status_code == 302
    page = signed_in_client.page("dashboard.operators_page")
    url = signed_in_client.url("dashboard.change_role", operator_id=bob.id)
    assert signed_in_client.submit(page, url, {"role": "viewer"}).status_code == 302
    with app.app_context():
        assert operators.get("bob").role == "viewer"
    assert second_browser.response("dashboard.overview").status_code == 302
    assert audit_actions(app, "operator_role") == ["bob: viewer"]


def test_disable_and_enable_from_the_page(signed_in_client, second_browser, make_operator, app):
    bob = make_operator("bob", role="support")
    assert second_browser.sign_in("bob", PASSWORD).status_code == 302
    page = signed_in_client.page("dashboard.operators_page")
    assert (
        signed_in_client.submit(page, signed_in_client.url("dashboard.disable_operator", operator_id=bob.id)).status_code == 302
    )
    assert second_browser.response("dashboard.overview").status_code == 302
    assert second_browser.sign_in("bob", PASSWORD).status_code == 401
    page = signed_in_client.page("dashboard.operators_page")
    assert signed_in_client.submit(page, signed_in_client.url("dashboard.enable_operator", operator_id=bob.id)).status_code == 302
    assert second_browser.sign_in("bob", PASSWORD).status_code == 302
    assert audit_actions(app, "operator_disable") == ["bob"] and audit_actions(app, "operator_enable") == ["bob"]


def test_the_last_admin_cannot_be_demoted_or_disabled(signed_in_client, operator, app):
    page = signed_in_client.page("dashboard.operators_page")
    signed_in_client.submit(page, signed_in_client.url("dashboard.change_role", operator_id=operator.id), {"role": "support"})
    shown = signed_in_client.page("dashboard.operators_page")
    assert "last admin" in shown.select_one(".flash-error").get_text()
    signed_in_client.submit(shown, signed_in_client.url("dashboard.disable_operator", operator_id=operator.id))
    with app.app_context():
        alice = operators.get("alice")
        assert (alice.role, alice.disabled) == ("admin", False)
    assert audit_actions(app, "operator_role") == [] and audit_actions(app, "operator_disable") == []
    with pytest.raises(operators.OperatorError), app.app_context():
        operators.set_role("alice", "viewer")


def test_a_bad_role_or_name_is_refused(signed_in_client, operator):
    page = signed_in_client.page("dashboard.operators_page")
    assert (
        signed_in_client.submit(
            page, signed_in_client.url("dashboard.create_operator"), {"username": "x!", "role": "support"}
        ).status_code
        == 400
    )
    assert (
        signed_in_client.submit(
            page, signed_in_client.url("dashboard.create_operator"), {"username": "alice", "role": "support"}
        ).status_code
        == 400
    )
    assert (
        signed_in_client.submit(
            page, signed_in_client.url("dashboard.create_operator"), {"username": "dora", "role": "root"}
        ).status_code
        == 400
    )
    bad_role = signed_in_client.submit(
        page, signed_in_client.url("dashboard.change_role", operator_id=operator.id), {"role": "root"}
    )
    assert bad_role.status_code == 400
    assert signed_in_client.response("dashboard.change_role", operator_id=999999).status_code == 405


def test_changing_ones_own_password(signed_in_client, second_browser, app):
    assert second_browser.sign_in("alice", PASSWORD).status_code == 302
    form = signed_in_client.page("dashboard.password")
    url = signed_in_client.url("dashboard.password")
    for data, why in (
        ({"current": "not-the-password", "new": "a-fine-new-password", "repeat": "a-fine-new-password"}, "current password"),
        ({"current": PASSWORD, "new": "short", "repeat": "short"}, "at least 10"),
        ({"current": PASSWORD, "new": "1q2w3e4r5t", "repeat": "1q2w3e4r5t"}, "attackers try first"),
        ({"current": PASSWORD, "new": "a-fine-new-password", "repeat": "a-fine-new-passwore"}, "differ"),
    ):
        resp = signed_in_client.submit(form, url, data)
        assert resp.status_code == 400, why
        assert why in resp.get_data(as_text=True), why
    assert audit_actions(app, "password_change") == []
    resp = signed_in_client.submit(
        form, url, {"current": PASSWORD, "new": "a-fine-new-password", "repeat": "a-fine-new-password"}
    )
    assert resp.status_code == 302
    assert signed_in_client.response("dashboard.overview").status_code == 200  # this browser stays
    assert second_browser.response("dashboard.overview").status_code == 302  # the other one is out
    assert second_browser.sign_in("alice", "a-fine-new-password").status_code == 302
    assert audit_actions(app, "password_change") == [None]


def test_seeing_and_ending_ones_own_sessions(signed_in_client, second_browser, app):
    assert second_browser.sign_in("alice", PASSWORD).status_code == 302
    page = signed_in_client.page("dashboard.settings")
    rows = page.select("tr[data-dashboard-session]")
    assert len(rows) == 2
    mine = [r for r in rows if "This browser" in r.get_text()]
    other = [r for r in rows if "This browser" not in r.get_text()]
    assert len(mine) == 1 and len(other) == 1
    handle = other[0]["data-dashboard-session"]
    resp = signed_in_client.submit(page, signed_in_client.url("dashboard.end_own_session", session_handle=handle))
    assert resp.status_code == 302
    assert second_browser.response("dashboard.overview").status_code == 302
    assert signed_in_client.response("dashboard.overview").status_code == 200
    page = signed_in_client.page("dashboard.settings")
    own = page.select_one("tr[data-dashboard-session]")["data-dashboard-session"]
    resp = signed_in_client.submit(page, signed_in_client.url("dashboard.end_own_session", session_handle=own))
    assert resp.headers["Location"] == signed_in_client.url("dashboard.login")
    assert signed_in_client.response("dashboard.overview").status_code == 302
    assert audit_actions(app, "dashboard_session_end") == [handle, own]


def test_another_operators_session_cannot_be_ended_by_its_handle(signed_in_client, second_browser, make_operator, app):
    make_operator("bob", role="support")
    assert second_browser.sign_in("bob", PASSWORD).status_code == 302
    bobs = second_browser.page("dashboard.settings").select_one("tr[data-dashboard-session]")["data-dashboard-session"]
    token = signed_in_client.page("dashboard.settings").select_one("input[name=csrf_token]")["value"]
    resp = signed_in_client.client.post(
        signed_in_client.url("dashboard.end_own_session", session_handle=bobs), data={"csrf_token": token}
    )
    assert resp.status_code == 302
    assert second_browser.response("dashboard.overview").status_code == 200
