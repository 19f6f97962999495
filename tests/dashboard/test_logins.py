"""The logins list: every filter, the columns, time zones and empty states."""

from __future__ import annotations

import pytest

from tests.dashboard import factories
from tests.dashboard.factories import at


def outcomes(soup) -> list[str]:
    return [tr["data-outcome"] for tr in soup.select("tr[data-outcome]")]


@pytest.fixture()
def events(app):
    with app.app_context():
        user = factories.user(nickname="阿登", openid="oLoginUser")
        factories.login(
            created_at=at("2026-03-01 02:00"),
            outcome="success",
            user_id=user.id,
            openid="oLoginUser",
            upstream_ms=120,
            ip="1.2.3.4",
            user_agent="Mozilla/5.0 (iPhone) MicroMessenger/8.0.50",
        )
        factories.login(created_at=at("2026-03-02 02:00"), outcome="invalid_code", wechat_errcode=40029, upstream_ms=35)
        factories.login(created_at=at("2026-03-03 02:00"), outcome="wechat_unavailable", appid="wxsecondapp000001")
        factories.login(created_at=at("2026-03-04 02:00"), outcome="success", openid="oSomeoneElse")
        return user


def test_lists_logins_newest_first_with_details(signed_in_client, events):
    soup = signed_in_client.page("dashboard.logins")
    assert outcomes(soup) == ["success", "wechat_unavailable", "invalid_code", "success"]
    oldest = soup.select("tr[data-outcome]")[-1].get_text(" ", strip=True)
    for shown in ("3/1/2026, 10:00:00", "阿登", "oLoginUser", "120 ms", "1.2.3.4", "iPhone · WeChat 8.0.50"):
        assert shown in oldest
    assert "40029" in soup.select("tr[data-outcome]")[2].get_text()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"outcome": "success"}, ["success", "success"]),
        ({"outcome": "failed"}, ["wechat_unavailable", "invalid_code"]),
        ({"outcome": "invalid_code"}, ["invalid_code"]),
        ({"app": factories.APPID}, ["success", "invalid_code", "success"]),
        ({"openid": "oLoginUser"}, ["success"]),
        ({"from": "2026-03-02", "to": "2026-03-03"}, ["wechat_unavailable", "invalid_code"]),
        ({"from": "2026-03-04"}, ["success"]),
        ({"to": "2026-03-01"}, ["success"]),
        ({"outcome": "success", "from": "2026-03-02"}, ["success"]),
    ],
)
def test_filters(signed_in_client, events, args, expected):
    assert outcomes(signed_in_client.page("dashboard.logins", **args)) == expected


def test_dates_are_days_in_the_operators_time_zone(signed_in_client, app):
    with app.app_context():
        # 17:00 UTC on the 1st is 01:00 on the 2nd in Shanghai.
        factories.login(created_at=at("2026-03-01 17:00"), outcome="success")
    soup = signed_in_client.page("dashboard.logins", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert outcomes(soup) == ["success"]
    assert "3/2/2026, 01:00:00" in soup.select_one("tr[data-outcome]").get_text()
    assert outcomes(signed_in_client.page("dashboard.logins", to="2026-03-01")) == []


def test_operator_time_zone_setting(signed_in_client, app):
    with app.app_context():
        factories.login(created_at=at("2026-03-01 17:00"), outcome="success")
    page = signed_in_client.page("dashboard.settings")
    resp = signed_in_client.submit(page, signed_in_client.url("dashboard.settings"), data={"time_zone": "Europe/Paris"})
    assert resp.status_code == 302
    soup = signed_in_client.page("dashboard.logins")
    assert "3/1/2026, 18:00:00" in soup.select_one("tr[data-outcome]").get_text()
    assert "Europe/Paris" in soup.select_one(".footer").get_text()


def test_settings_refuse_an_unknown_zone(signed_in_client):
    page = signed_in_client.page("dashboard.settings")
    assert (
        signed_in_client.submit(page, signed_in_client.url("dashboard.settings"), data={"time_zone": "Mars/Olympus"}).status_code
        == 200
    )
    assert "Asia/Shanghai" in signed_in_client.page("dashboard.logins").select_one(".footer").get_text()


def test_empty_states(signed_in_client, events):
    soup = signed_in_client.page("dashboard.logins", outcome="user_blocked")
    assert soup.select_one(".empty-title").get_text() == "No login matches these filters."
    assert soup.select_one(".empty a")["href"] == "/dashboard/logins"


def test_empty_state_without_logins(signed_in_client):
    assert signed_in_client.page("dashboard.logins").select_one(".empty-title").get_text() == "No logins yet."


def test_user_agent_and_ip_are_escaped(signed_in_client, app):
    with app.app_context():
        factories.login(outcome="success", user_agent='"><script>alert(1)</script>', openid="<b>o</b>")
    soup = signed_in_client.page("dashboard.logins")
    assert not [s for s in soup.find_all("script") if "alert" in s.get_text()]
    assert not soup.select("tbody b")
    assert soup.select_one("tr[data-outcome] .truncate[title]")


def test_real_api_logins_are_listed(signed_in_client, api, client):
    api.login()
    client.post("/api/auth/login", json={"code": "0" * 32})
    soup = signed_in_client.page("dashboard.logins")
    assert outcomes(soup) == ["invalid_code", "success"]


@pytest.mark.parametrize("endpoint", ["dashboard.logins", "dashboard.failures"])
def test_filter_by_user_id_nickname_or_phone_last_four(signed_in_client, app, endpoint):
    from tests.dashboard import factories as f

    with app.app_context():
        dong = f.user(nickname="阿东", phone_country_code="86", phone_number="13800138000")
        red = f.user(nickname="小红", phone_country_code="86", phone_number="13912345678")
        dong_id, red_id = dong.id, red.id
        for user in (dong, red):
            if endpoint == "dashboard.logins":
                f.login(user_id=user.id, openid=user.openid)
            else:
                f.failure(user_id=user.id)
    for q, expected in ((str(red_id), {red_id}), ("阿东", {dong_id}), ("8000", {dong_id}), ("5678", {red_id}), ("nobody", set())):
        page = signed_in_client.page(endpoint, q=q)
        shown = {int(a["href"].rsplit("/", 1)[1]) for a in page.select("tbody a[href*='/dashboard/users/']")}
        assert shown == expected, (q, shown)
