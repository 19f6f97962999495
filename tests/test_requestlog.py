"""Request ids and the per-request log line."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from wxauth.extensions import db
from wxauth.models import LoginEvent
from wxauth.requestlog import JSONFormatter


def test_request_id_is_returned_and_stored_with_the_login_event(client, sandbox, app):
    code, _ = sandbox.login_code()
    resp = client.post("/api/auth/login", json={"code": code}, headers={"X-Request-ID": "req-abc-12345"})
    assert resp.headers["X-Request-ID"] == "req-abc-12345"
    with app.app_context():
        assert db.session.scalar(select(LoginEvent.request_id)) == "req-abc-12345"


def test_insane_request_ids_are_replaced(client):
    for bad in ("", "x", "a b c d e f g h", "<script>alert(1)</script>", "z" * 65):
        resp = client.get("/healthz", headers={"X-Request-ID": bad})
        rid = resp.headers["X-Request-ID"]
        assert rid != bad and len(rid) == 32


def test_one_json_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="wxauth.request"):
        resp = client.get("/healthz?secret=should-not-appear")
    records = [r for r in caplog.records if r.name == "wxauth.request"]
    assert len(records) == 1
    line = json.loads(JSONFormatter().format(records[0]))
    assert line["method"] == "GET" and line["path"] == "/healthz" and line["status"] == 200
    assert line["request_id"] == resp.headers["X-Request-ID"]
    assert isinstance(line["duration_ms"], float)
    assert "should-not-appear" not in json.dumps(line)


def test_the_line_is_written_around_the_app(client, caplog):
    """Also for a request no view matched, with the path decoded as the app sees it."""
    with caplog.at_level(logging.INFO, logger="wxauth.request"):
        resp = client.get(
            "/api/%E7%94%A8%E6%88%B7", headers={"X-Request-ID": "trace-0123456789"}, environ_base={"REMOTE_ADDR": "10.2.3.4"}
        )
    assert resp.status_code == 404 and resp.headers["X-Request-ID"] == "trace-0123456789"
    (record,) = [r for r in caplog.records if r.name == "wxauth.request"]
    line = json.loads(JSONFormatter().format(record))
    assert line["path"] == "/api/用户" and line["status"] == 404 and line["ip"] == "10.2.3.4"
    assert line["request_id"] == "trace-0123456789"


def test_other_lines_of_a_request_carry_its_id(app, caplog):
    with app.test_request_context("/api/me", headers={"X-Request-ID": "trace-abcdefghij"}):
        from flask import request

        from wxauth.requestlog import ENVIRON_KEY

        request.environ[ENVIRON_KEY] = "trace-abcdefghij"
        record = logging.getLogger("wxauth.test").makeRecord("wxauth.test", logging.WARNING, __file__, 1, "hello", (), None)
        assert json.loads(JSONFormatter().format(record))["request_id"] == "trace-abcdefghij"
