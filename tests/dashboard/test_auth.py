"""Operator sign-in: redirects, CSRF, lockout, next, sign-out, cookies and headers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config import load_settings
from tests.dashboard.conftest import PASSWORD
from wxauth.services import operators

PAGES = [
    ("dashboard.overview", {}),
    ("dashboard.users", {}),
    ("dashboard.user", {"user_id": 1}),
    ("dashboard.logins", {}),
    ("dashboard.failures", {}),
    ("dashboard.reveals", {}),
    ("dashboard.audit_log", {}),
    ("dashboard.settings", {}),
    ("dashboard.users_csv", {}),
    ("dashboard.logins_csv", {}),
    ("dashboard.failures_csv", {}),
]


@pytest.mark.parametrize(("endpoint", "values"), PAGES)
def test_every_page_redirects_to_sign_in(dashboard, endpoint, values):
    resp = dashboard.response(endpoint, **values)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/dashboard/login?next=")


@pytest.mark.parametrize(
    ("endpoint", "values"),
    [("dashboard.reveal_phone", {"user_id": 1}), ("dashboard.revoke_all_sessions", {"user_id": 1})],
)
def test_posts_need_a_signed_in_operator(dashboard, endpoint, values):
    token = dashboard.page("dashboard.login").select_one("input[name=csrf_token]")["value"]
    resp = dashboard.client.post(dashboard.url(endpoint, **values), data={"csrf_token": token})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/dashboard/login"


def test_sign_in_lands_on_the_overview(dashboard, operator):
    resp = dashboard.sign_in(operator.username, PASSWORD)
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard/"
    soup = dashboard.page("dashboard.overview")
    assert soup.select_one(".nav-operator").contents[0].strip() == "alice"
    assert soup.select_one(".nav-operator [data-role]")["data-role"] == "admin"


def test_username_is_not_case_sensitive(dashboard, operator):
    assert dashboard.sign_in("  ALICE ", PASSWORD).status_code == 302


def test_wrong_password_is_refused(dashboard, operator):
    resp = dashboard.sign_in("alice", "wrong-password")
    assert resp.status_code == 401
    assert "Invalid username or password." in resp.get_data(as_text=True)
    assert dashboard.response("dashboard.overview").status_code == 302


def test_sign_in_without_csrf_token_is_rejected(dashboard, operator):
    soup = dashboard.page("dashboard.login")
    resp = dashboard.submit(soup, data={"username": "alice", "password": PASSWORD}, csrf=False)
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)
    assert dashboard.response("dashboard.overview").status_code == 302


def test_lockout_after_five_failures_even_with_the_right_password(dashboard, operator):
    for _ in range(operators.MAX_FAILED_ATTEMPTS - 1):
        assert dashboard.sign_in("alice", "nope-nope-nope").status_code == 401
    resp = dashboard.sign_in("alice", "nope-nope-nope")
    assert resp.status_code == 429
    assert "locked" in resp.get_data(as_text=True)
    resp = dashboard.sign_in("alice", PASSWORD)
    assert resp.status_code == 429
    assert dashboard.response("dashboard.overview").status_code == 302


def test_lockout_looks_the_same_for_an_unknown_name(dashboard, operator):
    answers = {}
    for name in ("alice", "nobody"):
        for _ in range(operators.MAX_FAILED_ATTEMPTS):
            resp = dashboard.sign_in(name, "nope-nope-nope")
        resp = dashboard.sign_in(name, "nope-nope-nope")
        error = dashboard_error(resp)
        answers[name] = (resp.status_code, error)
    assert answers["alice"] == answers["nobody"]
    assert answers["alice"][0] == 429


def dashboard_error(resp) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(resp.get_data(as_text=True), "html.parser").select_one("#sign-in-error").get_text()


def test_lock_expires(dashboard, operator, app):
    from wxauth.extensions import db
    from wxauth.models import SignInThrottle, utcnow

    for _ in range(operators.MAX_FAILED_ATTEMPTS):
        dashboard.sign_in("alice", "nope-nope-nope")
    with app.app_context():
        throttle = db.session.get(SignInThrottle, "alice")
        throttle.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert dashboard.sign_in("alice", PASSWORD).status_code == 302


def test_success_clears_earlier_failures(dashboard, operator):
    for _ in range(operators.MAX_FAILED_ATTEMPTS - 1):
        dashboard.sign_in("alice", "nope-nope-nope")
    assert dashboard.sign_in("alice", PASSWORD).status_code == 302
    dashboard.client.post(dashboard.url("dashboard.logout"))  # no token: stays signed in, fine
    dashboard.client.delete_cookie("session")
    assert dashboard.sign_in("alice", "nope-nope-nope").status_code == 401  # 1 failure, not 5


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dashboard/users?q=abc", "/dashboard/users?q=abc"),
        ("//evil.example/dashboard/", "/dashboard/"),
        ("https://evil.example/dashboard/", "/dashboard/"),
        ("/\\evil.example", "/dashboard/"),
        ("javascript:alert(1)", "/dashboard/"),
        ("/api/me", "/dashboard/"),
    ],
)
def test_next_is_followed_only_within_the_dashboard(dashboard, operator, target, expected):
    resp = dashboard.sign_in("alice", PASSWORD, next_url=target)
    assert resp.status_code == 302
    assert resp.headers["Location"] == expected


def test_redirect_to_sign_in_keeps_the_page_and_its_filters(dashboard, operator):
    location = dashboard.response("dashboard.users", q="8000").headers["Location"]
    resp = dashboard.client.get(location)
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    next_url = soup.select_one("input[name=next]")["value"]
    assert next_url == "/dashboard/users?q=8000"
    resp = dashboard.submit(soup, data={"username": "alice", "password": PASSWORD})
    assert resp.headers["Location"] == "/dashboard/users?q=8000"


def test_sign_out_needs_csrf_then_ends_the_session(signed_in_client):
    soup = signed_in_client.page("dashboard.overview")
    logout = signed_in_client.url("dashboard.logout")
    assert signed_in_client.submit(soup, logout, csrf=False).status_code == 400
    assert signed_in_client.response("dashboard.overview").status_code == 200
    resp = signed_in_client.submit(soup, logout)
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard/login"
    assert signed_in_client.response("dashboard.overview").status_code == 302


def test_disabling_an_operator_ends_their_session(signed_in_client, app, make_operator):
    make_operator("root")  # alice is not the last admin
    with app.app_context():
        operators.set_disabled("alice", True)
    assert signed_in_client.response("dashboard.overview").status_code == 302
    assert signed_in_client.sign_in("alice", PASSWORD).status_code == 401


def test_a_new_password_signs_out_everywhere(signed_in_client, app):
    with app.app_context():
        operators.set_password("alice", "a-brand-new-password")
    assert signed_in_client.response("dashboard.overview").status_code == 302
    assert signed_in_client.sign_in("alice", "a-brand-new-password").status_code == 302


def test_password_is_stored_as_a_strong_hash(app, override_settings):
    from config import Settings

    override_settings(password_hash_method=Settings.password_hash_method)  # production's method
    with app.app_context():
        operator = operators.create("strong", PASSWORD)
    assert operator.password_hash.startswith("scrypt:")
    assert PASSWORD not in operator.password_hash


def test_session_cookie_flags(dashboard, operator):
    resp = dashboard.sign_in("alice", PASSWORD)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # Sandbox serves plain http locally; everywhere else the cookie is Secure.
    production = load_settings(
        {"WXAUTH_APPID": "wx1", "WXAUTH_SECRET": "s" * 32, "SECRET_KEY": "k" * 40, "WXAUTH_SERVER_NAME": "auth.example.com"},
        "/tmp",
    ).flask_config()
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True and production["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("endpoint", ["dashboard.login", "dashboard.overview", "dashboard.users"])
def test_security_headers(signed_in_client, endpoint):
    resp = signed_in_client.response(endpoint)
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"]


def test_pages_have_no_inline_script(signed_in_client):
    for endpoint in ("dashboard.overview", "dashboard.users", "dashboard.logins", "dashboard.failures"):
        soup = signed_in_client.page(endpoint)
        for script in soup.find_all("script"):
            assert script.get("src", "").startswith("/static/"), script
            assert not script.get_text(strip=True)
        assert not soup.select("[style]")
        assert not [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)]


def test_unknown_user_page_is_a_dashboard_404(signed_in_client):
    soup = signed_in_client.page("dashboard.user", status=404, user_id=999)
    assert "No user with that ID." in soup.get_text()
    assert soup.select_one("nav.nav")  # the dashboard's own layout, not a bare error
