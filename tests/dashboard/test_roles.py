"""Roles: what viewer, support and admin may do is both what the pages show and what the
server allows; a forged request for the rest is a 403, recorded in the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.dashboard import factories
from tests.dashboard.conftest import PASSWORD
from wxauth.dashboard import PUBLIC_ENDPOINTS, roles
from wxauth.extensions import db
from wxauth.models import AuditEvent, User
from wxauth.services import clients


@pytest.fixture()
def as_role(dashboard, make_operator):
    """Signs the dashboard client in as a fresh operator of `role`."""

    def sign_in(role: str):
        make_operator(f"{role}-op", role=role)
        assert dashboard.sign_in(f"{role}-op", PASSWORD).status_code == 302
        return dashboard

    return sign_in


@pytest.fixture()
def user_with_phone(app):
    with app.app_context():
        user = factories.user(nickname="阿美", phone_country_code="86", phone_number="13912345678")
        factories.session(user.id)
        return user


def test_every_dashboard_view_declares_what_it_needs(app):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("dashboard.")
        and rule.endpoint not in PUBLIC_ENDPOINTS
        and roles.permission_of(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_a_view_that_declares_nothing_is_refused_to_everyone(app, app_env, make_operator):
    from tests.dashboard.conftest import Dashboard
    from wxauth.factory import create_app

    other = create_app({"TESTING": True}, environ=app_env, settings={"password_hash_method": "pbkdf2:sha256:1000"})
    other.add_url_rule("/dashboard/_undeclared", "dashboard._undeclared", lambda: "secret")
    make_operator("root", role="admin")
    dashboard = Dashboard(other, other.test_client())
    assert dashboard.sign_in("root", PASSWORD).status_code == 302
    resp = dashboard.client.get("/dashboard/_undeclared")
    assert resp.status_code == 403
    assert "secret" not in resp.get_data(as_text=True)


# endpoint, its URL values, and the least role that may GET it
PAGES = [
    ("dashboard.overview", {}, "viewer"),
    ("dashboard.users", {}, "viewer"),
    ("dashboard.logins", {}, "viewer"),
    ("dashboard.failures", {}, "viewer"),
    ("dashboard.signup", {}, "viewer"),
    ("dashboard.clients_page", {}, "viewer"),
    ("dashboard.webhooks", {}, "viewer"),
    ("dashboard.audit_log", {}, "viewer"),
    ("dashboard.reveals", {}, "viewer"),
    ("dashboard.deletions", {}, "viewer"),
    ("dashboard.settings", {}, "viewer"),
    ("dashboard.users_csv", {}, "support"),
    ("dashboard.logins_csv", {}, "support"),
    ("dashboard.failures_csv", {}, "support"),
    ("dashboard.audit_csv", {}, "support"),
    ("dashboard.operators_page", {}, "admin"),
]
RANK = {"viewer": 0, "support": 1, "admin": 2}


@pytest.mark.parametrize("role", ["viewer", "support", "admin"])
def test_each_role_reads_the_pages_it_may_and_no_other(as_role, role, app):
    dashboard = as_role(role)
    for endpoint, values, least in PAGES:
        status = dashboard.response(endpoint, **values).status_code
        assert status == (200 if RANK[role] >= RANK[least] else 403), (endpoint, role, status)


# a POST, what it needs, and what it changes when allowed
def _actions(user_id: int):
    return [
        ("dashboard.reveal_phone", {"user_id": user_id}, {}, "support"),
        ("dashboard.revoke_all_sessions", {"user_id": user_id}, {}, "support"),
        ("dashboard.clients_page", {}, {"name": "forged", "scopes": "introspect"}, "admin"),
        ("dashboard.webhooks", {}, {"url": "https://example.com/hook", "events": "user.created"}, "admin"),
        ("dashboard.signup", {}, {"appid": factories.APPID, "phones": "13800001111"}, "admin"),
        ("dashboard.create_operator", {}, {"username": "forged-op", "role": "admin"}, "admin"),
        ("dashboard.delete_user", {"user_id": user_id}, {}, "admin"),
    ]


@pytest.mark.parametrize("role", ["viewer", "support"])
def test_a_forged_post_beyond_the_role_is_a_403_recorded_in_the_audit(as_role, role, app, user_with_phone):
    dashboard = as_role(role)
    page = dashboard.page("dashboard.settings")  # any form's token will do: the forgery has one
    token = page.select_one("input[name=csrf_token]")["value"]
    refused = []
    for endpoint, values, data, least in _actions(user_with_phone.id):
        if RANK[role] >= RANK[least]:
            continue
        resp = dashboard.client.post(dashboard.url(endpoint, **values), data={"csrf_token": token, **data})
        assert resp.status_code == 403, (endpoint, resp.status_code)
        refused.append(f"POST {dashboard.url(endpoint, **values)}")
    with app.app_context():
        assert db.session.get(User, user_with_phone.id) is not None  # not deleted
        assert clients.listed() == []
        forbidden = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "forbidden", AuditEvent.username == f"{role}-op")
        ).all()
    assert sorted(forbidden) == sorted(refused)
    assert len(refused) == (7 if role == "viewer" else 5)


def test_what_a_viewer_may_not_do_is_not_shown(as_role, user_with_phone):
    dashboard = as_role("viewer")
    user = dashboard.page("dashboard.user", user_id=user_with_phone.id)
    assert user.select_one("#phone-number").get_text(strip=True) == "139****5678"
    assert user.select("form[action$='/reveal-phone']") == []
    assert user.select("form[action*='/revoke']") == []
    assert user.select("form[action$='/delete']") == []
    users = dashboard.page("dashboard.users")
    assert users.select("a[download]") == []  # no export
    assert users.select_one("tr[data-user-id] .phone").get_text(strip=True) == "139****5678"
    nav = [a["href"] for a in users.select("nav.nav a")]
    assert dashboard.url("dashboard.operators_page") not in nav
    assert dashboard.url("dashboard.audit_log") in nav
    clients_page = dashboard.page("dashboard.clients_page")
    assert clients_page.select(f"form[action='{dashboard.url('dashboard.clients_page')}']") == []
    webhooks = dashboard.page("dashboard.webhooks")
    assert webhooks.select(f"form[action='{dashboard.url('dashboard.webhooks')}'][method=post]") == []
    assert dashboard.page("dashboard.signup").select("textarea[name=phones]") == []


def test_support_reveals_revokes_and_exports_but_does_not_administer(as_role, user_with_phone):
    dashboard = as_role("support")
    user = dashboard.page("dashboard.user", user_id=user_with_phone.id)
    assert len(user.select("form[action$='/reveal-phone']")) == 1
    assert len(user.select("form[action$='/revoke-all']")) == 1
    assert user.select("form[action$='/delete']") == []
    assert len(dashboard.page("dashboard.users").select("a[download]")) == 1
    nav = [a["href"] for a in dashboard.page("dashboard.overview").select("nav.nav a")]
    assert dashboard.url("dashboard.operators_page") not in nav
    resp = dashboard.submit(user, dashboard.url("dashboard.reveal_phone", user_id=user_with_phone.id))
    assert resp.status_code == 302
    shown = dashboard.page("dashboard.user", user_id=user_with_phone.id)
    assert shown.select_one("#phone-number").get_text(strip=True) == "13912345678"


def test_an_admin_sees_every_action(as_role, user_with_phone):
    dashboard = as_role("admin")
    user = dashboard.page("dashboard.user", user_id=user_with_phone.id)
    for action in ("/reveal-phone", "/revoke-all", "/delete"):
        assert len(user.select(f"form[action$='{action}']")) == 1, action
    nav = [a["href"] for a in dashboard.page("dashboard.overview").select("nav.nav a")]
    assert dashboard.url("dashboard.operators_page") in nav
    assert dashboard.page("dashboard.signup").select("textarea[name=phones]") != []


def test_a_role_change_holds_at_once(as_role, app, user_with_phone):
    from wxauth.services import operators

    dashboard = as_role("support")
    assert dashboard.response("dashboard.users_csv").status_code == 200
    with app.app_context():
        operators.set_role("support-op", "viewer")
    assert dashboard.response("dashboard.overview").status_code == 302  # signed out
    assert dashboard.sign_in("support-op", PASSWORD).status_code == 302
    assert dashboard.response("dashboard.users_csv").status_code == 403
