"""The cookie session exists under /dashboard only: the API keeps no state in cookies."""

from __future__ import annotations

import pytest
from flask import session


def test_an_api_request_gets_a_session_that_refuses_writes(app):
    with app.test_request_context("/api/me"):
        assert session.get("anything") is None
        with pytest.raises(RuntimeError, match="only under /dashboard"):
            session["user"] = 1
    with app.test_request_context("/dashboard/users"):
        session["revealed_user"] = 1
        assert session["revealed_user"] == 1


def test_api_answers_set_no_cookie_and_ignore_one(app, client, sandbox):
    code, _ = sandbox.login_code()
    resp = client.post("/api/auth/login", json={"code": code})
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers and "Cookie" not in resp.headers.get("Vary", "")
    # A valid dashboard cookie sent to the API is not read, and not refreshed or cleared.
    cookie = app.session_interface.get_signing_serializer(app).dumps({"locale": "en"})
    header = {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}
    with app.test_request_context("/api/me", headers=header):
        assert session.get("locale") is None
    with app.test_request_context("/dashboard/", headers=header):
        assert session.get("locale") == "en"
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    resp = client.get("/healthz")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
