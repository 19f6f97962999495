"""A filter or page position that cannot be right answers a 400 page that says why, never a 500."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

PAGED = ["dashboard.users", "dashboard.logins", "dashboard.failures", "dashboard.reveals"]  # CSVs have no pages
DATED = ["dashboard.logins", "dashboard.failures", "dashboard.logins_csv", "dashboard.failures_csv"]


def _bad(dashboard, endpoint, expected: str, **args):
    resp = dashboard.response(endpoint, **args)
    assert resp.status_code == 400, (endpoint, args, resp.status_code)
    page = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    assert page.find("main") is not None, "the dashboard's own page"
    assert expected in page.get_text(" "), page.get_text(" ")[:500]
    return page


@pytest.mark.parametrize("endpoint", DATED)
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"to": "9999-12-31"}, "pick a day between"),
        ({"from": "0001-01-01"}, "pick a day between"),
        ({"from": "yesterday"}, "is not a date"),
        ({"to": "2026-02-30"}, "is not a date"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "swap them"),
    ],
)
def test_bad_dates(signed_in_client, endpoint, args, expected):
    page = _bad(signed_in_client, endpoint, expected, **args)
    if not endpoint.endswith("_csv"):  # a list says it on its own filter form, and lists nothing
        form = page.select_one("form.filters")
        assert expected in form.select_one("[role=alert]").get_text(" ")
        assert page.select("tbody tr") == []


@pytest.mark.parametrize("endpoint", PAGED)
@pytest.mark.parametrize(
    "args",
    [
        {"after": "1.99999999999999999999"},
        {"before": "1.99999999999999999999"},
        {"after": "9" * 30 + ".1"},
        {"after": "abc"},
        {"before": "-5"},
    ],
)
def test_bad_page_positions(signed_in_client, endpoint, args):
    _bad(signed_in_client, endpoint, "is not a position in this list", **args)


def test_a_good_range_still_filters(signed_in_client):
    assert signed_in_client.response("dashboard.logins", **{"from": "2026-05-01", "to": "2026-05-01"}).status_code == 200


@pytest.mark.parametrize("path", ["/dashboard/users/99999999999999999999", "/dashboard/users/9223372036854775808"])
def test_an_impossible_user_id_is_not_found(signed_in_client, path):
    resp = signed_in_client.client.get(path)
    assert resp.status_code == 404
    assert "No user with that ID" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/dashboard/nope", "/dashboard/users/abc/def"])
def test_an_unknown_dashboard_url_is_the_dashboards_own_404(signed_in_client, path):
    resp = signed_in_client.client.get(path)
    assert resp.status_code == 404
    page = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    assert page.find("nav") is not None and "404" in page.get_text(" ")


def test_an_unknown_dashboard_url_signed_out_is_styled_too(client):
    resp = client.get("/dashboard/nope")
    assert resp.status_code == 404 and "<main" in resp.get_data(as_text=True)
