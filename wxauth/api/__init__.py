"""The mini-program's JSON API, at /api. JSON in, JSON out, bearer tokens, no CSRF."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from wxauth.api import auth, me, openapi  # noqa: E402,F401 - registers the views on bp
