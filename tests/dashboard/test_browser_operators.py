"""In Debian's chromium: an admin enrols TOTP (codes computed with pyotp, as an authenticator
app would), signs in with a code and with a recovery code, creates a viewer and a support
operator, and each role walks through the pages it may see."""

from __future__ import annotations

import time

import pyotp
import pytest

pytestmark = pytest.mark.browser

PASSWORD = "browser-operator-password"


def sign_in(page, username: str, password: str) -> None:
    page.goto("/dashboard/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in")


def sign_out(page) -> None:
    page.click("nav form[action$='/logout'] button")
    page.wait_for_url("**/dashboard/login")


def test_an_admin_enrols_totp_and_signs_in_with_a_code_then_a_recovery_code(page, dashboard_login):
    dashboard_login(page, "root", role="admin")
    page.click("a.nav-operator")
    page.click("a[href$='/settings/mfa']")
    assert page.locator("#totp-qr svg").is_visible()
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    totp = pyotp.TOTP(secret)
    page.fill("input[name=code]", totp.now())
    page.click("#enrol button[type=submit]")
    codes = page.locator("[data-recovery-code]").all_inner_texts()
    assert len(codes) == 10
    page.click("#recovery-codes a.button")
    sign_out(page)

    sign_in(page, "root", PASSWORD)
    page.wait_for_url("**/dashboard/login/code")
    page.fill("input[name=code]", totp.at(time.time() + 30))  # the next step: the enrolment used this one
    page.click("#verify")
    page.wait_for_url("**/dashboard/")
    sign_out(page)

    sign_in(page, "root", PASSWORD)
    page.wait_for_url("**/dashboard/login/code")
    page.fill("input[name=code]", codes[0])
    page.click("#verify")
    page.wait_for_url("**/dashboard/")
    page.click("a.nav-operator")
    assert "9 recovery codes left" in page.locator("#mfa").inner_text()
    sign_out(page)

    sign_in(page, "root", PASSWORD)  # a recovery code is good once
    page.fill("input[name=code]", codes[0])
    page.click("#verify")
    assert "already used" in page.locator("#sign-in-error").inner_text()
    # the refused code's page is a 401, which the console reports; nothing else may fail
    assert [e for e in page.js_errors if "status of 401" not in e] == []


def _create(page, username: str, role: str) -> str:
    page.goto("/dashboard/operators")
    page.fill("input[name=username]", username)
    page.select_option("select#role", role)
    page.click("form[action$='/operators'] button[type=submit]")
    return page.locator("[data-one-time-password]").inner_text()


def _first_sign_in(browser, live_url, username: str, one_time: str):
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, username, one_time)
    page.wait_for_url("**/dashboard/settings/password")
    assert page.locator("#must-change").is_visible()
    page.fill("#current", one_time)
    page.fill("#new", PASSWORD + "-" + username)
    page.fill("#repeat", PASSWORD + "-" + username)
    page.click("form[action$='/settings/password'] button[type=submit]")
    page.wait_for_url("**/dashboard/settings")
    return context, page


def test_each_role_walks_its_pages(page, browser, live_url, dashboard_login, api, sandbox):
    sandbox.user(openid="oRoleWalk", phoneNumber="13600001234", nickName="角色")
    session = api.login("oRoleWalk", userInfo={"nickName": "角色"})
    assert api.post("/api/auth/phone", session, json={"code": sandbox.phone_code(session.openid)}).status_code == 200
    user_page = f"/dashboard/users/{session.user['id']}"

    dashboard_login(page, "root", role="admin")
    viewer_password = _create(page, "vera", "viewer")
    support_password = _create(page, "sam", "support")
    assert page.locator("tr[data-operator=vera] select[name=role]").input_value() == "viewer"

    viewer_context, viewer = _first_sign_in(browser, live_url, "vera", viewer_password)
    for path in (
        "/dashboard/",
        "/dashboard/users",
        "/dashboard/logins",
        "/dashboard/failures",
        "/dashboard/audit",
        "/dashboard/clients",
    ):
        assert viewer.goto(path).status == 200, path
    assert viewer.locator("a[download]").count() == 0
    assert viewer.locator("nav a[href='/dashboard/operators']").count() == 0
    viewer.goto(user_page)
    assert viewer.locator("#phone-number").inner_text() == "136****1234"
    assert viewer.locator("button[name=reveal]").count() == 0
    assert viewer.locator("#sessions button").count() == 0
    assert viewer.goto("/dashboard/operators").status == 403
    assert viewer.goto("/dashboard/users.csv").status == 403
    viewer_context.close()

    support_context, support = _first_sign_in(browser, live_url, "sam", support_password)
    support.goto("/dashboard/users")
    assert support.locator("a[download]").count() == 1
    support.goto(user_page)
    support.click("button[name=reveal]")
    support.wait_for_selector("#phone-number:has-text('13600001234')")
    assert support.locator("form[action$='/delete']").count() == 0
    assert support.goto("/dashboard/operators").status == 403
    support_context.close()

    page.goto("/dashboard/audit")
    page.select_option("select[name=action]", "phone_reveal")
    page.click("form.filters button[type=submit]")
    rows = page.locator("tr[data-action=phone_reveal]")
    assert rows.count() == 1 and "sam" in rows.inner_text()
    page.goto(user_page)
    assert page.locator("form[action$='/delete'] button").count() == 1
    assert page.js_errors == []
