"""What the team's other services call, with HTTP Basic client credentials: token
introspection (RFC 7662) and the shared WeChat access_token."""

from __future__ import annotations

from flask import current_app, jsonify, request

from wxauth import ratelimit
from wxauth.api import bp
from wxauth.api.helpers import app_for, json_body, resolve_app, string_field
from wxauth.api.serializers import iso
from wxauth.errors import invalid_request
from wxauth.services import clients, sessions
from wxauth.wechat.errors import WeChatError, WeChatUnavailable, access_token_error, unavailable_error

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
INTROSPECTION_FIELDS = {"token", "token_type_hint"}
TOKEN_MAX = 4096


def service_caller(scope: str) -> clients.Caller:
    """The client of this request's HTTP Basic credentials, holding `scope` (401, 403)."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        raise clients.invalid_client()
    caller = clients.authenticate(auth.username, auth.password)
    clients.require_scope(caller, scope)
    return caller


@bp.post("/oauth/introspect")
@ratelimit.service_auth_per_ip
def introspect_view():
    """RFC 7662: whether a token is live now, and whose. One indexed read of the session."""
    service_caller("introspect")
    if request.mimetype != "application/x-www-form-urlencoded":
        raise invalid_request("Send token=… form-encoded (application/x-www-form-urlencoded).")
    unknown = set(request.form) - INTROSPECTION_FIELDS
    if unknown:
        raise invalid_request(f"Unknown field {', '.join(sorted(unknown))}: send token (and token_type_hint).")
    token = request.form.get("token")
    if not token:
        raise invalid_request("token is required.")
    if len(token) > TOKEN_MAX or len(request.form.get("token_type_hint", "")) > 64:
        raise invalid_request(f"token is too long (at most {TOKEN_MAX} characters).")
    found = sessions.live(token)
    if found is None:
        return jsonify(active=False), 200, NO_STORE
    return (
        jsonify(
            active=True,
            sub=str(found.user_id),
            appid=found.appid,
            openid=found.openid,
            unionid=found.unionid,
            iat=found.issued_at,
            exp=found.expires_at,
            token_type="access_token",  # noqa: S106 - RFC 7662's name for the kind of token
        ),
        200,
        NO_STORE,
    )


@bp.get("/internal/wechat/access-token")
@ratelimit.service_auth_per_ip
def access_token_view():
    """The app's current WeChat access_token from the cache every instance shares."""
    service_caller("wechat_token")
    app = app_for(request.args["appid"]) if "appid" in request.args else resolve_app()
    return _answer(lambda tokens: tokens.current(app))


@bp.post("/internal/wechat/access-token")
@ratelimit.service_auth_per_ip
def access_token_rejected_view():
    """WeChat rejected `rejected`: refresh only if it is still the current token, so many
    services reporting one rejection cause one refresh."""
    service_caller("wechat_token")
    body = json_body()
    unknown = set(body) - {"appid", "rejected"}
    if unknown:
        raise invalid_request(f"Unknown field {', '.join(sorted(unknown))}: send rejected (and appid).")
    if "appid" in body and not isinstance(body["appid"], str):
        raise invalid_request("appid must be a string (or left out for the default mini-program).")
    app = resolve_app(body)
    rejected = string_field(body, "rejected", required=True, max_length=512)
    return _answer(lambda tokens: tokens.replaced(app, rejected))


def _answer(get):
    tokens = current_app.extensions["wxauth.wechat"].tokens
    try:
        cached = get(tokens)
    except WeChatError as exc:
        raise access_token_error(exc) from None
    except WeChatUnavailable as exc:
        raise unavailable_error(exc) from None
    return jsonify(accessToken=cached.token, expiresAt=iso(cached.expires_at)), 200, NO_STORE
