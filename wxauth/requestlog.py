"""Request ids and the one log line per request.

Each request gets an id (the caller's `X-Request-ID` when it is sane, else a new one),
returned in the `X-Request-ID` header and stored with login events and failures, so an
operator can go from a user's complaint to the exact log line. In production mode
(`WXAUTH_LOG_FORMAT=json`) the line is JSON: method, path, status, duration, request id.
Only the path is logged, never the query string or a body.

Both are WSGI middleware rather than Flask hooks: they need nothing of Flask's request
objects, and every request pays for them (docs/scaling.md).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable

from flask import Flask, has_request_context, request

log = logging.getLogger("wxauth.request")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
ENVIRON_KEY = "wxauth.request_id"


def current_request_id() -> str | None:
    return request.environ.get(ENVIRON_KEY) if has_request_context() else None


class JSONFormatter(logging.Formatter):
    _second: tuple[int, str] = (-1, "")

    def _timestamp(self, record: logging.LogRecord) -> str:
        # strftime once a second, not once a line.
        second = int(record.created)
        if self._second[0] != second:
            self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return f"{self._second[1]}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self._timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if "request_id" not in entry:
            request_id = current_request_id()
            if request_id:
                entry["request_id"] = request_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


JSONFormatter.converter = time.gmtime

StartResponse = Callable[..., Callable[[bytes], object]]


class RequestLog:
    """The request id and the request's log line, around the app."""

    def __init__(self, wsgi_app: Callable[[dict, StartResponse], Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        # Unique, not secret: the process's PRNG (reseeded in each forked worker) spares
        # the urandom call of uuid4 on every request.
        request_id = incoming if incoming and _SANE_ID.match(incoming) else f"{random.getrandbits(128):032x}"
        environ[ENVIRON_KEY] = request_id

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            headers.append(("X-Request-ID", request_id))
            if log.isEnabledFor(logging.INFO):
                self.log_line(environ, status, started)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)

    @staticmethod
    def log_line(environ: dict, status: str, started: float) -> None:
        # As werkzeug decodes it for request.path.
        path = "/" + (environ.get("PATH_INFO") or "").encode("latin-1").decode("utf-8", "replace").lstrip("/")
        if path.startswith("/static/"):
            return
        method = environ.get("REQUEST_METHOD", "")
        code = int(status[:3])
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        fields = {
            "method": method,
            "path": path,
            "status": code,
            "duration_ms": duration_ms,
            "request_id": environ[ENVIRON_KEY],
            "ip": environ.get("REMOTE_ADDR"),
        }
        # The record made directly and handed to the logger's filters and handlers, as
        # log.info would, minus the caller lookup (a stack walk) that this line never shows.
        args = (method, path, code, duration_ms)
        log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "%s %s %s %.1fms", args, None, extra={"fields": fields}))


def init_app(app: Flask) -> None:
    app.wsgi_app = RequestLog(app.wsgi_app)  # type: ignore[method-assign]
