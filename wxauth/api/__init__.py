"""The mini-program's JSON API, at /api. JSON in, JSON out, bearer tokens, no CSRF.

This package is also the supported way to add your own endpoints to wxauth
(docs/extending.md): `blueprint()` makes a blueprint that answers errors in the API's shape,
`token_required` with `current_user()` authenticate either token format, `json_body` and
`string_field` read the request, `AppError` and `invalid_request` answer errors, and
`per_ip`/`per_user` rate-limit.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g

from wxauth.api.errors import http_error_json, json_errors
from wxauth.api.helpers import json_body, string_field, token_required
from wxauth.errors import AppError, answer_unmatched, invalid_request
from wxauth.extensions import csrf
from wxauth.models import ApiSession, User
from wxauth.ratelimit import per_ip, per_user

bp = Blueprint("api", __name__, url_prefix="/api")
json_errors(bp)

__all__ = [
    "AppError",
    "blueprint",
    "current_session",
    "current_user",
    "invalid_request",
    "json_body",
    "json_errors",
    "per_ip",
    "per_user",
    "string_field",
    "token_required",
]


def blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint for your own JSON endpoints: errors answered as {"error", "message"}, and
    no CSRF (bearer tokens, not cookies). Mount it with WXAUTH_BLUEPRINTS."""
    own = Blueprint(name, import_name, url_prefix=url_prefix)
    json_errors(own)
    csrf.exempt(own)
    return own


def current_session() -> ApiSession:
    """The live session behind this request's bearer token (inside `token_required`)."""
    return g.api_session


def current_user() -> User:
    """The user of this request's bearer token (inside `token_required`)."""
    return g.api_session.user


def init_app(app: Flask) -> None:
    from wxauth.api import auth, jwks, me, openapi, services  # noqa: F401 - their routes are declared on bp

    csrf.exempt(bp)  # bearer tokens, not cookies: CSRF does not apply
    csrf.exempt(jwks.bp)
    app.register_blueprint(bp)
    app.register_blueprint(jwks.bp)
    answer_unmatched(app, "/api/", http_error_json)
