"""The dashboard in Chinese (the default) and English: complete catalogs, compiled, and no
page left half-translated; dates, numbers and failure hints in the operator's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup

from tests.dashboard import factories
from tests.dashboard.conftest import PASSWORD
from wxauth.factory import ROOT, create_app
from wxauth.services import operators

CATALOGS = ROOT / "wxauth" / "translations"
LOCALES = ("zh_Hans", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}


def _extracted() -> set:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.add(message)
    return found


def _catalog(locale: str):
    with open(CATALOGS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _strings(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_in_the_code_is_translated(locale):
    catalog = _catalog(locale)
    untranslated, fuzzy, placeholders = [], [], []
    for message in _extracted():
        key = message if isinstance(message, str) else message[0]
        entry = catalog.get(key)
        if entry is None or not all(_strings(entry.string)):
            untranslated.append(key)
            continue
        if entry.fuzzy:
            fuzzy.append(key)
        wanted = set(PLACEHOLDER.findall(" ".join(_strings(entry.id))))
        if any(set(PLACEHOLDER.findall(s)) - wanted for s in _strings(entry.string)):
            placeholders.append(key)
    assert untranslated == [], "run scripts/translations update, translate, then compile"
    assert fuzzy == [] and placeholders == []


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogs_are_those_of_the_po_files(locale):
    catalog = _catalog(locale)
    with open(CATALOGS / locale / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = read_mo(mo)

    def frozen(value):
        return value if isinstance(value, str) else tuple(value)

    expected = {frozen(m.id): frozen(m.string) for m in catalog if m.id}
    got = {frozen(m.id): frozen(m.string) for m in compiled if m.id}
    assert got == expected, "run scripts/translations compile"


PAGES = [
    ("dashboard.overview", {}),
    ("dashboard.users", {}),
    ("dashboard.logins", {}),
    ("dashboard.failures", {}),
    ("dashboard.signup", {}),
    ("dashboard.clients_page", {}),
    ("dashboard.webhooks", {}),
    ("dashboard.audit_log", {}),
    ("dashboard.reveals", {}),
    ("dashboard.deletions", {}),
    ("dashboard.operators_page", {}),
    ("dashboard.settings", {}),
    ("dashboard.password", {}),
    ("dashboard.mfa_page", {}),
    ("dashboard.logins", {"from": "not-a-date"}),
]
# Names that stay as they are in Chinese text: products, WeChat's own terms, the demo app.
KEPT = {
    "wxauth sandbox demo",
    "getPhoneNumber code",
    "userInfo encryptedData",
    "HTTP Basic",
    "Google Authenticator",
    "Microsoft Authenticator",
}
ENGLISH = re.compile(r"[A-Za-z][A-Za-z'-]+(?: [A-Za-z][A-Za-z'-]+)+")


def _english_left(soup: BeautifulSoup) -> set[str]:
    for tag in soup(["script", "style", "code"]):
        tag.decompose()
    texts = list(soup.find_all(string=True))
    texts += [el[attr] for attr in ("title", "placeholder", "aria-label") for el in soup.find_all(attrs={attr: True})]
    return {m for text in texts for m in ENGLISH.findall(str(text))} - KEPT


@pytest.fixture()
def chinese_dashboard(signed_in_client, app):
    """Alice's dashboard in Chinese, with a row on every list."""
    with app.app_context():
        operators.set_locale(operators.get("alice"), "zh_Hans")
        user = factories.user(nickname="阿中", phone_country_code="86", phone_number="13712345678")
        factories.session(user.id, ip="1.2.3.4")
        factories.login(user_id=user.id, outcome="invalid_code", wechat_errcode=40029, upstream_ms=12)
        factories.login(user_id=user.id, user_agent="Mozilla/5.0 (iPhone) MicroMessenger/8.0.50")
        factories.failure(user_id=user.id, reason="bad_padding", session_key_age_s=4000)
        factories.failure(user_id=user.id, kind="phone_code", reason="wechat_errcode", wechat_errcode=40029)
    return signed_in_client, user


def test_no_page_is_half_translated_in_chinese(chinese_dashboard):
    dashboard, user = chinese_dashboard
    left = {}
    for endpoint, values in [*PAGES, ("dashboard.user", {"user_id": user.id})]:
        resp = dashboard.response(endpoint, **values)
        assert resp.status_code in (200, 400), endpoint
        soup = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
        assert soup.html["lang"] == "zh-Hans"
        if found := _english_left(soup):
            left[endpoint] = sorted(found)
    for code in (403, 404):
        resp = dashboard.client.get("/dashboard/operators" if code == 403 else "/dashboard/nowhere")
        if found := _english_left(BeautifulSoup(resp.get_data(as_text=True), "html.parser")):
            left[code] = sorted(found)
    assert left == {}


def test_the_check_finds_english_left_in_a_chinese_page():
    soup = BeautifulSoup('<p>概览</p><p title="Export this list">导出</p><p>Some text left over</p>', "html.parser")
    assert _english_left(soup) == {"Export this list", "Some text left over"}


def test_failure_reasons_and_their_hints_are_translated(chinese_dashboard):
    dashboard, _user = chinese_dashboard
    text = dashboard.page("dashboard.failures").get_text(" ")
    assert "填充错误" in text  # bad_padding
    assert "数据生成后 session_key 已变化" in text  # its hint
    assert "code 无效：已过期" in text  # errcode 40029's hint


def test_dates_and_numbers_follow_the_locale(chinese_dashboard, app):
    dashboard, _user = chinese_dashboard
    with app.app_context():
        factories.login(created_at=factories.at("2026-03-01 02:00"), outcome="success")
    zh = dashboard.page("dashboard.logins", **{"from": "2026-03-01", "to": "2026-03-01"})
    assert zh.select_one("tr[data-outcome] td").get_text(strip=True) == "2026/3/1 10:00:00"
    failures = dashboard.page("dashboard.failures").get_text(" ")
    assert "1 小时 6 分钟" in failures  # session_key_age_s=4000
    with app.app_context():
        operators.set_locale(operators.get("alice"), "en")
    en = dashboard.page("dashboard.logins", **{"from": "2026-03-01", "to": "2026-03-01"})
    assert en.select_one("tr[data-outcome] td").get_text(strip=True) == "3/1/2026, 10:00:00"
    assert "1 h 6 min" in dashboard.page("dashboard.failures").get_text(" ")


def test_each_operator_switches_and_the_choice_stays(signed_in_client, app):
    page = signed_in_client.page("dashboard.users")
    assert page.html["lang"] == "en"
    resp = signed_in_client.submit(page, signed_in_client.url("dashboard.language"), {"locale": "zh_Hans"})
    assert resp.headers["Location"].startswith(signed_in_client.url("dashboard.users"))
    assert signed_in_client.page("dashboard.users").select_one("h1").get_text(strip=True) == "用户"
    with app.app_context():
        assert operators.get("alice").locale == "zh_Hans"
    bad = signed_in_client.submit(
        signed_in_client.page("dashboard.users"), signed_in_client.url("dashboard.language"), {"locale": "fr"}
    )
    assert bad.status_code == 400


def test_the_deployment_speaks_chinese_by_default_and_the_sign_in_page_can_switch(app, app_env):
    env = {k: v for k, v in app_env.items() if k != "WXAUTH_DASHBOARD_LOCALE"}
    default = create_app({"TESTING": True}, environ=env, settings={"password_hash_method": "pbkdf2:sha256:1000"})
    client = default.test_client()
    soup = BeautifulSoup(client.get("/dashboard/login").get_data(as_text=True), "html.parser")
    assert soup.html["lang"] == "zh-Hans" and soup.select_one("#sign-in").get_text(strip=True) == "登录"
    switch = soup.select_one("form.language-switch")
    token = switch.select_one("input[name=csrf_token]")["value"]
    assert client.post(switch["action"], data={"csrf_token": token, "locale": "en"}).status_code == 302
    soup = BeautifulSoup(client.get("/dashboard/login").get_data(as_text=True), "html.parser")
    assert soup.html["lang"] == "en" and soup.select_one("#sign-in").get_text(strip=True) == "Sign in"
    with default.app_context():
        operators.create("zoe", PASSWORD, role="viewer")
    form = soup.select_one("form[action='/dashboard/login']")
    data = {"csrf_token": form.select_one("input[name=csrf_token]")["value"], "username": "zoe", "password": PASSWORD}
    assert client.post("/dashboard/login", data=data).status_code == 302
    # the choice made before signing in holds after it, until the operator picks one
    assert BeautifulSoup(client.get("/dashboard/").get_data(as_text=True), "html.parser").html["lang"] == "en"


def test_the_scripts_catalogs_are_where_the_app_reads_them(app):
    assert Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]) == CATALOGS
    assert {p.name for p in CATALOGS.iterdir() if p.is_dir()} == set(LOCALES)
