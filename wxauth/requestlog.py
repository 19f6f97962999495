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

import atexit
import collections
import logging
import os
import random
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import cast

from flask import Flask, has_request_context, request

from wxauth.json import dumps
from wxauth.logs import RedactingFilter, StderrHandler, lines_held, redact_message

log = logging.getLogger("wxauth.request")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
ENVIRON_KEY = "wxauth.request_id"


def current_request_id() -> str | None:
    return request.environ.get(ENVIRON_KEY) if has_request_context() else None


class JSONFormatter(logging.Formatter):
    _second: tuple[int, str] = (-1, "")

    def _timestamp(self, created: float) -> str:
        # strftime once a second, not once a line.
        second = int(created)
        if self._second[0] != second:
            self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return f"{self._second[1]}.{int((created - second) * 1000):03d}Z"

    def entry(self, created: float, level: str, logger: str, message: str, fields: dict) -> dict:
        """What a line says, before any request id or exception is added."""
        return {"ts": self._timestamp(created), "level": level, "logger": logger, "message": message, **fields}

    def format(self, record: logging.LogRecord) -> str:
        entry = self.entry(record.created, record.levelname, record.name, record.getMessage(), getattr(record, "fields", {}))
        if "request_id" not in entry:
            request_id = current_request_id()
            if request_id:
                entry["request_id"] = request_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return dumps(entry)


JSONFormatter.converter = time.gmtime

StartResponse = Callable[..., Callable[[bytes], object]]


class RequestLog:
    """The request id and the request's log line, around the app.

    With `flush_seconds` (WXAUTH_LOG_FLUSH_SECONDS) above 0, the request only notes what
    its line says; a writer thread turns the notes into log records and hands them to the
    logger in batches, at most that long after the request, and at exit. Made one per
    request, each between the server's and the kernel's work, a line was a large share of
    a bare request; made in a batch, it costs a fraction of that (docs/scaling.md). When
    wxauth's JSON handler is all a record would meet (production's configuration), the
    writer makes the same lines without the records. Each line keeps its request's time.
    A kill -9 loses at most the last `flush_seconds` of request lines; what a request did
    is in the database, not in its line.
    """

    def __init__(self, wsgi_app: Callable[[dict, StartResponse], Iterable[bytes]], flush_seconds: float = 0.0) -> None:
        self.wsgi_app = wsgi_app
        self.flush_seconds = flush_seconds
        self._noted: collections.deque[tuple] = collections.deque()
        self._writer_pid: int | None = None
        self._writer_lock = threading.Lock()

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
                note = (
                    time.time(),
                    environ.get("REQUEST_METHOD", ""),
                    environ.get("PATH_INFO") or "",
                    status,
                    time.perf_counter() - started,
                    request_id,
                    environ.get("REMOTE_ADDR"),
                )
                if self.flush_seconds > 0:
                    self._noted.append(note)
                    if self._writer_pid != _pid:
                        self._start_writer()
                else:
                    self._log(note)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)

    def write_noted(self) -> None:
        """Log every line noted so far (the writer's batch; also at exit)."""
        noted = self._noted
        handler = _sole_json_handler()
        if handler is not None:
            self._write_direct(handler)
            return
        template = _template()
        with lines_held():
            while noted:
                try:
                    self._log(noted.popleft(), template)
                except IndexError:  # another thread took the last one
                    return
                except Exception:  # noqa: BLE001, S112 - a failing filter or handler loses its line, not the writer
                    continue

    def _start_writer(self) -> None:
        with self._writer_lock:
            if self._writer_pid == _pid:
                return
            if self._writer_pid is not None:
                self._noted.clear()  # a forked child: what the parent noted, the parent writes
            self._writer_pid = _pid
            _writing.add(self)
            threading.Thread(target=self._write_every, name="request-log-writer", daemon=True).start()

    def _write_every(self) -> None:
        while True:
            time.sleep(self.flush_seconds)
            self.write_noted()

    def _write_direct(self, handler: StderrHandler) -> None:
        """The batch as `_log` would have the handler write it, made without the records
        that nothing but this handler would see: a record was most of a line's cost."""
        noted = self._noted
        formatter = cast(JSONFormatter, handler.formatter)  # _sole_json_handler checked it
        lines = []
        while noted:
            try:
                line = _line(noted.popleft())
                if line is not None:
                    created, message, fields = line
                    lines.append(dumps(formatter.entry(created, "INFO", log.name, redact_message(message), fields)))
            except IndexError:  # another thread took the last one
                break
            except Exception:  # noqa: BLE001, S112 - as in write_noted: a bad note loses its line
                continue
        handler.write_lines(lines)

    @staticmethod
    def _log(note: tuple, template: dict | None = None) -> None:
        line = _line(note)
        if line is None:
            return
        created, message, fields = line
        # The record made directly and handed to the logger's filters and handlers, as
        # log.info would, minus the caller lookup (a stack walk) that this line never shows:
        # a copy of the template, which says what LogRecord's constructor would (the
        # process, the thread, this file), with the line's own message, fields and time.
        attributes = dict(template or _template())
        attributes["msg"] = message
        attributes["fields"] = fields
        attributes["relativeCreated"] += (created - attributes["created"]) * 1000
        attributes["created"], attributes["msecs"] = created, (created - int(created)) * 1000
        record = logging.LogRecord.__new__(logging.LogRecord)
        record.__dict__.update(attributes)
        log.handle(record)


def _line(note: tuple) -> tuple[float, str, dict] | None:
    """A noted request's time, message and fields; None for a line not logged (static files)."""
    created, method, raw_path, status, seconds, request_id, ip = note
    duration_ms = round(seconds * 1000, 1)
    # As werkzeug decodes it for request.path.
    path = "/" + raw_path.encode("latin-1").decode("utf-8", "replace").lstrip("/")
    if path.startswith("/static/"):
        return None
    code = int(status[:3])
    fields = {"method": method, "path": path, "status": code, "duration_ms": duration_ms, "request_id": request_id, "ip": ip}
    return created, f"{method} {path} {code} {duration_ms:.1f}ms", fields


def _sole_json_handler() -> StderrHandler | None:
    """wxauth's own JSON stderr handler, when it is all that a request line's record would
    meet: no other handler or filter on the way, and none but the redaction on it."""
    ours = log.parent
    if log.filters or log.handlers or not log.propagate or ours is None or ours.name != "wxauth" or ours.filters:
        return None
    if ours.propagate and logging.root.handlers:
        return None
    if len(ours.handlers) != 1:
        return None
    (handler,) = ours.handlers
    if not isinstance(handler, StderrHandler) or handler.level > logging.INFO or type(handler.formatter) is not JSONFormatter:
        return None
    if any(type(f) is not RedactingFilter for f in handler.filters):
        return None
    return handler


def _template() -> dict:
    """The attributes of an INFO record of the request logger, made now, in this thread."""
    return log.makeRecord(log.name, logging.INFO, __file__, 0, "", (), None).__dict__


_writing: weakref.WeakSet[RequestLog] = weakref.WeakSet()
# This process's id, kept current in forked children: a request compares it with its
# writer's without a system call.
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


@atexit.register
def write_all_noted() -> None:
    """Log what every request log of this process has noted (at exit, and after a test run)."""
    for request_log in list(_writing):
        request_log.write_noted()


def init_app(app: Flask, flush_seconds: float = 0.0) -> None:
    app.wsgi_app = RequestLog(app.wsgi_app, flush_seconds)  # type: ignore[method-assign]
