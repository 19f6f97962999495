"""The OpenAPI 3.1 description of the API, served at /api/openapi.json.

Tests validate real responses against these schemas, so the document cannot drift from
what the server does.
"""

from __future__ import annotations

from copy import deepcopy
from functools import lru_cache

from flask import jsonify

from wxauth import settings
from wxauth.api import bp
from wxauth.api.helpers import BLOB_MAX, CODE_MAX, CODE_PATTERN
from wxauth.services.profile import AVATAR_URL_MAX, NICKNAME_MAX

ERROR_CODES = [
    "invalid_request",
    "invalid_code",
    "invalid_signature",
    "invalid_token",
    "invalid_phone_code",
    "decrypt_failed",
    "phone_required",
    "signup_closed",
    "user_blocked",
    "rate_limited",
    "unknown_app",
    "invalid_client",
    "insufficient_scope",
    "not_found",
    "method_not_allowed",
    "request_too_large",
    "unsupported_media_type",
    "wechat_unavailable",
    "database_unavailable",
    "wechat_misconfigured",
    "wechat_error",
    "internal_error",
    "http_error",
]

_nullable_str = {"type": ["string", "null"]}
# Request fields say exactly what the views accept, each bounded: a free-form object or an
# unbounded string leaves a fuzzer generating what the API must refuse.
_CODE = {
    "type": "string",
    "minLength": 1,
    "maxLength": CODE_MAX,
    "pattern": CODE_PATTERN,
    "description": "from wx.login() or getPhoneNumber",
}
_TEXT = {"type": "string", "maxLength": BLOB_MAX, "pattern": "^[^\\u0000]*$"}
_BASE64 = {"type": "string", "minLength": 4, "maxLength": BLOB_MAX, "pattern": "^[A-Za-z0-9+/]+={0,2}$"}
_IV = {
    "type": "string",
    "minLength": 24,
    "maxLength": 24,
    "pattern": "^[A-Za-z0-9+/]{22}==$",
    "description": "16 bytes in base64",
}
_SHA1_HEX = {"type": "string", "minLength": 40, "maxLength": 40, "pattern": "^[0-9a-fA-F]{40}$"}
_PLACE = {"type": "string", "maxLength": 64}


def _rows(*fields: str) -> dict:
    """An export list: objects with exactly these fields (values of any JSON type)."""
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": list(fields),
            "properties": {f: {} for f in fields},
            "additionalProperties": False,
        },
    }


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(schema: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_AUTH_ERRORS = {
    "401": _error("invalid_token: missing, invalid, expired or revoked token"),
    "503": _error("database_unavailable"),
}
_BODY_ERRORS = {"413": _error("request_too_large: the body is over the size limit")}
_WECHAT_ERRORS = {
    "429": _error("rate_limited (WeChat 45011)"),
    "500": _error("wechat_misconfigured: WeChat rejected our AppID/secret; details are in the server log"),
    "502": _error("wechat_unavailable / wechat_error: WeChat answered something unusable"),
    "503": _error("wechat_unavailable: WeChat busy or unreachable after one bounded retry; or database_unavailable"),
    **_BODY_ERRORS,
}

_SERVICE_ERRORS = {
    "401": _error("invalid_client: missing or wrong HTTP Basic credentials (WWW-Authenticate: Basic)"),
    "403": _error("insufficient_scope: the client lacks this endpoint's scope"),
    "429": _error("rate_limited: too many failed authentications from this IP"),
    "503": _error("database_unavailable"),
}
_ACCESS_TOKEN_ERRORS = {
    "400": _error("invalid_request or unknown_app"),
    **_SERVICE_ERRORS,
    "500": _error("wechat_misconfigured: WeChat rejected our AppID/secret"),
    "502": _error("wechat_error"),
    "503": _error("wechat_unavailable or database_unavailable"),
    **_BODY_ERRORS,
}
_TOKEN_PROPERTIES = {
    "token": {"type": "string", "description": "opaque, or a JWT with WXAUTH_TOKEN_FORMAT=jwt"},
    "expiresAt": {"type": "string", "format": "date-time"},
    "refreshToken": {"type": "string", "description": "JWT format only: single use; a reuse revokes the session"},
    "refreshExpiresAt": {"type": "string", "format": "date-time", "description": "JWT format only"},
}

_PROFILE_UPDATE = {
    "summary": "Fill in avatar and nickname",
    "operationId": "updateMe",
    "security": [{"bearer": []}],
    "requestBody": _body("ProfileUpdate"),
    "responses": {"200": _ok("UserResponse"), "400": _error("invalid_request"), **_AUTH_ERRORS, **_BODY_ERRORS},
}

SPEC: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "wxauth API",
        "version": "1.0.0",
        "description": "Login, phone binding and profile for WeChat mini-programs. "
        "Every error is {error, message} with a fitting HTTP status.",
    },
    "paths": {
        "/api/auth/login": {
            "post": {
                "summary": "Log in with a wx.login code",
                "operationId": "login",
                "requestBody": _body("LoginRequest"),
                "responses": {
                    "200": _ok("LoginResponse"),
                    "400": _error("invalid_request or unknown_app"),
                    "401": _error("invalid_code (WeChat 40029/40163) or invalid_signature"),
                    "403": _error("user_blocked (WeChat 40226); phone_required or signup_closed (the app's sign-up policy)"),
                    "422": _error("decrypt_failed: encryptedData could not be decrypted with the fresh session_key"),
                    **_WECHAT_ERRORS,
                },
            }
        },
        "/api/auth/phone": {
            "post": {
                "summary": "Bind the user's phone number",
                "operationId": "bindPhone",
                "security": [{"bearer": []}],
                "requestBody": _body("PhoneRequest"),
                "responses": {
                    "200": _ok("PhoneResponse"),
                    "400": _error("invalid_request or invalid_phone_code"),
                    **_AUTH_ERRORS,
                    "422": _error("decrypt_failed (recorded as a failure with its reason)"),
                    **_WECHAT_ERRORS,
                },
            }
        },
        "/api/auth/refresh": {
            "post": {
                "summary": "A new token: by refresh token (JWT format), or by swapping this bearer token",
                "description": "With {refreshToken}: the next pair of the session; each refresh token works once, "
                "and presenting a used one revokes the whole session (401). Without a body: the bearer token is "
                "swapped for a new one and revoked.",
                "operationId": "refreshToken",
                "security": [{"bearer": []}, {}],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RefreshRequest"}}},
                },
                "responses": {
                    "200": _ok("TokenResponse"),
                    "400": _error("invalid_request"),
                    **_AUTH_ERRORS,
                    **_BODY_ERRORS,
                },
            }
        },
        "/api/oauth/introspect": {
            "post": {
                "summary": "RFC 7662 token introspection, for your other services",
                "description": "Whether a token is live now and whose. Any token that is not (garbage, expired, "
                "revoked, logged out, deleted user, a refresh token) is exactly {active: false}.",
                "operationId": "introspect",
                "security": [{"basic": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/IntrospectionRequest"}}
                    },
                },
                "responses": {"200": _ok("Introspection"), "400": _error("invalid_request"), **_SERVICE_ERRORS, **_BODY_ERRORS},
            }
        },
        "/api/internal/wechat/access-token": {
            "get": {
                "summary": "The shared WeChat access_token, from the cache every instance uses",
                "operationId": "getAccessToken",
                "security": [{"basic": []}],
                "parameters": [
                    {
                        "name": "appid",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 64},
                        "description": "default: the first configured mini-program",
                    }
                ],
                "responses": {"200": _ok("AccessToken"), **_ACCESS_TOKEN_ERRORS},
            },
            "post": {
                "summary": "WeChat rejected this access_token: refresh it, once for every service that reports it",
                "description": "Refreshes only if `rejected` is still the current token; otherwise answers the current one.",
                "operationId": "reportRejectedAccessToken",
                "security": [{"basic": []}],
                "requestBody": _body("RejectedAccessToken"),
                "responses": {"200": _ok("AccessToken"), **_ACCESS_TOKEN_ERRORS},
            },
        },
        "/.well-known/jwks.json": {
            "get": {
                "summary": "The public keys (JWKS) that verify JWT access tokens",
                "operationId": "jwks",
                "responses": {"200": _ok("JWKS")},
            }
        },
        "/api/auth/logout": {
            "post": {
                "summary": "Revoke this token and forget the WeChat session_key",
                "operationId": "logout",
                "security": [{"bearer": []}],
                "responses": {"200": _ok("Ok"), **_AUTH_ERRORS},
            }
        },
        "/api/me": {
            "get": {
                "summary": "The signed-in user",
                "operationId": "getMe",
                "security": [{"bearer": []}],
                "responses": {"200": _ok("MeResponse"), **_AUTH_ERRORS},
            },
            "patch": _PROFILE_UPDATE,
            "put": {
                **_PROFILE_UPDATE,
                "operationId": "updateMePut",
                "description": "The same partial update as PATCH, for wx.request, which cannot send PATCH.",
            },
            "delete": {
                "summary": "Delete the account (注销账号)",
                "description": "Every session ends at once; the profile, phone, session_key and (appid, openid) are "
                "erased, so a later login is a new user; login events, failures and phone binds are kept without "
                "openid, IP or user agent.",
                "operationId": "deleteMe",
                "security": [{"bearer": []}],
                "responses": {"200": _ok("Deleted"), **_AUTH_ERRORS},
            },
        },
        "/api/me/export": {
            "get": {
                "summary": "Everything stored about the signed-in person (never a secret)",
                "operationId": "exportMe",
                "security": [{"bearer": []}],
                "responses": {"200": _ok("PersonalData"), "429": _error("rate_limited (per user)"), **_AUTH_ERRORS},
            }
        },
        "/healthz": {
            "get": {
                "summary": "Liveness and database check",
                "operationId": "health",
                "responses": {"200": _ok("Health"), "503": _ok("Health", "The database does not answer")},
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "basic", "description": "a service client's client_id and client_secret"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": {"type": "string", "enum": ERROR_CODES},
                    "message": {"type": "string"},
                    "reason": {
                        "type": "string",
                        "description": "decrypt_failed only: why (bad_padding, not_json, …; stale_session_key when WeChat "
                        "confirmed the stored session_key is no longer valid: log in again, then ask again)",
                    },
                },
                "additionalProperties": False,
            },
            "User": {
                "type": "object",
                "required": [
                    "id",
                    "appid",
                    "openid",
                    "unionid",
                    "nickName",
                    "avatarUrl",
                    "gender",
                    "phoneNumber",
                    "countryCode",
                    "createdAt",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "appid": {"type": "string"},
                    "openid": {"type": "string"},
                    "unionid": _nullable_str,
                    "nickName": _nullable_str,
                    "avatarUrl": _nullable_str,
                    "gender": {"type": "integer", "enum": [0, 1, 2]},
                    "phoneNumber": _nullable_str,
                    "countryCode": _nullable_str,
                    "createdAt": {"type": "string", "format": "date-time"},
                },
                "additionalProperties": False,
            },
            "LoginRequest": {
                "type": "object",
                "required": ["code"],
                "properties": {
                    "code": _CODE,
                    "appid": {
                        "type": "string",
                        "description": "which mini-program; default: the first configured (another gives 400 unknown_app)",
                    },
                    "userInfo": {"$ref": "#/components/schemas/UserInfo"},
                    "rawData": {**_TEXT, "description": "the userInfo as JSON text, signed by signature"},
                    "signature": {**_SHA1_HEX, "description": "sha1(rawData + session_key), verified when sent"},
                    "encryptedData": {**_BASE64, "description": "legacy getUserInfo payload"},
                    "iv": _IV,
                    "phoneCode": {
                        **_CODE,
                        "description": "the getPhoneNumber button's detail.code: log in and bind the phone in one request",
                    },
                },
                "dependentRequired": {
                    "rawData": ["signature"],
                    "signature": ["rawData"],
                    "encryptedData": ["iv"],
                    "iv": ["encryptedData"],
                },
                "additionalProperties": False,
            },
            "UserInfo": {
                "type": "object",
                "description": "unverified profile as wx.getUserInfo gave it; fields that do not fit are ignored",
                "properties": {
                    "nickName": {"type": "string", "maxLength": NICKNAME_MAX},
                    "avatarUrl": {"type": "string", "maxLength": AVATAR_URL_MAX},
                    "gender": {"type": "integer", "enum": [0, 1, 2]},
                    "country": _PLACE,
                    "province": _PLACE,
                    "city": _PLACE,
                    "language": {"type": "string", "maxLength": 16},
                },
                "additionalProperties": False,
            },
            "LoginResponse": {
                "type": "object",
                "required": ["token", "expiresAt", "isNewUser", "needsPhone", "phoneBound", "user"],
                "properties": {
                    **_TOKEN_PROPERTIES,
                    "isNewUser": {"type": "boolean"},
                    "needsPhone": {"type": "boolean"},
                    "phoneBound": {"type": "boolean", "description": "this login's phoneCode bound the phone"},
                    "phoneError": {
                        "type": "object",
                        "description": "why phoneCode did not bind (the errors of POST /api/auth/phone); the login stands",
                        "required": ["error", "message"],
                        "properties": {"error": {"type": "string", "enum": ERROR_CODES}, "message": {"type": "string"}},
                        "additionalProperties": False,
                    },
                    "user": {"$ref": "#/components/schemas/User"},
                },
                "additionalProperties": False,
            },
            "TokenResponse": {
                "type": "object",
                "required": ["token", "expiresAt"],
                "properties": _TOKEN_PROPERTIES,
                "dependentRequired": {"refreshToken": ["refreshExpiresAt"]},
                "additionalProperties": False,
            },
            "RefreshRequest": {
                "type": "object",
                "properties": {"refreshToken": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "^[!-~]+$"}},
                "additionalProperties": False,
            },
            "IntrospectionRequest": {
                "type": "object",
                "required": ["token"],
                "properties": {
                    "token": {"type": "string", "minLength": 1, "maxLength": 4096},
                    "token_type_hint": {"type": "string", "maxLength": 64},
                },
                "additionalProperties": False,
            },
            "Introspection": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["active"],
                        "properties": {"active": {"const": False}},
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "required": ["active", "sub", "appid", "openid", "unionid", "iat", "exp", "token_type"],
                        "properties": {
                            "active": {"const": True},
                            "sub": {"type": "string", "description": "the user id"},
                            "appid": {"type": "string"},
                            "openid": {"type": "string"},
                            "unionid": _nullable_str,
                            "iat": {"type": "integer"},
                            "exp": {"type": "integer"},
                            "token_type": {"const": "access_token"},
                        },
                        "additionalProperties": False,
                    },
                ]
            },
            "AccessToken": {
                "type": "object",
                "required": ["accessToken", "expiresAt"],
                "properties": {"accessToken": {"type": "string"}, "expiresAt": {"type": "string", "format": "date-time"}},
                "additionalProperties": False,
            },
            "RejectedAccessToken": {
                "type": "object",
                "required": ["rejected"],
                "properties": {
                    "appid": {"type": "string", "maxLength": 64},
                    "rejected": {"type": "string", "minLength": 1, "maxLength": 512, "pattern": "^[^\\u0000]+$"},
                },
                "additionalProperties": False,
            },
            "JWKS": {
                "type": "object",
                "required": ["keys"],
                "properties": {
                    "keys": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["kty", "crv", "x", "kid", "alg", "use"],
                            "properties": {
                                "kty": {"const": "OKP"},
                                "crv": {"const": "Ed25519"},
                                "x": {"type": "string"},
                                "kid": {"type": "string"},
                                "alg": {"const": "EdDSA"},
                                "use": {"const": "sig"},
                            },
                            "additionalProperties": False,
                        },
                    }
                },
                "additionalProperties": False,
            },
            "PhoneRequest": {
                "type": "object",
                "description": "Either code (getPhoneNumber button, base library >= 2.21.2) or encryptedData + iv (legacy); "
                "code wins when both are sent.",
                "properties": {"code": _CODE, "encryptedData": _BASE64, "iv": _IV},
                "anyOf": [{"required": ["code"]}, {"required": ["encryptedData", "iv"]}],
                "dependentRequired": {"encryptedData": ["iv"], "iv": ["encryptedData"]},
                "additionalProperties": False,
            },
            "PhoneResponse": {
                "type": "object",
                "required": ["phoneNumber", "purePhoneNumber", "countryCode", "user"],
                "properties": {
                    "phoneNumber": {"type": "string"},
                    "purePhoneNumber": {"type": "string"},
                    "countryCode": {"type": "string"},
                    "user": {"$ref": "#/components/schemas/User"},
                },
                "additionalProperties": False,
            },
            "ProfileUpdate": {
                "type": "object",
                "minProperties": 1,
                "properties": {
                    "nickName": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 64,
                        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$",
                        "description": "no control characters; not blank",
                    },
                    "avatarUrl": {"type": "string", "maxLength": 512, "format": "uri", "pattern": "^https?://"},
                },
                "additionalProperties": False,
            },
            "MeResponse": {
                "type": "object",
                "required": ["user", "linkedApps"],
                "properties": {
                    "user": {"$ref": "#/components/schemas/User"},
                    "linkedApps": {
                        "type": "array",
                        "description": "the other mini-programs of this deployment where the same person (unionid) has a user",
                        "items": {
                            "type": "object",
                            "required": ["appid", "name"],
                            "properties": {"appid": {"type": "string"}, "name": {"type": "string"}},
                            "additionalProperties": False,
                        },
                    },
                },
                "additionalProperties": False,
            },
            "Deleted": {
                "type": "object",
                "required": ["deleted"],
                "properties": {"deleted": {"const": True}},
                "additionalProperties": False,
            },
            "PersonalData": {
                "type": "object",
                "required": ["exportedAt", "user", "sessions", "logins", "failures", "phoneBinds", "phoneReveals"],
                "properties": {
                    "exportedAt": {"type": "string", "format": "date-time"},
                    "user": {"type": "object", "description": "User, with lastLoginAt and phoneBoundAt"},
                    "sessions": _rows("createdAt", "lastSeenAt", "expiresAt", "revokedAt", "ip", "userAgent"),
                    "logins": _rows("createdAt", "outcome", "isNewUser", "ip", "userAgent"),
                    "failures": _rows("createdAt", "kind", "reason", "wechatErrcode", "ip", "userAgent"),
                    "phoneBinds": _rows("createdAt", "method", "ip", "userAgent"),
                    "phoneReveals": _rows("createdAt"),
                },
                "additionalProperties": False,
            },
            "UserResponse": {
                "type": "object",
                "required": ["user"],
                "properties": {"user": {"$ref": "#/components/schemas/User"}},
                "additionalProperties": False,
            },
            "Ok": {
                "type": "object",
                "required": ["ok"],
                "properties": {"ok": {"const": True}},
                "additionalProperties": False,
            },
            "Health": {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"type": "string", "enum": ["ok", "unavailable"]}},
            },
        },
    },
}


@lru_cache(maxsize=8)
def document(appids: tuple[str, ...]) -> dict:
    """SPEC with the appids this deployment serves, the only ones a login may name."""
    doc = deepcopy(SPEC)
    doc["components"]["schemas"]["LoginRequest"]["properties"]["appid"]["enum"] = list(appids)
    doc["components"]["schemas"]["RejectedAccessToken"]["properties"]["appid"]["enum"] = list(appids)
    doc["paths"]["/api/internal/wechat/access-token"]["get"]["parameters"][0]["schema"]["enum"] = list(appids)
    return doc


@bp.get("/openapi.json")
def openapi_view():
    return jsonify(document(settings.apps().appids))
