"""The one error type that services raise and every blueprint knows how to answer, and the
app-wide error handling that sends each error to the part of the site that answers it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("wxauth")


class AppError(Exception):
    """A failure with a stable machine code, a readable message and an HTTP status."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        wechat_errcode: int | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.wechat_errcode = wechat_errcode
        # Fields the answer carries besides error and message (decrypt_failed's reason).
        self.extra = extra or {}


def invalid_request(message: str) -> AppError:
    return AppError("invalid_request", message, 400)


def invalid_token(message: str = "The token is missing, invalid, expired or revoked.") -> AppError:
    return AppError("invalid_token", message, 401)


def propagate_in_tests(exc: Exception) -> None:
    """Re-raise `exc` under the test client, so a test sees the traceback, not a 500 page."""
    if current_app.testing and current_app.config.get("PROPAGATE_EXCEPTIONS") is not False:
        raise exc


_UNMATCHED = "wxauth.unmatched_url_errors"


def answer_unmatched(app: Flask, prefix: str, handler: Callable[[HTTPException], Any]) -> None:
    """Let `handler` answer the errors of URLs under `prefix` that no view matched.

    Such a request (a 404, or a 405 for a known path) reaches no blueprint, so no
    blueprint's handlers see it; the part of the site that owns the prefix still should.
    """
    app.extensions.setdefault(_UNMATCHED, {})[prefix] = handler


def init_app(app: Flask) -> None:
    """The app-wide handlers: unmatched URLs go to their prefix's owner; the rest is plain."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        owners = app.extensions.get(_UNMATCHED, {})
        for prefix in sorted(owners, key=len, reverse=True):
            if request.path == prefix.rstrip("/") or request.path.startswith(prefix):
                return owners[prefix](exc)
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        propagate_in_tests(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return "Internal server error.", 500
