"""The one API error shape: {"error": "<code>", "message": "<text>"}.

Registered on the app, not the blueprint, so that 404 and 405 for unknown URLs under /api
(which never reach a blueprint) answer JSON too. Anything outside /api is left to the
default (or the dashboard's) handlers.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from wxauth import settings
from wxauth.errors import AppError
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


def error_response(code: str, message: str, status: int):
    response = jsonify(error=code, message=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="wxauth"'
    return response


# Everything under these prefixes is machine-facing and answers JSON errors.
JSON_PREFIXES = ("/api/", "/_sandbox/api/", "/_sandbox/wechat/")


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith(JSON_PREFIXES)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def app_error(exc: AppError):
        response = error_response(exc.code, exc.message, exc.status)
        if exc.status == 429:
            response.headers["Retry-After"] = "60"  # WeChat's 45011 limits are per minute
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not _is_api():
            # An unknown URL reaches no blueprint's handlers: the part of the site that
            # owns the path prefix may still answer it with its own page.
            for prefix, page in app.extensions.get("wxauth.error_pages", {}).items():
                if request.path.startswith(prefix):
                    return page(exc)
            return exc
        code = _HTTP_CODES.get(exc.code or 500, "http_error")
        message = exc.description if exc.code != 500 else "Internal server error."
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

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(exc: Exception):
        # The database is down or unreachable: a clear 503 rather than a hung worker or a 500.
        db.session.rollback()
        log.error("database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
        if _is_api():
            return error_response("database_unavailable", "The service is temporarily unavailable; try again shortly.", 503)
        return "Service temporarily unavailable.", 503

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if app.testing and app.config.get("PROPAGATE_EXCEPTIONS") is not False:
            raise exc
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api():
            return error_response("internal_error", "Internal server error.", 500)
        return "Internal server error.", 500
