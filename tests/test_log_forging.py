"""Log lines cannot be forged with control characters, and no credential in a URL is logged."""

from __future__ import annotations

import logging

import pytest

from wxauth.logs import RedactingFilter, TextFormatter, configure


def _text_line(app, record: logging.LogRecord) -> str:
    settings = app.extensions["wxauth.settings"]
    assert settings.log_format == "text"
    configure(settings.log_level, settings.log_format)  # another test's app may have set the shared handler to JSON since
    handler = next(h for h in logging.getLogger("wxauth").handlers if getattr(h, "wxauth", False))
    assert isinstance(handler.formatter, TextFormatter), "the configured text format escapes"
    return handler.formatter.format(record)


def test_a_newline_in_the_path_cannot_start_a_forged_line(app, client, caplog):
    with caplog.at_level(logging.INFO, logger="wxauth.request"):
        client.get("/api/nope%0a2026-12-01 00:00:00,000 INFO wxauth.request: POST /api/auth/login 200 forged%0d%1b[31m")
    record = next(r for r in caplog.records if r.name == "wxauth.request")
    line = _text_line(app, record)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "\\x0a2026-12-01" in line and "\\x1b[31m" in line


@pytest.mark.parametrize(
    "message",
    [
        "GET /api/me?token=SEKRET HTTP/1.1",
        "GET /x?a=1&refresh_token=SEKRET",
        "GET /x?refreshToken=SEKRET&b=2",
        "POST /api/oauth/introspect?client_secret=SEKRET",
        "Authorization: Bearer SEKRET",
        "authorization=Basic%20SEKRET",
        "GET /x?phoneCode=SEKRET",
        "GET /dashboard/login?password=SEKRET",
    ],
)
def test_credentials_in_logged_urls_are_redacted(message):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "%s", (message,), None)
    RedactingFilter().filter(record)
    assert "SEKRET" not in record.getMessage()


def test_the_development_servers_access_log_is_redacted(app, caplog):
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /api/me?token=SEKRET HTTP/1.1" 200 -')
    assert caplog.records and all("SEKRET" not in r.getMessage() for r in caplog.records)
