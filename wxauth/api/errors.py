"""The one API error shape: {"error": "<code>", "message": "<text>"}.

`json_errors(bp)` makes a blueprint answer every error of its views in that shape; the API
and the sandbox's machine-facing parts use it. `http_error_json` also answers the 404 and 405 of a URL
that no view matched, which reach no blueprint (wxauth.errors routes them here by prefix).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from wxauth import settings
from wxauth.errors import AppError, propagate_in_tests
from wxauth.extensions import db

log = logging.getLogger("wxauth.api")

_HTTP_CODES = {
    400: "invalid_request",
    401: "invalid_token",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)


def error_response(code: str, message: str, status: int, **extra):
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    if status == 401:
        # Services authenticate with HTTP Basic, mini-programs with a bearer token.
        scheme = "Basic" if code == "invalid_client" else "Bearer"
        response.headers["WWW-Authenticate"] = f'{scheme} realm="wxauth"'
    return response


def json_errors(bp: Blueprint, *, applies: Callable[[], bool] = lambda: True) -> None:
    """Answer every error raised in `bp`'s views as JSON, for the requests `applies` to."""

    def app_error(exc: AppError):
        response = error_response(exc.code, exc.message, exc.status, **exc.extra)
        if exc.status == 429:
            response.headers["Retry-After"] = "60"  # WeChat's 45011 limits are per minute
        return response

    def http_error(exc: HTTPException):
        return http_error_json(exc) if applies() else exc

    def database_unavailable(exc: Exception):
        # The database is down or unreachable: a clear 503 rather than a hung worker or a 500.
        db.session.rollback()
        log.error("database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
        if not applies():
            return "Service temporarily unavailable.", 503
        return error_response("database_unavailable", "The service is temporarily unavailable; try again shortly.", 503)

    def unexpected(exc: Exception):
        propagate_in_tests(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not applies():
            return "Internal server error.", 500
        return error_response("internal_error", "Internal server error.", 500)

    bp.register_error_handler(AppError, app_error)
    bp.register_error_handler(HTTPException, http_error)
    for error in DATABASE_ERRORS:
        bp.register_error_handler(error, database_unavailable)
    bp.register_error_handler(Exception, unexpected)


def http_error_json(exc: HTTPException):
    """An HTTP error (404, 405, 413, 429, …) as JSON, with the headers that go with it."""
    code = _HTTP_CODES.get(exc.code or 500, "http_error")
    message = exc.description or exc.name if exc.code != 500 else "Internal server error."
    if exc.code == 429:
        message = f"Too many requests ({exc.description}); slow down and retry later."
    elif exc.code == 413:
        message = f"The body is over the {settings.current().max_content_length // 1024} KiB limit."
    response = error_response(code, message, exc.code or 500)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":  # e.g. Allow on 405
            response.headers[name] = value
    if exc.response is not None:  # e.g. Flask-Limiter's Retry-After
        for header in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            if header in exc.response.headers:
                response.headers[header] = exc.response.headers[header]
    return response
