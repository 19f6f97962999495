"""The users list: search, filters, order, keyset pages, empty states, masks and escaping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.dashboard import factories
from tests.dashboard.conftest import texts
from wxauth.models import utcnow


def ids(soup) -> list[int]:
    return [int(tr["data-user-id"]) for tr in soup.select("tr[data-user-id]")]


@pytest.fixture()
def people(app):
    """Four users, newest first: dong (phone), xiaohong (phone, unionid), Kevin, nobody."""
    now = utcnow()
    with app.app_context():
        rows = [
            factories.user(
                nickname="阿东",
                phone_country_code="86",
                phone_number="13800138000",
                created_at=now - timedelta(hours=1),
            ),
            factories.user(
                nickname="小红",
                unionid="oUnionRed",
                phone_country_code="86",
                phone_number="13912345678",
                created_at=now - timedelta(hours=2),
            ),
            factories.user(nickname="Kevin_Z", openid="oKevinOpenid", created_at=now - timedelta(hours=3)),
            factories.user(nickname=None, created_at=now - timedelta(hours=4)),
        ]
        return {name: row.id for name, row in zip(("dong", "red", "kevin", "anon"), rows, strict=True)}


def test_lists_users_newest_first(signed_in_client, people):
    soup = signed_in_client.page("dashboard.users")
    assert ids(soup) == [people["dong"], people["red"], people["kevin"], people["anon"]]
    assert "(no nickname)" in soup.get_text()


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("8000", ["dong"]),  # last 4 digits of a phone
        ("5678", ["red"]),
        ("13912345678", ["red"]),  # the whole number
        ("oKevinOpenid", ["kevin"]),  # openid, exactly
        ("oUnionRed", ["red"]),  # unionid, exactly
        ("kevin", ["kevin"]),  # part of a nickname, any case
        ("红", ["red"]),
        ("oKevin", []),  # openids match whole, not in part
        ("9999", []),
    ],
)
def test_search(signed_in_client, people, q, expected):
    soup = signed_in_client.page("dashboard.users", q=q)
    assert ids(soup) == [people[name] for name in expected]
    if not expected:
        assert "No user matches these filters." in soup.get_text()


def test_search_by_user_id(signed_in_client, people):
    soup = signed_in_client.page("dashboard.users", q=str(people["kevin"]))
    assert people["kevin"] in ids(soup)


def test_search_treats_like_wildcards_as_text(signed_in_client, people, app):
    with app.app_context():
        pct = factories.user(nickname="100%真").id
    assert ids(signed_in_client.page("dashboard.users", q="%")) == [pct]
    assert ids(signed_in_client.page("dashboard.users", q="_")) == [people["kevin"]]


def test_filter_by_phone_bound(signed_in_client, people):
    assert ids(signed_in_client.page("dashboard.users", phone="bound")) == [people["dong"], people["red"]]
    assert ids(signed_in_client.page("dashboard.users", phone="unbound")) == [people["kevin"], people["anon"]]


def test_filter_by_app(signed_in_client, people, app, override_settings):
    from config import Apps, MiniApp
    from wxauth import settings

    other = MiniApp("wxother0000000001", "secret-" + "x" * 24, "Other shop")
    with app.app_context():
        override_settings(apps=Apps([*settings.apps(), other]))
    with app.app_context():
        shop = factories.user(appid=other.appid, nickname="店员").id
    assert ids(signed_in_client.page("dashboard.users", app=other.appid)) == [shop]
    soup = signed_in_client.page("dashboard.users", app=factories.APPID)
    assert shop not in ids(soup) and len(ids(soup)) == 4
    options = texts(soup.select("select[name=app] option"))
    assert "Other shop (wxother0000000001)" in options


def test_filters_combine_and_stay_in_the_form(signed_in_client, people):
    soup = signed_in_client.page("dashboard.users", q="8000", phone="unbound")
    assert ids(soup) == []
    assert soup.select_one("input[name=q]")["value"] == "8000"
    assert soup.select_one("select[name=phone] option[selected]")["value"] == "unbound"


def test_unknown_filter_values_are_ignored(signed_in_client, people):
    assert len(ids(signed_in_client.page("dashboard.users", phone="maybe", app="wxnope"))) == 4


def test_empty_state_without_users(signed_in_client):
    soup = signed_in_client.page("dashboard.users")
    assert soup.select_one(".empty-title").get_text() == "No users yet."
    assert not soup.select("table")


def test_keyset_pages_newer_and_older(signed_in_client, app):
    now = utcnow()
    with app.app_context():
        made = [factories.user(created_at=now - timedelta(minutes=i)).id for i in range(120)]
    first = signed_in_client.page("dashboard.users")
    assert ids(first) == made[:50]
    assert not first.select("a[rel=prev]")
    second = signed_in_client.client.get(first.select_one("a[rel=next]")["href"])
    from bs4 import BeautifulSoup

    second = BeautifulSoup(second.get_data(as_text=True), "html.parser")
    assert ids(second) == made[50:100]
    third = BeautifulSoup(
        signed_in_client.client.get(second.select_one("a[rel=next]")["href"]).get_data(as_text=True), "html.parser"
    )
    assert ids(third) == made[100:]
    assert not third.select("a[rel=next]")
    back = BeautifulSoup(
        signed_in_client.client.get(third.select_one("a[rel=prev]")["href"]).get_data(as_text=True), "html.parser"
    )
    assert ids(back) == made[50:100]


def test_pages_keep_the_filters(signed_in_client, app):
    now = utcnow()
    with app.app_context():
        for i in range(60):
            factories.user(created_at=now - timedelta(minutes=i), phone_number=f"1380000{i:04d}")
        factories.user(created_at=now)
    first = signed_in_client.page("dashboard.users", phone="bound")
    older = first.select_one("a[rel=next]")["href"]
    assert "phone=bound" in older and "after=" in older


def test_same_created_at_pages_by_id(signed_in_client, app):
    now = utcnow()
    with app.app_context():
        made = [factories.user(created_at=now).id for _ in range(55)]
    first = signed_in_client.page("dashboard.users")
    from bs4 import BeautifulSoup

    second = BeautifulSoup(
        signed_in_client.client.get(first.select_one("a[rel=next]")["href"]).get_data(as_text=True), "html.parser"
    )
    assert sorted(ids(first) + ids(second)) == sorted(made)
    assert len(set(ids(first)) & set(ids(second))) == 0


def test_a_bad_cursor_is_a_400_page_not_the_first_page(signed_in_client, people):
    page = signed_in_client.page("dashboard.users", status=400, after="not-a-cursor")
    assert "is not a position in this list" in page.get_text(" ")


def test_phone_numbers_are_masked_in_the_list(signed_in_client, people):
    resp = signed_in_client.response("dashboard.users")
    html = resp.get_data(as_text=True)
    assert "138****8000" in html and "139****5678" in html
    assert "13800138000" not in html and "13912345678" not in html


def test_nicknames_are_escaped(signed_in_client, app):
    with app.app_context():
        factories.user(nickname="<script>alert(1)</script>")
    soup = signed_in_client.page("dashboard.users")
    assert "<script>alert(1)</script>" in soup.select_one(".nickname").get_text()
    assert not [s for s in soup.find_all("script") if "alert" in s.get_text()]
    assert "<script>alert(1)</script>" not in signed_in_client.response("dashboard.users").get_data(as_text=True)


def test_nickname_search_reads_the_sqlite_table_in_order_not_through_an_index(signed_in_client, people, app):
    """At a million users, walking ix_users_created_at (or the appid index) and fetching
    every row at random to test its nickname took 2.5-4.8 s on SQLite; a plain scan and a
    sort of the matches takes 0.2-0.4 s. PostgreSQL answers from its trigram index."""
    from sqlalchemy import event

    from wxauth.extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            pytest.skip("SQLite's plan; PostgreSQL has ix_users_nickname_trgm")
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM users" in statement and "LIKE" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        soup = signed_in_client.page("dashboard.users", q="东", app=factories.APPID, phone="bound")
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert ids(soup) == [people["dong"]]
    assert seen
    statement, parameters = seen[-1]
    with app.app_context(), db.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(parameters)).all()]
    assert any(step.startswith("SCAN users") and "INDEX" not in step for step in plan), plan


def test_filter_to_people_in_several_apps(signed_in_client, app):
    with app.app_context():
        here = factories.user(unionid="oUnionBoth", nickname="两边都在").id
        there = factories.user(appid="wxother0000000002", unionid="oUnionBoth").id
        factories.user(unionid="oUnionOneApp")  # one app only
        factories.user()  # no unionid
    assert sorted(ids(signed_in_client.page("dashboard.users", people="several"))) == sorted([here, there])
    assert len(ids(signed_in_client.page("dashboard.users"))) == 4
    soup = signed_in_client.page("dashboard.users", people="nonsense")  # an unknown choice filters nothing
    assert len(ids(soup)) == 4
