"""The one error type that services raise and every blueprint knows how to answer."""

from __future__ import annotations


class AppError(Exception):
    """A failure with a stable machine code, a readable message and an HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, *, wechat_errcode: int | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.wechat_errcode = wechat_errcode


def invalid_request(message: str) -> AppError:
    return AppError("invalid_request", message, 400)


def invalid_token(message: str = "The token is missing, invalid, expired or revoked.") -> AppError:
    return AppError("invalid_token", message, 401)
