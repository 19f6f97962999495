"""Request ids and the one log line per request.

Each request gets an id (the caller's `X-Request-ID` when it is sane, else a new one),
returned in the `X-Request-ID` header and stored with login events and failures, so an
operator can go from a user's complaint to the exact log line. In production mode
(`WXAUTH_LOG_FORMAT=json`) the line is JSON: method, path, status, duration, request id.
Only the path is logged, never the query string or a body.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time

from flask import Flask, g, has_request_context, request

log = logging.getLogger("wxauth.request")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


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
        if "request_id" not in entry and has_request_context() and g.get("request_id"):
            entry["request_id"] = g.request_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


JSONFormatter.converter = time.gmtime


def init_app(app: Flask) -> None:
    @app.before_request
    def start():
        incoming = request.headers.get("X-Request-ID", "")
        # Unique, not secret: the process's PRNG (reseeded in each forked worker) spares
        # the urandom call of uuid4 on every request.
        g.request_id = incoming if incoming and _SANE_ID.match(incoming) else f"{random.getrandbits(128):032x}"
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        started = g.get("request_started")
        if started is not None and log.isEnabledFor(logging.INFO) and not request.path.startswith("/static/"):
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "request_id": request_id,
                "ip": request.remote_addr,
            }
            # The record made directly and handed to the logger's filters and handlers, as
            # log.info would, minus the caller lookup (a stack walk) that this line never shows.
            args = (request.method, request.path, response.status_code, duration_ms)
            log.handle(
                log.makeRecord(log.name, logging.INFO, __file__, 0, "%s %s %s %.1fms", args, None, extra={"fields": fields})
            )
        return response
