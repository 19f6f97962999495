"""Outside sandbox mode the session cookie is Secure: over plain HTTP to another host the
browser drops it and sign-in seems to do nothing, so the sign-in page says why and what to do."""

from __future__ import annotations

import logging

import pytest
from bs4 import BeautifulSoup

from wxauth.factory import create_app


@pytest.fixture()
def production_like(app, app_env):
    """The app as outside sandbox mode (the test database is the `app` fixture's)."""

    def make(**settings):
        built = create_app(
            {"TESTING": True},
            environ=app_env,
            settings={"sandbox": False, "password_hash_method": "pbkdf2:sha256:1000", **settings},
        )
        return built.test_client()

    return make


def warning(client, url: str, **headers):
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser").select_one("#insecure-http")


def test_plain_http_to_another_host_is_explained(production_like):
    client = production_like()
    shown = warning(client, "http://dash.example.com/dashboard/login")
    assert shown is not None
    text = shown.get_text(" ")
    assert "WXAUTH_TRUSTED_PROXIES" in text and "X-Forwarded-Proto" in text and "WXAUTH_LAB_INSECURE_COOKIES" in text


def test_no_warning_over_https_localhost_or_in_sandbox(production_like, client):
    secure = production_like()
    assert warning(secure, "https://dash.example.com/dashboard/login") is None
    assert warning(secure, "http://localhost:5000/dashboard/login") is None
    assert warning(secure, "http://127.0.0.1:5000/dashboard/login") is None
    assert warning(client, "http://dash.example.com/dashboard/login") is None  # sandbox: cookies are not Secure


def test_a_trusted_proxy_saying_https_is_believed_and_an_untrusted_one_is_not(production_like):
    behind = production_like(trusted_proxies=1)
    assert warning(behind, "http://dash.example.com/dashboard/login", **{"X-Forwarded-Proto": "https"}) is None
    direct = production_like()
    assert warning(direct, "http://dash.example.com/dashboard/login", **{"X-Forwarded-Proto": "https"}) is not None


def test_the_lab_opt_out_drops_secure_and_warns_at_start(production_like, caplog):
    secure = production_like()
    assert secure.application.config["SESSION_COOKIE_SECURE"] is True
    with caplog.at_level(logging.WARNING, logger="wxauth"):
        lab = production_like(lab_insecure_cookies=True)
    assert lab.application.config["SESSION_COOKIE_SECURE"] is False
    assert any("WXAUTH_LAB_INSECURE_COOKIES" in r.getMessage() for r in caplog.records)
    assert warning(lab, "http://dash.example.com/dashboard/login") is None
    resp = lab.get("http://dash.example.com/dashboard/login")
    assert "Secure" not in resp.headers.get("Set-Cookie", "")
