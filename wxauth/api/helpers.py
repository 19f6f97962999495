"""Request parsing and authentication for API views."""

from __future__ import annotations

import re
from functools import wraps
from typing import Literal, overload

from flask import current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from config import MiniApp
from wxauth import settings
from wxauth.errors import AppError, invalid_request
from wxauth.services import sessions

CODE_MAX = 128
# WeChat's codes are printable ASCII; anything else cannot be one (the OpenAPI document says the same).
CODE_PATTERN = "^[!-~]+$"
_CODE = re.compile(CODE_PATTERN)
BLOB_MAX = 8192


def json_body() -> dict:
    """The request's JSON object, or invalid_request saying what is wrong with the body."""
    if not request.is_json:
        raise invalid_request("Send a JSON object with Content-Type: application/json.")
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH, chunked or not: 413
    limit = settings.current().max_content_length
    if limit is not None and len(raw) >= limit and request.content_length is None:
        raise RequestEntityTooLarge()  # a chunked body cut at the limit is still too large
    try:
        text = raw.decode("utf-8-sig")  # a BOM is tolerated, as JSON parsers do
    except UnicodeDecodeError:
        raise invalid_request("The body is not UTF-8: send JSON encoded as UTF-8.") from None
    try:
        data = current_app.json.loads(text) if text.strip() else None
    except ValueError:
        raise invalid_request("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid_request("The body must be a JSON object ({...}).")
    return data


@overload
def string_field(body: dict, name: str, *, required: Literal[True], max_length: int = BLOB_MAX) -> str: ...
@overload
def string_field(body: dict, name: str, *, required: bool = False, max_length: int = BLOB_MAX) -> str | None: ...
def string_field(body: dict, name: str, *, required: bool = False, max_length: int = BLOB_MAX) -> str | None:
    """The string `name` of a JSON body, checked: a string, within `max_length`, no NUL."""
    value = body.get(name)
    if value is None:
        if required:
            raise invalid_request(f"{name} is required.")
        return None
    if not isinstance(value, str):
        raise invalid_request(f"{name} must be a string.")
    if required and not value.strip():
        raise invalid_request(f"{name} must not be blank.")
    if len(value) > max_length:
        raise invalid_request(f"{name} is too long (at most {max_length} characters).")
    if "\x00" in value:
        raise invalid_request(f"{name} must not contain NUL characters.")
    return value


def code_field(body: dict, name: str = "code") -> str:
    value = string_field(body, name, required=True, max_length=CODE_MAX)
    if not _CODE.match(value):
        raise invalid_request(f"{name} is not a valid code (printable ASCII, no spaces).")
    return value


def resolve_app(body: dict | None = None, appid: str | None = None) -> MiniApp:
    """The mini-program a request is for: `appid` in the body, else the default (first) app."""
    apps = settings.apps()
    if appid is None and body is not None:
        appid = string_field(body, "appid", max_length=64)
    if appid is None:
        return apps.default
    app = apps.get(appid)
    if app is not None:
        return app
    raise AppError("unknown_app", "This server does not serve that appid.", 400)


def app_for(appid: str) -> MiniApp:
    return resolve_app(appid=appid)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_required(view):
    """Authenticate the bearer token; the live session is `g.api_session`."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.api_session = sessions.authenticate(bearer_token())
        return view(*args, **kwargs)

    return wrapper
