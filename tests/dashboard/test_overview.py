"""The overview: totals, the per-day charts and the phone API's calls and success rate."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.dashboard import factories
from wxauth.models import utcnow


def total(soup, name: str) -> str:
    return soup.select_one(f"[data-total={name}]").get_text(" ", strip=True)


def bars(soup) -> dict[str, int]:
    return {r["data-day"]: int(r["data-value"]) for r in soup.select("#registrations-chart rect.bar")}


def test_empty_overview(signed_in_client):
    soup = signed_in_client.page("dashboard.overview")
    assert total(soup, "users") == "0"
    assert total(soup, "phone_share") == "—"
    assert len(bars(soup)) == 30 and set(bars(soup).values()) == {0}
    assert soup.select_one("[data-phone=rate_30d]").get_text() == "—"


ZONE = ZoneInfo("Asia/Shanghai")  # the operator's default time zone


@pytest.mark.parametrize("local_time", [time(12, 0), time(0, 1)], ids=["midday", "just-after-midnight"])
def test_totals(signed_in_client, app, overview_clock, local_time):
    yesterday = (utcnow().astimezone(ZONE) - timedelta(days=1)).date()
    now = overview_clock(datetime.combine(yesterday, local_time, ZONE))
    midnight = datetime.combine(yesterday, time(0, 0), ZONE)
    with app.app_context():
        # Five minutes ago, or the local midnight just gone: "today" is the operator's day.
        a = factories.user(created_at=max(now - timedelta(minutes=5), midnight), phone_number="13800138000")
        factories.user(created_at=midnight - timedelta(seconds=1))  # yesterday, however close
        factories.user(created_at=now - timedelta(days=3), phone_number="13800138001")
        factories.user(created_at=now - timedelta(days=20))
        b = factories.user(created_at=now - timedelta(days=45))
        factories.login(created_at=now - timedelta(hours=1), user_id=a.id)
        factories.login(created_at=now - timedelta(hours=2), user_id=a.id)
        factories.login(created_at=now - timedelta(days=3), user_id=b.id)
        factories.login(created_at=now - timedelta(days=2), outcome="invalid_code")
        factories.login(created_at=now - timedelta(hours=3), outcome="invalid_code")
        factories.failure(created_at=now - timedelta(hours=1))
        factories.failure(created_at=now - timedelta(days=2))
    soup = signed_in_client.page("dashboard.overview")
    assert total(soup, "users") == "5"
    assert total(soup, "new_today").startswith("1")
    assert total(soup, "new_7d") == "3"
    assert total(soup, "new_30d") == "4"
    assert total(soup, "phone_share") == "40.0%"
    assert total(soup, "logins_24h") == "2"
    assert total(soup, "active_7d") == "2"
    assert total(soup, "failures_24h") == "2"  # one failed login, one failed decryption


def test_registration_chart_counts_per_local_day(signed_in_client, app, overview_clock):
    zone = ZONE
    today = overview_clock().astimezone(zone).date()
    noon = lambda d: datetime(d.year, d.month, d.day, 12, tzinfo=zone)  # noqa: E731
    with app.app_context():
        for _ in range(3):
            factories.user(created_at=noon(today - timedelta(days=2)))
        factories.user(created_at=noon(today - timedelta(days=29)))
        factories.user(created_at=noon(today - timedelta(days=30)))  # outside the window
    chart = bars(signed_in_client.page("dashboard.overview"))
    assert list(chart) == [str(today - timedelta(days=n)) for n in range(29, -1, -1)]
    assert chart[str(today - timedelta(days=2))] == 3
    assert chart[str(today - timedelta(days=29))] == 1
    assert sum(chart.values()) == 4


def test_activity_charts(signed_in_client, app, overview_clock):
    now = overview_clock()
    with app.app_context():
        for _ in range(4):
            factories.login(created_at=now)
        factories.login(created_at=now, outcome="invalid_code")
        factories.failure(created_at=now)
    soup = signed_in_client.page("dashboard.overview")
    today = str(now.astimezone(ZONE).date())
    dots = soup.select(f"#activity-chart circle[data-day='{today}']")
    points = {dot["data-series"]: int(dot["data-value"]) for dot in dots}
    assert all(dot.select_one("title").get_text().endswith("so far") for dot in dots)
    assert points == {"logins": 4, "failed logins": 1, "decryption and phone failures": 1}


def test_phone_api_calls_and_success_rate(signed_in_client, api, sandbox):
    session = api.login()
    bad = api.post("/api/auth/phone", session, json={"code": "not-a-real-code"})
    assert bad.status_code == 400
    good = api.post("/api/auth/phone", session, json={"code": sandbox.phone_code(session.openid)})
    assert good.status_code == 200
    other = api.login()
    legacy = sandbox.encrypted_phone(other.openid)
    assert api.post("/api/auth/phone", other, json=legacy).status_code == 200
    soup = signed_in_client.page("dashboard.overview")
    phone = {el["data-phone"]: el.get_text() for el in soup.select("[data-phone]")}
    assert phone == {
        "calls_30d": "2",
        "succeeded_30d": "1",
        "failed_30d": "1",
        "rate_30d": "50.0%",
        "calls_24h": "2",
    }
    assert "40029" in soup.select_one("#phone-api table").get_text()


def test_scan_totals_are_stored_and_recounted_in_the_background(signed_in_client, app):
    import time

    from sqlalchemy import update

    from wxauth.extensions import db
    from wxauth.models import OverviewTotals

    assert total(signed_in_client.page("dashboard.overview"), "users") == "0"  # counted on the spot: none stored
    with app.app_context():
        factories.user()
    # Fresh figures are shown as stored: the page does not count the users table.
    assert total(signed_in_client.page("dashboard.overview"), "users") == "0"
    with app.app_context():
        db.session.execute(update(OverviewTotals).values(computed_at=utcnow() - timedelta(minutes=6)))
        db.session.commit()
    # Stale: still shown as stored while a background thread recounts.
    assert total(signed_in_client.page("dashboard.overview"), "users") == "0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app.app_context():
            row = db.session.get(OverviewTotals, 1)
            if row.users == 1:
                break
        time.sleep(0.05)
    assert row.users == 1 and row.refreshing_until is None
    soup = signed_in_client.page("dashboard.overview")
    assert total(soup, "users") == "1"


def test_the_last_day_is_drawn_as_today_so_far(signed_in_client, app, overview_clock):
    now = overview_clock()
    with app.app_context():
        factories.login(created_at=now)
        factories.user(created_at=now)
    soup = signed_in_client.page("dashboard.overview")
    today = str(now.astimezone(ZONE).date())
    for chart in soup.select("svg.chart"):
        marks = chart.select("rect.bar, circle.dot")
        partial = [m for m in marks if "partial" in m["class"]]
        assert partial and {m["data-day"] for m in partial} == {today}
        assert chart.select_one(".partial-note").get_text() == "today so far"


def test_phone_failures_name_each_errcodes_meaning(signed_in_client, app, overview_clock):
    now = overview_clock()
    with app.app_context():
        factories.failure(created_at=now, kind="phone_code", reason="wechat_errcode", wechat_errcode=40029)
    soup = signed_in_client.page("dashboard.overview")
    row = next(tr for tr in soup.select("table tbody tr") if "40029" in tr.get_text())
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells == ["Refused by WeChat", "40029 · invalid or expired code", "1"]


def test_people_count_a_unionid_once_across_apps(signed_in_client, app):
    with app.app_context():
        factories.user(unionid="oUnionTwoApps")
        factories.user(appid="wxother0000000003", unionid="oUnionTwoApps")  # the same person, another app
        factories.user(unionid="oUnionAlone")
        factories.user()  # no unionid: a person of their own
        factories.user()
    soup = signed_in_client.page("dashboard.overview")
    assert total(soup, "users") == "5"
    assert total(soup, "people") == "4"
