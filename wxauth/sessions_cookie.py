"""Flask's signed-cookie session, for the dashboard only, with its serializer built once.

Only the dashboard signs people in with a cookie (the API is bearer-only), so elsewhere a
request gets a session that holds nothing and refuses writes: an API view that tried to
keep state in a cookie would fail loudly, and no request outside the dashboard pays for
reading and writing a cookie it never uses (docs/scaling.md).

Flask builds a new itsdangerous serializer in open_session and again in save_session, on
every request, cookie or not. The serializer depends only on the keys, so it is kept while
they stay.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import NullSession, SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

COOKIE_PREFIX = "/dashboard"


class NoCookieSession(NullSession):
    """The session of a request outside the dashboard: empty, and every write refused."""

    def _fail(self, *args, **kwargs):
        raise RuntimeError(f"The cookie session exists only under {COOKIE_PREFIX}; the API keeps no state in cookies.")

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class DashboardSessionInterface(SecureCookieSessionInterface):
    null_session_class = NoCookieSession

    def __init__(self) -> None:
        self._cached: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        path = request.path
        if path != COOKIE_PREFIX and not path.startswith(COOKIE_PREFIX + "/"):
            return None  # Flask then uses null_session_class and never saves it
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._cached
        if cached is None or cached[0] != keys:
            cached = self._cached = (keys, super().get_signing_serializer(app))
        return cached[1]
