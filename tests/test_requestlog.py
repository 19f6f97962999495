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


def test_in_production_lines_are_written_in_batches_with_their_request_time(app_env, caplog):
    """WXAUTH_LOG_FLUSH_SECONDS > 0: the request notes its line; the writer logs it soon after."""
    import os
    import time

    from wxauth.factory import create_app

    batched = create_app({"TESTING": True}, environ={**app_env, "WXAUTH_LOG_FLUSH_SECONDS": "0.2"})
    client = batched.test_client()
    with caplog.at_level(logging.INFO, logger="wxauth.request"):
        before = time.time()
        resp = client.get("/healthz")
        assert not [r for r in caplog.records if r.name == "wxauth.request"]  # noted, not yet written
        deadline = time.monotonic() + 5
        while not [r for r in caplog.records if r.name == "wxauth.request"] and time.monotonic() < deadline:
            time.sleep(0.02)
    (record,) = [r for r in caplog.records if r.name == "wxauth.request"]
    line = json.loads(JSONFormatter().format(record))
    assert line["path"] == "/healthz" and line["request_id"] == resp.headers["X-Request-ID"]
    assert before <= record.created < before + 0.2  # the request's time, not the writer's
    # Otherwise a record as log.info would make it in the writer thread.
    assert record.levelname == "INFO" and record.process == os.getpid() and record.module == "requestlog"
    assert record.getMessage() == f"GET /healthz 200 {line['duration_ms']:.1f}ms"
    now = logging.getLogger("wxauth.test").makeRecord("wxauth.test", logging.INFO, __file__, 0, "", (), None)
    assert abs((now.relativeCreated - record.relativeCreated) - (now.created - record.created) * 1000) < 1


def test_noted_lines_are_written_at_exit(tmp_path):
    """A worker that stops normally (gunicorn's graceful stop) writes what it noted."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "from wxauth.factory import create_app\napp = create_app()\nassert app.test_client().get('/healthz').status_code == 200\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(root),
        "WXAUTH_SANDBOX": "1",
        "WXAUTH_LOG_FORMAT": "json",
        "WXAUTH_LOG_FLUSH_SECONDS": "60",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "WXAUTH_SANDBOX_DB": str(tmp_path / "sandbox.sqlite3"),
        "SECRET_KEY": "k" * 48,
    }
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=root, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(x) for x in done.stderr.splitlines() if x.startswith("{")]
    assert [x["path"] for x in lines if x["logger"] == "wxauth.request"] == ["/healthz"]


class _Stream:
    def __init__(self):
        self.writes = []

    def write(self, text):
        self.writes.append(text)

    def flush(self):
        pass


def test_a_batch_of_lines_is_one_write_and_other_threads_are_not_held(monkeypatch):
    """The writer's batch reaches wxauth's stderr handler as one write; a line another thread
    logs meanwhile is written at once, on its own."""
    import threading
    import time

    from wxauth.logs import configure
    from wxauth.requestlog import RequestLog

    configure("INFO", "json")
    (handler,) = [h for h in logging.getLogger("wxauth").handlers if getattr(h, "wxauth", False)]
    stream = _Stream()
    monkeypatch.setattr(handler, "stream", stream)
    request_log = RequestLog(lambda environ, start_response: [], flush_seconds=60)
    request_log._noted.extend((time.time(), "GET", f"/n{i}", "200 OK", 1.0, f"rid-{i:08d}", "127.0.0.1") for i in range(3))
    other = threading.Thread(target=lambda: logging.getLogger("wxauth.test").warning("from another thread"))
    real_log = request_log._log

    def log_and_let_another_thread_log(note, *args):
        real_log(note, *args)
        if note[2] == "/n0":
            other.start()
            other.join()

    monkeypatch.setattr(request_log, "_log", log_and_let_another_thread_log)
    request_log.write_noted()
    assert [json.loads(w)["message"] for w in stream.writes[:1]] == ["from another thread"]
    (batch,) = stream.writes[1:]
    assert [json.loads(line)["path"] for line in batch.splitlines()] == ["/n0", "/n1", "/n2"]


def _notes():
    import time

    now = time.time()
    return [
        (now, "GET", "/api/me", "200 OK", 0.0123, "rid-00000001", "10.0.0.1"),
        # WSGI hands the path over as latin-1 text: this is 用户 in UTF-8.
        (now + 0.5, "POST", "/api/\u00e7\u0094\u00a8\u00e6\u0088\u00b7", "404 NOT FOUND", 0.2, "rid-00000002", None),
        (now + 1, "GET", "/static/app.css", "200 OK", 0.001, "rid-00000003", "10.0.0.1"),
        (now + 2, "GET", "/api/x/access_token=abcdef123", "401 UNAUTHORIZED", 0.004, "rid-00000004", "10.0.0.2"),
    ]


def _batch(monkeypatch, root_handlers, notes):
    from wxauth.logs import configure
    from wxauth.requestlog import RequestLog

    configure("INFO", "json")
    (handler,) = [h for h in logging.getLogger("wxauth").handlers if getattr(h, "wxauth", False)]
    stream = _Stream()
    monkeypatch.setattr(handler, "stream", stream)
    monkeypatch.setattr(logging.root, "handlers", root_handlers)
    request_log = RequestLog(lambda environ, start_response: [], flush_seconds=60)
    request_log._noted.extend(notes)
    request_log.write_noted()
    (batch,) = stream.writes
    return batch


def test_lines_made_without_records_are_the_lines_records_make(monkeypatch):
    """With wxauth's JSON handler the only place request lines go, the writer makes the lines
    itself; they say exactly what the records' lines say (time, redaction, decoding, skips)."""
    from wxauth import requestlog

    seen = []
    notes = _notes()  # the same times for both ways: lines made a millisecond apart differ

    class Seen(logging.Handler):
        def emit(self, record):
            seen.append(record.name)

    with monkeypatch.context() as m:
        m.setattr(requestlog.RequestLog, "_log", staticmethod(lambda *args: seen.append("a record")))
        direct = _batch(m, [], notes)
    assert seen == []
    through_records = _batch(monkeypatch, [Seen()], notes)
    assert seen == ["wxauth.request"] * 3
    assert direct == through_records
    lines = [json.loads(x) for x in direct.splitlines()]
    assert [x["path"] for x in lines] == ["/api/me", "/api/用户", "/api/x/access_token=abcdef123"]
    assert lines[2]["message"] == "GET /api/x/access_token=*** 401 4.0ms"
    assert lines[0]["ts"].endswith("Z") and lines[1]["status"] == 404 and lines[1]["ip"] is None


def test_lines_go_through_records_when_anything_else_would_see_them(monkeypatch):
    """Another handler, a filter, a text format: the request line is a record again."""
    from wxauth.logs import configure
    from wxauth.requestlog import _sole_json_handler

    monkeypatch.setattr(logging.root, "handlers", [])
    configure("INFO", "json")
    assert _sole_json_handler() is not None
    request_logger, ours = logging.getLogger("wxauth.request"), logging.getLogger("wxauth")
    for logger, attribute, value in (
        (request_logger, "filters", [logging.Filter("x")]),
        (request_logger, "handlers", [logging.NullHandler()]),
        (ours, "filters", [logging.Filter("x")]),
        (ours, "handlers", [*ours.handlers, logging.NullHandler()]),
        (logging.root, "handlers", [logging.NullHandler()]),
    ):
        with monkeypatch.context() as m:
            m.setattr(logger, attribute, value)
            assert _sole_json_handler() is None, (logger.name, attribute)
    (handler,) = ours.handlers
    with monkeypatch.context() as m:
        m.setattr(handler, "filters", [*handler.filters, logging.Filter("x")])
        assert _sole_json_handler() is None
    with monkeypatch.context() as m:
        m.setattr(handler, "level", logging.WARNING)
        assert _sole_json_handler() is None
    configure("INFO", "text")
    try:
        assert _sole_json_handler() is None
    finally:
        configure("INFO", "json")
