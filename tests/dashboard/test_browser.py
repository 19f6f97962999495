"""End to end in Debian's chromium: sign in, find a user, open them, revoke a session, read the charts."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_operator_finds_a_user_and_revokes_a_session(page, operator, api, sandbox):
    sandbox.user(openid="oBrowserUser", phoneNumber="13700001234", nickName="浏览器用户")
    session = api.login("oBrowserUser", userInfo={"nickName": "浏览器用户"})
    code = sandbox.phone_code(session.openid)
    assert api.post("/api/auth/phone", session, json={"code": code}).status_code == 200
    other = api.login()
    assert api.get("/api/me", session).status_code == 200

    page.goto("/dashboard/users")
    assert page.url.endswith("/dashboard/login?next=%2Fdashboard%2Fusers")
    page.fill("#username", operator.username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url("**/dashboard/users")

    page.fill("input[name=q]", "1234")
    page.click("form.filters button[type=submit]")
    rows = page.locator("tr[data-user-id]")
    assert rows.count() == 1
    assert rows.locator(".phone").inner_text() == "137****1234"
    rows.locator("a.nickname").click()
    page.wait_for_url(f"**/dashboard/users/{session.user['id']}")
    assert page.locator("h1").inner_text().startswith("浏")

    page.once("dialog", lambda dialog: dialog.accept())  # "Revoke all?" asks first
    page.click("#sessions button:has-text('Revoke all')")
    page.wait_for_selector(".flash-success")
    assert "Revoked 1 session" in page.locator(".flash-success").inner_text()
    assert api.get("/api/me", session).status_code == 401
    assert api.get("/api/me", other).status_code == 200

    page.click("nav a:has-text('Overview')")
    bars = page.locator("#registrations-chart rect.bar")
    assert bars.count() == 30
    values = [int(v) for v in bars.evaluate_all("els => els.map(e => e.dataset.value)")]
    assert sum(values) == 2 and values[-1] == 2  # both users registered today
    box = bars.last.bounding_box()
    assert box and box["height"] > 50  # drawn, and tall: the day's bar reaches the top of the axis
    assert page.locator("[data-total=users]").inner_text() == "2"
    assert page.js_errors == []


def test_dismissing_the_confirmation_revokes_nothing(page, dashboard_login, api):
    session = api.login()
    dashboard_login(page)
    page.goto(f"/dashboard/users/{session.user['id']}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#sessions button:has-text('Revoke all')")
    page.goto(f"/dashboard/users/{session.user['id']}")
    assert page.locator("tr[data-session]").count() == 1
    assert api.get("/api/me", session).status_code == 200
