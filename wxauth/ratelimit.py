"""Rate limits (Flask-Limiter): per client IP on login and phone, and per user on phone.

Limits come from the settings (`WXAUTH_RATELIMIT_*`, limits-style strings such as
"30/minute;300/hour"). Storage is in-process (`memory://`, served by SweptMemoryStorage
below) by default; several instances must share a Redis
(`WXAUTH_RATELIMIT_STORAGE_URI=redis://…`) or each would allow the full limit on its own.
A limited request answers 429 `rate_limited` with `Retry-After`.
"""

from __future__ import annotations

import os
import threading
import time
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, after_this_request, current_app, g
from flask.globals import request_ctx
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many
from limits.storage import MemoryStorage

from wxauth import settings
from wxauth.errors import AppError
from wxauth.extensions import limiter

SCHEME = "wxauth-memory"


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process storage, swept by one long-lived thread instead of a thread per hit.

    MemoryStorage schedules its clean-up as a threading.Timer of 10 ms and starts a new
    one on the next hit once the last has run: under steady traffic that is a thread
    started for most requests (docs/scaling.md), each costing a thread start and a wait
    for it to be scheduled, on the request's own path. Counts are
    unchanged: an expired fixed-window counter is already dropped when read (`get`), and
    moving-window entries are trimmed by the sweep, once a second here.
    """

    STORAGE_SCHEME = [SCHEME]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._sweeper_pid: int | None = None
        self._sweeper_lock = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - replaces the base class's private method
        if self._sweeper_pid == os.getpid():
            return
        with self._sweeper_lock:
            # Started lazily, in the process that serves (a thread does not survive a fork).
            if self._sweeper_pid != os.getpid():
                self._sweeper_pid = os.getpid()
                threading.Thread(target=self._sweep, name="ratelimit-sweeper", daemon=True).start()

    def _sweep(self) -> None:
        while True:
            time.sleep(self.SWEEP_SECONDS)
            getattr(self, "_MemoryStorage__expire_events")()  # noqa: B009 - the base class's private method


def init_app(app: Flask) -> None:
    """Flask-Limiter's request hooks, only on requests that check a limit.

    Every limit here is a decorator on its view, which checks it. The extension's global
    before-request hook would look for default and application limits, of which there are
    none; its after-request hook (the X-RateLimit-* headers, deductions that wait for the
    answer) has work only on a request whose view checked a limit, and its teardown resets
    state kept on the request's context, which ends with the request anyway. On every
    other request they cost a share of the request (docs/scaling.md), so the limited views
    add the after-request hook to their own request (`_limited`) and the global ones go.
    With WXAUTH_RATELIMIT_ENABLED=0 the extension adds no hook.
    """

    def extensions(hook) -> bool:
        return getattr(hook, "__self__", None) is limiter or limiter in getattr(hook, "args", ())

    app.extensions[_HEADERS_HOOK] = next((h for h in app.after_request_funcs.get(None, []) if extensions(h)), None)
    registries: tuple[dict[Any, list[Any]], ...] = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    for registry in registries:
        registry.get(None, [])[:] = [hook for hook in registry.get(None, []) if not extensions(hook)]


_HEADERS_HOOK = "wxauth.ratelimit_after_request"
_HOOKED = "_wxauth_ratelimit_hooked"


def _limited(decorator):
    """`decorator` (a Flask-Limiter limit), and the extension's after-request hook on the
    request, once, however many limits the view stacks."""

    def decorate(view):
        limited = decorator(view)

        @wraps(limited)
        def wrapper(*args, **kwargs):
            if not hasattr(request_ctx, _HOOKED):  # the outermost of the view's limits
                setattr(request_ctx, _HOOKED, True)
                hook = current_app.extensions.get(_HEADERS_HOOK)
                if hook is not None:
                    after_this_request(hook)
            return limited(*args, **kwargs)

        return wrapper

    return decorate


def storage_uri(value: str) -> str:
    """The storage URI to give Flask-Limiter: `memory://` means SweptMemoryStorage."""
    return SCHEME + value[len("memory") :] if value.startswith("memory://") else value


def limit_from(name: str):
    """A limit read from the Settings field `name` at request time."""
    return lambda: getattr(settings.current(), name)


def by_user() -> str:
    """Key for per-user limits; valid only after token_required has run."""
    return f"user:{g.api_session.user_id}"


# Applied to the API views (see wxauth/api/auth.py). The phone limits are checked after the
# token is verified, so they can key on the user; each successful getuserphonenumber costs
# the mini-program's owner money.
login_per_ip = _limited(limiter.limit(limit_from("ratelimit_login"), key_func=get_remote_address))
phone_per_ip = _limited(limiter.limit(limit_from("ratelimit_phone"), key_func=get_remote_address))
phone_per_user = _limited(limiter.limit(limit_from("ratelimit_phone_user"), key_func=by_user))
# An export reads every row about the person: a few an hour is plenty.
export_per_user = _limited(limiter.limit(limit_from("ratelimit_export"), key_func=by_user))
dashboard_login_per_ip = _limited(
    limiter.limit(limit_from("ratelimit_dashboard_login"), key_func=get_remote_address, methods=["POST"])
)


def per_ip(limit: str):
    """Limit a view per client IP, e.g. `@per_ip("30/minute")` (limits' syntax); over it, 429 rate_limited."""
    return _limited(limiter.limit(limit, key_func=get_remote_address))


def per_user(limit: str):
    """Limit a view per signed-in user; put it under `@token_required`."""
    return _limited(limiter.limit(limit, key_func=by_user))


def by_operator() -> str:
    """Key for per-operator dashboard limits."""
    return f"operator:{current_user.get_id()}"


@lru_cache(maxsize=8)
def _items(spec: str) -> tuple:
    return tuple(parse_many(spec))


def failures_per_ip(setting: str):
    """Limit the failed requests (an AppError of 401 or 403) per client IP, to the Settings
    field `setting`: an IP over it is refused with 429 before its next attempt is even
    checked, while requests that succeed cost one counter read and count nothing, so a
    service that knows its secret is never slowed by one that guesses. Counted in the
    limiter's storage (shared through Redis when configured)."""
    scope = "failures:" + setting

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not limiter.enabled:
                return view(*args, **kwargs)
            key, items = get_remote_address(), _items(getattr(settings.current(), setting))
            if not all(limiter.limiter.test(item, scope, key) for item in items):
                raise AppError("rate_limited", "Too many failed attempts from this address; retry later.", 429)
            try:
                return view(*args, **kwargs)
            except AppError as exc:
                if exc.status in (401, 403):
                    for item in items:
                        limiter.limiter.hit(item, scope, key)
                raise

        return wrapper

    return decorate


# Service clients (introspection, the shared access_token).
service_auth_per_ip = failures_per_ip("ratelimit_service_auth")
