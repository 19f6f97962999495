"""The mini-program's JSON API, at /api. JSON in, JSON out, bearer tokens, no CSRF."""

from __future__ import annotations

from flask import Blueprint, Flask

from wxauth.api.errors import http_error_json, json_errors
from wxauth.errors import answer_unmatched
from wxauth.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
json_errors(bp)


def init_app(app: Flask) -> None:
    from wxauth.api import auth, jwks, me, openapi, services  # noqa: F401 - their routes are declared on bp

    csrf.exempt(bp)  # bearer tokens, not cookies: CSRF does not apply
    csrf.exempt(jwks.bp)
    app.register_blueprint(bp)
    app.register_blueprint(jwks.bp)
    answer_unmatched(app, "/api/", http_error_json)
