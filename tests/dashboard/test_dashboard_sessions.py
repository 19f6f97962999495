"""Dashboard sessions live server-side: a copied cookie dies with sign-out, disable and a new
password, on every instance, and sessions end when idle or too old."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update

from tests.dashboard.conftest import PASSWORD
from wxauth.extensions import db
from wxauth.models import DashboardSession, utcnow
from wxauth.services import operators


def _cookie(dashboard) -> str:
    return dashboard.client.get_cookie("session").value


def _with_cookie(app, cookie: str):
    """Another browser, elsewhere, that was handed a copy of the cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _overview(client):
    return client.get("/dashboard/", headers={"User-Agent": "somewhere-else", "X-Forwarded-For": "203.0.113.9"})


def test_a_copied_cookie_works_until_sign_out_then_never(signed_in_client, app):
    stolen = _cookie(signed_in_client)
    assert _overview(_with_cookie(app, stolen)).status_code == 200
    page = signed_in_client.page("dashboard.overview")
    assert signed_in_client.submit(page, signed_in_client.url("dashboard.logout")).status_code == 302
    assert _overview(_with_cookie(app, stolen)).status_code == 302


def test_re_enabling_an_operator_does_not_revive_an_old_cookie(signed_in_client, app, make_operator):
    make_operator("root")  # alice is not the last admin
    stolen = _cookie(signed_in_client)
    with app.app_context():
        operators.set_disabled("alice", True)
        operators.set_disabled("alice", False)
    assert _overview(_with_cookie(app, stolen)).status_code == 302
    assert signed_in_client.sign_in("alice", PASSWORD).status_code == 302  # a new sign-in works


def test_a_new_password_ends_copied_cookies(signed_in_client, app):
    stolen = _cookie(signed_in_client)
    with app.app_context():
        operators.set_password("alice", "a-brand-new-password")
    assert _overview(_with_cookie(app, stolen)).status_code == 302


@pytest.mark.parametrize(
    ("column", "age"), [("last_seen_at", timedelta(minutes=31)), ("created_at", timedelta(hours=12, minutes=1))]
)
def test_idle_and_old_sessions_end(signed_in_client, app, column, age):
    assert signed_in_client.response("dashboard.overview").status_code == 200
    with app.app_context():
        db.session.execute(update(DashboardSession).values({column: utcnow() - age}))
        db.session.commit()
    assert signed_in_client.response("dashboard.overview").status_code == 302


def test_the_timeouts_are_settings(signed_in_client, app, override_settings):
    override_settings(dashboard_idle_minutes=5)
    with app.app_context():
        db.session.execute(update(DashboardSession).values(last_seen_at=utcnow() - timedelta(minutes=6)))
        db.session.commit()
    assert signed_in_client.response("dashboard.overview").status_code == 302


def test_the_table_holds_no_usable_token(signed_in_client, app):
    with app.app_context():
        stored = db.session.scalars(db.select(DashboardSession.id)).all()
    assert len(stored) == 1
    assert stored[0] not in _cookie(signed_in_client)
    assert _overview(_with_cookie(app, stored[0])).status_code == 302


@pytest.mark.slow
def test_sign_out_ends_the_session_on_every_instance(spawn_server, operator):
    one, two = spawn_server(), spawn_server()
    browser = requests.Session()
    page = browser.get(one.url + "/dashboard/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = browser.post(
        one.url + "/dashboard/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302
    copy = requests.Session()
    copy.cookies.update(browser.cookies)
    assert copy.get(two.url + "/dashboard/", allow_redirects=False, timeout=10).status_code == 200
    page = browser.get(one.url + "/dashboard/", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert (
        browser.post(one.url + "/dashboard/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10).status_code
        == 302
    )
    assert copy.get(two.url + "/dashboard/", allow_redirects=False, timeout=10).status_code == 302
