"""Login, phone binding and logout."""

from __future__ import annotations

import re

from flask import g, jsonify, request

from wxauth import ratelimit, settings
from wxauth.api import bp
from wxauth.api.helpers import app_for, bearer_token, code_field, json_body, resolve_app, string_field, token_required
from wxauth.api.serializers import iso, user_json
from wxauth.errors import invalid_request, invalid_token
from wxauth.services import ClientInfo, phone, sessions
from wxauth.services.login import LoginRequest, login
from wxauth.services.logout import logout

_PRINTABLE = re.compile("^[!-~]+$")


@bp.post("/auth/login")
@ratelimit.login_per_ip
def login_view():
    body = json_body()
    app = resolve_app(body)
    user_info = body.get("userInfo")
    if user_info is not None and not isinstance(user_info, dict):
        raise invalid_request("userInfo must be an object.")
    req = LoginRequest(
        code=code_field(body),
        user_info=user_info,
        raw_data=string_field(body, "rawData"),
        signature=string_field(body, "signature", max_length=128),
        encrypted_data=string_field(body, "encryptedData"),
        iv=string_field(body, "iv", max_length=64),
        phone_code=code_field(body, "phoneCode") if body.get("phoneCode") is not None else None,
    )
    if (req.raw_data is None) != (req.signature is None):
        raise invalid_request("rawData and signature go together.")
    if (req.encrypted_data is None) != (req.iv is None):
        raise invalid_request("encryptedData and iv go together.")
    result = login(app, req, ClientInfo.from_request(request))
    needs_phone = settings.current().require_phone and result.user.phone_number is None
    answer = {
        **tokens_json(result.issued),
        "isNewUser": result.is_new_user,
        "needsPhone": needs_phone,
        "phoneBound": result.phone_bound,
        "user": user_json(result.user),
    }
    if result.phone_error is not None:
        answer["phoneError"] = {"error": result.phone_error.code, "message": result.phone_error.message}
    return jsonify(answer)


@bp.post("/auth/phone")
@token_required
@ratelimit.phone_per_ip
@ratelimit.phone_per_user
def phone_view():
    body = json_body()
    user = g.api_session.user
    app = app_for(user.appid)
    client = ClientInfo.from_request(request)
    if body.get("code") is not None:
        result = phone.bind_by_code(app, user, code_field(body), client)
    elif body.get("encryptedData") is not None or body.get("iv") is not None:
        encrypted = string_field(body, "encryptedData", required=True)
        iv = string_field(body, "iv", required=True, max_length=64)
        result = phone.bind_by_encrypted(app, user, encrypted, iv, client)
    else:
        raise invalid_request("Send either code (getPhoneNumber) or encryptedData and iv.")
    return jsonify(
        phoneNumber=result.phone_number,
        purePhoneNumber=result.pure_phone_number,
        countryCode=result.country_code,
        user=user_json(user),
    )


@bp.post("/auth/refresh")
def refresh_view():
    """With {"refreshToken"} (JWT format): the next pair of the family, once per refresh
    token; a reused one revokes the family. With a bearer token: swap it for a new one."""
    body = json_body() if request.is_json or request.content_length else {}
    if set(body) - {"refreshToken"}:
        raise invalid_request("Send only refreshToken, or no body with a bearer token.")
    presented = string_field(body, "refreshToken", max_length=256)
    if presented is not None:
        if not _PRINTABLE.match(presented):
            raise invalid_request("refreshToken is not a refresh token (printable ASCII).")
        try:
            _, issued = sessions.rotate(presented)
        except sessions.RefreshReused:
            raise invalid_token("This refresh token was used already: every token of its session is revoked.") from None
        return jsonify(tokens_json(issued))
    g.api_session = sessions.authenticate(bearer_token())
    _, issued = sessions.refresh(g.api_session, ClientInfo.from_request(request))
    return jsonify(tokens_json(issued))


def tokens_json(issued: sessions.Issued) -> dict:
    """token and expiresAt, and in JWT format refreshToken and refreshExpiresAt."""
    answer = {"token": issued.token, "expiresAt": iso(issued.expires_at)}
    if issued.refresh_token is not None:
        answer.update(refreshToken=issued.refresh_token, refreshExpiresAt=iso(issued.refresh_expires_at))
    return answer


@bp.post("/auth/logout")
@token_required
def logout_view():
    logout(g.api_session)
    return jsonify(ok=True)
