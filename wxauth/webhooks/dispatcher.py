"""Webhook delivery inside the app's own processes: no separate process is needed.

Each serving process runs one daemon thread (started with the process's first request, or
by gunicorn's post_worker_init) that sends due rows and then sleeps until POLL_SECONDS pass
or this process commits a new event. `flask webhooks worker` runs the same loop on its own,
and `WXAUTH_WEBHOOK_DELIVERY=worker` leaves delivery to it alone.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading

from flask import Flask
from sqlalchemy import event

from wxauth.extensions import db
from wxauth.settings import EXTENSION as SETTINGS
from wxauth.webhooks import delivery
from wxauth.webhooks.outbox import PENDING_FLAG

log = logging.getLogger("wxauth.webhooks")

POLL_SECONDS = 1.0
# After a wake, gather what else commits meanwhile, so a burst is claimed, sent and recorded
# as one batch: on SQLite each batch costs two write transactions beside the logins'.
COALESCE_SECONDS = 0.2
# After a failure the loop pauses 2 s, doubling while failures go on, up to a minute.
ERROR_PAUSE = 2.0
MAX_ERROR_PAUSE = 60.0

_wake = threading.Event()
_started_in: int | None = None
_start_lock = threading.Lock()


def wake() -> None:
    """A new event committed in this process: deliver it now rather than at the next poll."""
    _wake.set()


def run_forever(app: Flask, stop: threading.Event | None = None) -> None:
    """Deliver until `stop` is set; a database or network outage pauses the loop, never ends it."""
    owner = f"{os.getpid()}-{secrets.token_hex(4)}"
    stop = stop or threading.Event()
    failures = 0
    while not stop.is_set():
        try:
            with app.app_context():
                try:
                    sent = delivery.deliver_due(owner=owner)
                finally:
                    db.session.remove()
        except Exception as exc:  # noqa: BLE001 - the loop outlives any one failure (database restarts included)
            pause = min(ERROR_PAUSE * 2**failures, MAX_ERROR_PAUSE)
            if failures == 0:
                log.exception("webhook delivery failed; retrying in %.0f s", pause)
            else:
                log.warning("webhook delivery still failing (%s); retrying in %.0f s", type(exc).__name__, pause)
            failures += 1
            stop.wait(pause)
            continue
        if failures:
            log.info("webhook delivery recovered")
            failures = 0
        if sent:
            continue  # there may be more due
        if _wake.wait(POLL_SECONDS):
            stop.wait(COALESCE_SECONDS)
        _wake.clear()


def ensure_started(app: Flask) -> None:
    """Start this process's delivery thread once (a forked worker starts its own)."""
    global _started_in
    settings = app.extensions.get(SETTINGS)  # None: not a wxauth app (the bench's peer runs on gunicorn.conf.py too)
    if _started_in == os.getpid() or settings is None or settings.webhook_delivery != "app":
        return
    with _start_lock:
        if _started_in == os.getpid():
            return
        _started_in = os.getpid()
        threading.Thread(target=run_forever, args=(app,), name="webhook-delivery", daemon=True).start()


def start_in_worker(app: Flask) -> None:
    """Start the delivery thread from the server's worker start-up (gunicorn.conf.py), which
    leaves the first-request hook nothing to do: it goes, and no request pays for it."""
    ensure_started(app)
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [f for f in hooks if getattr(f, "__name__", "") != "start_with_first_request"]


def _after_commit(session) -> None:
    if session.info.pop(PENDING_FLAG, False):
        wake()


def _after_rollback(session) -> None:
    session.info.pop(PENDING_FLAG, None)


def init_app(app: Flask) -> None:
    """Wake the dispatcher after commits that wrote events; start it with the first request
    unless delivery is left to `flask webhooks worker` (or this is the test app)."""
    event.listen(db.session, "after_commit", _after_commit)
    event.listen(db.session, "after_soft_rollback", lambda session, previous: _after_rollback(session))
    if app.extensions[SETTINGS].webhook_delivery == "app" and not app.testing:

        def start_with_first_request() -> None:
            ensure_started(app)

        app.before_request(start_with_first_request)
