"""Dashboard fixtures: operators, a browser-like client that asks for pages by endpoint
name and answers forms with the CSRF token they carry, and rows made directly."""

from __future__ import annotations

from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from flask import url_for

from wxauth.services import operators, overview

PASSWORD = "correct-horse-battery"


class Dashboard:
    """The dashboard as a browser sees it: parsed pages, forms posted with their own token."""

    def __init__(self, app, client):
        self.app = app
        self.client = client

    def url(self, endpoint: str, **values) -> str:
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def response(self, endpoint: str, **values):
        return self.client.get(self.url(endpoint, **values))

    def page(self, endpoint: str, status: int = 200, **values) -> BeautifulSoup:
        resp = self.response(endpoint, **values)
        assert resp.status_code == status, (resp.status_code, resp.headers.get("Location"))
        return BeautifulSoup(resp.get_data(as_text=True), "html.parser")

    def submit(self, soup: BeautifulSoup, action: str | None = None, data: dict | None = None, *, csrf: bool = True):
        """POST the form on `soup` whose action is `action` (or the only form), like a browser."""
        forms = [
            f
            for f in soup.find_all("form", method="post")
            if f["action"] == action or (action is None and "language-switch" not in f.get("class", []))
        ]
        assert len(forms) == 1, f"{len(forms)} forms post to {action}"
        form = forms[0]
        fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
        if not csrf:
            fields.pop("csrf_token")
        fields.update(data or {})
        return self.client.post(form["action"], data=fields)

    def sign_in(self, username: str, password: str, next_url: str | None = None):
        soup = self.page("dashboard.login", **({"next": next_url} if next_url else {}))
        return self.submit(soup, data={"username": username, "password": password})


@pytest.fixture()
def make_operator(app):
    """An operator, an admin unless `role` says otherwise (the pages' own tests need every
    action; tests/dashboard/test_roles.py walks the other roles)."""

    def make(username: str = "alice", password: str = PASSWORD, role: str = "admin", **kw):
        with app.app_context():
            return operators.create(username, password, role=role, **kw)

    return make


@pytest.fixture()
def operator(make_operator):
    return make_operator()


@pytest.fixture()
def dashboard(app, client) -> Dashboard:
    return Dashboard(app, client)


@pytest.fixture()
def signed_in_client(dashboard, operator) -> Dashboard:
    resp = dashboard.sign_in(operator.username, PASSWORD)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return dashboard


@pytest.fixture()
def overview_clock(monkeypatch):
    """Stops the overview's clock at a given instant (now, unless told), so that a test's
    "today" cannot become yesterday between writing its rows and reading the page."""

    def stop(at: datetime | None = None) -> datetime:
        at = at or overview.utcnow()
        monkeypatch.setattr(overview, "utcnow", lambda: at)
        return at

    return stop


def texts(elements) -> list[str]:
    return [" ".join(e.get_text(" ", strip=True).split()) for e in elements]
