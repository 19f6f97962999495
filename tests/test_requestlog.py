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
