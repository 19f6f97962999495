"""The mini-program simulator at /_sandbox/: served in sandbox mode only, CSP-clean, and
clicked through in a real browser against the real API."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from wxauth.extensions import db
from wxauth.factory import ROOT, create_app
from wxauth.models import ApiSession, User

OPENID = "oSimulatorE2E01"
PHONE = "13912345678"
NICKNAME = "模拟用户"


# -- served, and only in sandbox mode --------------------------------------------------------


def test_simulator_is_not_mounted_outside_sandbox_mode(tmp_path):
    app = create_app(
        {"TESTING": True},
        environ={
            "WXAUTH_SANDBOX": "0",
            "WXAUTH_SERVER_NAME": "localhost",
            "WXAUTH_APPID": "wx0123456789abcdef",
            "WXAUTH_SECRET": "a-real-looking-app-secret-0123456789",
            "SECRET_KEY": "x" * 48,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        },
    )
    client = app.test_client()
    for path in ("/_sandbox/", "/_sandbox/kit/wxauth.js", "/_sandbox/api/users"):
        assert client.get(path).status_code == 404, path
    assert "sandbox" not in app.blueprints


def test_simulator_page_is_csp_clean(client):
    resp = client.get("/_sandbox/")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    soup = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    scripts = soup.find_all("script")
    assert scripts and all(s.get("src", "").startswith("/") and not s.string for s in scripts)
    assert not soup.find_all("style") and not soup.select("[style]")
    assert not [tag for tag in soup.find_all(True) if any(attr.startswith("on") for attr in tag.attrs)]
    # Everything the page loads is served here.
    assets = [s["src"] for s in scripts] + [link["href"] for link in soup.find_all("link", rel="stylesheet")]
    for url in assets:
        assert client.get(url).status_code == 200, url


def test_simulator_runs_the_kit_from_its_one_source(client):
    for name in ("wxauth.js", "sandbox-wx.js"):
        resp = client.get(f"/_sandbox/kit/{name}")
        assert resp.status_code == 200
        assert resp.mimetype == "text/javascript"
        assert resp.get_data() == (ROOT / "clients" / "miniprogram" / name).read_bytes()
    for name in ("app.js", "..%2Fwxauth.js", "test%2Fsupport.js"):
        assert client.get(f"/_sandbox/kit/{name}").status_code == 404, name


# -- in a browser ------------------------------------------------------------------------


class Simulator:
    """The simulator page, by what a developer sees and clicks."""

    def __init__(self, page):
        self.page = page
        self.responses = []
        page.on("response", lambda response: self.responses.append(response))
        page.goto("/_sandbox/")
        page.wait_for_selector("#simulator[data-ready=true]")

    def idle(self) -> None:
        self.page.wait_for_selector("#simulator[data-busy=false]")

    def tap(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()
        self.idle()

    def create_user(self, openid: str, phone: str) -> None:
        self.page.get_by_text("Create a user").click()
        form = self.page.locator("#user-form")
        form.locator("input[name=openid]").fill(openid)
        form.locator("input[name=phoneNumber]").fill(phone)
        form.get_by_role("button", name="Create user").click()
        self.page.wait_for_selector(f"#user-select option[value='{openid}']", state="attached")
        assert self.page.input_value("#user-select") == openid

    def phone(self, choice: str) -> None:
        self.tap("绑定手机号")
        self.tap(choice)

    def fill_profile(self, nickname: str, avatar: int) -> None:
        self.page.get_by_role("radio", name=f"头像 {avatar}").click()
        self.page.fill("#mp-nickname", nickname)
        self.tap("保存头像和昵称")

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()

    def calls(self, group: int = -1) -> list[tuple[str, str, str]]:
        """(who, path, status) of every call in one action of the timeline (default: the last)."""
        rows = self.page.evaluate(
            """(index) => {
                const groups = [...document.querySelectorAll('#timeline .tl-group')]
                const group = groups.at(index)
                return [...group.querySelectorAll('.tl-call summary')].map((s) => [
                  s.querySelector('.tl-who').textContent,
                  s.querySelector('.tl-path').textContent,
                  s.querySelector('.tl-status').textContent,
                ])
            }""",
            group,
        )
        return [tuple(row) for row in rows]

    def result(self) -> str:
        return self.page.locator("#timeline .tl-group").last.locator(".tl-result summary").inner_text()

    def js_errors(self) -> list[str]:
        # The browser logs every 4xx answer; those the flow provokes are checked in the timeline.
        return [e for e in self.page.js_errors if not re.match(r"Failed to load resource: .* status of 4\d\d", e)]

    def bodies(self) -> str:
        return "\n".join(r.text() for r in self.responses if "/api/" in r.url)


def _user(app, openid: str) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.openid == openid))


def _live_sessions(app, user_id: int) -> int:
    with app.app_context():
        rows = db.session.scalars(select(ApiSession).where(ApiSession.user_id == user_id)).all()
        return sum(1 for s in rows if s.revoked_at is None)


def run_main_flow(sim: Simulator) -> None:
    """login → phone allowed → profile → logout, checking the phone screen at each step."""
    sim.create_user(OPENID, PHONE)

    sim.tap("微信一键登录")
    assert sim.text("#mp-name") == "微信用户"
    assert sim.calls() == [("wx.login", "/_sandbox/api/login-code", "200"), ("API", "/api/auth/login", "200")]

    sim.phone("允许")
    assert sim.text("#mp-phone") == PHONE
    assert ("API", "/api/auth/phone", "200") in sim.calls()

    sim.fill_profile(NICKNAME, avatar=3)
    assert sim.text("#mp-name") == NICKNAME
    assert sim.calls() == [("API", "/api/me", "200")]

    sim.tap("退出登录")
    assert sim.calls() == [("API", "/api/auth/logout", "200")]
    assert sim.page.get_by_role("button", name="微信一键登录").is_visible()
    assert sim.text("#storage-empty") == "Nothing stored: logged out."


@pytest.mark.browser
def test_login_phone_profile_logout(page, app):
    sim = Simulator(page)
    run_main_flow(sim)

    user = _user(app, OPENID)
    assert user is not None
    assert (user.phone_number, user.phone_country_code) == (PHONE, "86")
    assert user.nickname == NICKNAME
    assert user.avatar_url.endswith("/static/sandbox/avatars/3.svg")
    assert _live_sessions(app, user.id) == 0
    assert "session_key" not in sim.text("#timeline")
    assert "session_key" not in sim.bodies()
    assert sim.js_errors() == []


@pytest.mark.browser
def test_one_tap_phone_login_before_login(page, app):
    sim = Simulator(page)
    sim.create_user("oSimulatorOneTap01", "13900001111")
    sim.tap("手机号一键登录")
    assert not page.locator("#sheet-legacy").is_visible()  # a one-tap login sends a code
    sim.tap("允许")
    assert sim.text("#mp-phone") == "13900001111"
    calls = sim.calls()
    assert ("API", "/api/auth/login", "200") in calls
    assert not [c for c in calls if c[1] == "/api/auth/phone"]  # one request did both
    assert _user(app, "oSimulatorOneTap01").phone_number == "13900001111"

    sim.tap("退出登录")
    sim.tap("手机号一键登录")
    sim.tap("不允许")  # declined: logged in all the same, without the phone
    assert sim.page.get_by_role("button", name="退出登录").is_visible()
    assert sim.js_errors() == []


@pytest.mark.browser
def test_a_newcomer_logs_in_with_the_phone_in_one_tap(page, app):
    sim = Simulator(page)
    assert page.input_value("#user-select") == ""
    sim.tap("手机号一键登录")
    sim.tap("允许")
    openid = page.input_value("#user-select")
    assert openid and _user(app, openid).phone_number == "13800138000"
    assert sim.js_errors() == []


@pytest.mark.browser
def test_a_newcomer_logs_in_and_binds_a_phone_without_any_setup(page, app):
    sim = Simulator(page)
    assert page.input_value("#user-select") == ""  # an empty sandbox: "a new user, created on first login"

    sim.tap("微信一键登录")
    sim.phone("允许")

    openid = page.input_value("#user-select")
    assert openid and sim.text("#fact-openid") == openid
    assert sim.text("#mp-phone") == "13800138000"  # what the sandbox's WeChat answers for a user without a phone
    assert _user(app, openid).phone_number == "13800138000"
    assert sim.js_errors() == []


@pytest.mark.browser
def test_denied_and_legacy_phone(page, app):
    sim = Simulator(page)
    sim.create_user("oSimulatorLegacy", "13700001111")
    sim.tap("微信一键登录")

    sim.phone("不允许")
    assert "denied" in sim.text("#mp-notice")
    assert sim.calls() == []  # a denial sends nothing
    assert '"denied"' in sim.result()
    assert _user(app, "oSimulatorLegacy").phone_number is None

    sim.phone("允许（旧版 encryptedData）")
    assert sim.text("#mp-phone") == "13700001111"
    # The legacy path: WeChat seals the data, the kit posts it; no wx.login in between.
    assert sim.calls() == [("getPhoneNumber", "/_sandbox/api/encrypted-phone", "200"), ("API", "/api/auth/phone", "200")]
    assert _user(app, "oSimulatorLegacy").phone_number == "13700001111"
    assert sim.js_errors() == []


@pytest.mark.browser
def test_injected_wechat_fault_shows_in_the_timeline(page, app):
    sim = Simulator(page)
    page.select_option("#fault-form select[name=endpoint]", "jscode2session")
    page.select_option("#fault-form select[name=fault]", "errcode:40226")
    page.get_by_role("button", name="Inject", exact=True).click()
    page.wait_for_selector("#fault-status.status-armed")

    sim.tap("微信一键登录")
    assert sim.calls()[-1] == ("API", "/api/auth/login", "403")
    assert sim.text("#mp-notice").startswith("user_blocked")
    assert sim.text("#fault-status") == "No fault armed."

    sim.tap("微信一键登录")  # the fault was for one call only
    assert sim.calls()[-1] == ("API", "/api/auth/login", "200")
    assert sim.js_errors() == []


@pytest.mark.browser
def test_revoked_token_is_replayed_after_one_login(page, app):
    sim = Simulator(page)
    sim.tap("微信一键登录")
    sim.tap("Revoke token on server")
    sim.tap("auth.request(GET /api/me)")
    assert sim.calls() == [
        ("API", "/api/me", "401"),
        ("wx.login", "/_sandbox/api/login-code", "200"),
        ("API", "/api/auth/login", "200"),
        ("API", "/api/me", "200"),
    ]
    assert sim.js_errors() == []


@pytest.mark.browser
def test_dashboard_lists_the_simulated_user(page, app, request):
    # The last step. The dashboard is built on another branch; this runs once it is here.
    if "dashboard" not in app.blueprints:
        pytest.skip("no dashboard blueprint in this build yet")
    sim = Simulator(page)
    run_main_flow(sim)
    try:
        sign_in = request.getfixturevalue("dashboard_login")
    except pytest.FixtureLookupError:
        pytest.fail("the dashboard tests should provide a `dashboard_login(page)` fixture that signs an operator in")
    sign_in(page)
    page.goto("/dashboard/users")
    assert page.get_by_text(OPENID).first.is_visible()
    assert page.get_by_text(NICKNAME).first.is_visible()


@pytest.mark.browser
def test_the_simulator_opens_as_a_new_user_even_when_simulated_users_exist(page, sandbox):
    sandbox.user(nickName="someone earlier")
    sim = Simulator(page)
    assert page.input_value("#user-select") == ""
    assert sim.js_errors() == []


@pytest.mark.browser
def test_linked_apps_and_account_deletion(page, app, api, client, sandbox, override_settings):
    import dataclasses

    from config import Apps, MiniApp

    default = app.extensions["wxauth.settings"].apps.default
    shop = MiniApp("wxsimulatorshop01", "secret-" + "q" * 24, "积分商城")
    override_settings(apps=Apps([default, dataclasses.replace(shop)]))
    code, _ = sandbox.login_code(appid=shop.appid, unionid="oUnionSimulator")
    assert client.post("/api/auth/login", json={"code": code, "appid": shop.appid}).status_code == 200

    sim = Simulator(page)
    sim.page.get_by_text("Create a user").click()
    form = sim.page.locator("#user-form")
    form.locator("input[name=openid]").fill("oSimulatorLinked1")
    form.locator("input[name=unionid]").fill("oUnionSimulator")
    form.get_by_role("button", name="Create user").click()
    sim.page.wait_for_selector("#user-select option[value='oSimulatorLinked1']", state="attached")

    sim.tap("微信一键登录")
    sim.tap("auth.request(GET /api/me)")
    assert sim.text("#mp-linked") == "积分商城"

    user_id = _user(app, "oSimulatorLinked1").id
    sim.tap("注销账号")
    sim.tap("确定注销")
    assert sim.calls() == [("API", "/api/me", "200")]
    assert sim.page.get_by_role("button", name="微信一键登录").is_visible()
    assert sim.text("#storage-empty") == "Nothing stored: logged out."
    assert _user(app, "oSimulatorLinked1") is None
    sim.tap("微信一键登录")  # the same WeChat user again: a new user
    assert _user(app, "oSimulatorLinked1").id != user_id
    assert sim.js_errors() == []
