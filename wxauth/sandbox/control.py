"""The sandbox control API: simulated users, codes, legacy encrypted data, faults.

Plays WeChat's client side (what `wx.login`, the phone button and `wx.getUserInfo` would
hand the mini-program) for the simulator page, the client-kit tests and curl users.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time

from flask import jsonify, request

from wxauth import settings
from wxauth.errors import AppError, invalid_request
from wxauth.sandbox import bp, store
from wxauth.wechat import crypto

ENDPOINTS = ("jscode2session", "token", "stable_token", "getuserphonenumber", "checksession", "resetusersessionkey", "*")
BODIES = ("html", "empty", "garbage", "reset")


@bp.before_request
def refuse_cross_site_requests():
    """Only the simulator page and scripts drive the control API, never another site through
    a visitor's browser: a POST must be JSON (no simple cross-site form or text/plain
    request is), and a browser's request must come from this origin."""
    if not request.path.startswith("/_sandbox/api/") or request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    origin = request.headers.get("Origin")
    if request.headers.get("Sec-Fetch-Site") == "cross-site" or (origin and origin != request.host_url.rstrip("/")):
        raise AppError("invalid_request", "The sandbox's control API refuses cross-site requests.", 403)
    if request.method == "POST" and not request.is_json:
        raise AppError("unsupported_media_type", "Send JSON with Content-Type: application/json.", 415)
    return None


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None and not request.data:
        return {}
    if not isinstance(data, dict):
        raise invalid_request("The body must be a JSON object.")
    return data


def _appid(body: dict) -> str:
    apps = settings.apps()
    appid = body.get("appid") or apps.default.appid
    if appid not in apps:
        raise AppError("unknown_app", "This server does not serve that appid.", 400)
    return appid


def _user(body: dict, *, create: bool = False) -> dict:
    appid = _appid(body)
    openid = body.get("openid")
    if openid is not None and (not isinstance(openid, str) or not openid.strip() or len(openid) > 64):
        raise invalid_request("openid must be a non-empty string of at most 64 characters.")
    user = store().user(appid, openid) if openid else None
    if user is None:
        if not create:
            raise AppError("not_found", "No simulated user with that openid; create one first.", 404)
        phone, country_code = _phone(body)
        user = store().create_user(
            appid,
            openid,
            unionid=_opt_str(body, "unionid"),
            phone=phone,
            country_code=country_code or "86",
            nickname=_opt_str(body, "nickName"),
            blocked=bool(body.get("blocked")),
        )
    return user


_PHONE = re.compile(r"(?:\+(?P<cc>[0-9]{1,4})-)?(?P<number>[0-9]{5,15})")


def _phone(body: dict) -> tuple[str | None, str | None]:
    """phoneNumber (digits, optionally after +CC-) and countryCode, as WeChat would hand them out."""
    raw, country_code = _opt_str(body, "phoneNumber"), _opt_str(body, "countryCode")
    if country_code is not None and not (country_code.isdigit() and len(country_code) <= 4):
        raise invalid_request("countryCode must be 1 to 4 digits, e.g. 86.")
    if raw is None:
        return None, country_code
    match = _PHONE.fullmatch(raw)
    if match is None:
        raise invalid_request("phoneNumber must be 5 to 15 digits, optionally after +CC- (e.g. 13800001111 or +1-2025550123).")
    return match["number"], match["cc"] or country_code


def _opt_str(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise invalid_request(f"{name} must be a string of at most 64 characters.")
    return value


def _public(user: dict) -> dict:
    """A simulated user as the control API shows it: never its session_key."""
    return {
        "appid": user["appid"],
        "openid": user["openid"],
        "unionid": user["unionid"],
        "phoneNumber": user["phone"],
        "countryCode": user["country_code"],
        "nickName": user["nickname"],
        "blocked": bool(user["blocked"]),
    }


@bp.post("/api/users")
def create_user():
    body = _body()
    if body.get("openid"):
        # Creating an existing openid updates its simulated details.
        phone, country_code = _phone(body)
        user = store().create_user(
            _appid(body),
            body["openid"],
            unionid=_opt_str(body, "unionid"),
            phone=phone,
            country_code=country_code or "86",
            nickname=_opt_str(body, "nickName"),
            blocked=bool(body.get("blocked")),
        )
    else:
        user = _user(body, create=True)
    return jsonify(user=_public(user)), 201


@bp.get("/api/users")
def list_users():
    appid = _appid(dict(request.args))
    return jsonify(users=[_public(u) for u in store().users(appid)])


@bp.post("/api/login-code")
def login_code():
    """What wx.login() would give the mini-program. Creates the simulated user if needed."""
    body = _body()
    user = _user(body, create=True)
    code = store().mint_login_code(user["appid"], user["openid"], rotate=body.get("rotate", True) is not False, age=_age(body))
    return jsonify(code=code, openid=user["openid"], appid=user["appid"])


@bp.post("/api/phone-code")
def phone_code():
    """What the getPhoneNumber button's e.detail.code would be (the user tapped "allow")."""
    body = _body()
    user = _user(body)
    return jsonify(code=store().mint_phone_code(user["appid"], user["openid"], age=_age(body)))


@bp.post("/api/encrypted-phone")
def encrypted_phone():
    """Legacy getPhoneNumber encryptedData/iv, sealed with the user's current session_key."""
    body = _body()
    user = _user(body)
    phone = user["phone"] or "13800138000"
    payload = {
        "phoneNumber": phone if user["country_code"] == "86" else f"+{user['country_code']}{phone}",
        "purePhoneNumber": phone,
        "countryCode": user["country_code"],
        "watermark": {"timestamp": int(time.time()), "appid": user["appid"]},
    }
    return jsonify(**_seal(user, payload))


@bp.post("/api/encrypted-userinfo")
def encrypted_userinfo():
    """Legacy getUserInfo output: rawData + signature and encryptedData/iv."""
    body = _body()
    user = _user(body)
    info = {
        "nickName": _opt_str(body, "nickName") or user["nickname"] or "微信用户",
        "gender": body.get("gender", 0) if body.get("gender", 0) in (0, 1, 2) else 0,
        "language": "zh_CN",
        "city": "",
        "province": "",
        "country": "",
        "avatarUrl": _opt_str(body, "avatarUrl") or "",
    }
    raw_data = json.dumps(info, ensure_ascii=False, separators=(",", ":"))
    payload = {**info, "openId": user["openid"], "watermark": {"timestamp": int(time.time()), "appid": user["appid"]}}
    if user["unionid"]:
        payload["unionId"] = user["unionid"]
    return jsonify(
        rawData=raw_data,
        signature=crypto.raw_data_signature(raw_data, user["session_key"]),
        userInfo=info,
        **_seal(user, payload),
    )


@bp.post("/api/faults")
def add_fault():
    """Make the next `count` calls to `endpoint` fail: an errcode, an HTTP status, a delay or a bad body."""
    body = _body()
    endpoint = body.get("endpoint", "*")
    if endpoint not in ENDPOINTS:
        raise invalid_request(f"endpoint must be one of {', '.join(ENDPOINTS)}.")
    errcode, status, delay, count = body.get("errcode"), body.get("status"), body.get("delay", 0), body.get("count", 1)
    kind = body.get("body")
    if errcode is not None and (not isinstance(errcode, int) or isinstance(errcode, bool)):
        raise invalid_request("errcode must be an integer.")
    if status is not None and (not isinstance(status, int) or not 200 <= status <= 599):
        raise invalid_request("status must be an HTTP status code.")
    if not isinstance(delay, (int, float)) or not 0 <= delay <= 30:
        raise invalid_request("delay must be 0 to 30 seconds.")
    if not isinstance(count, int) or not 1 <= count <= 10000:
        raise invalid_request("count must be 1 to 10000.")
    if kind is not None and kind not in BODIES:
        raise invalid_request(f"body must be one of {', '.join(BODIES)}.")
    if errcode is None and status is None and not delay and kind is None:
        raise invalid_request("Give errcode, status, delay or body.")
    store().add_fault(endpoint, errcode=errcode, status=status, delay=float(delay), body=kind, count=count)
    return jsonify(ok=True), 201


@bp.delete("/api/faults")
def clear_faults():
    store().clear_faults()
    return jsonify(ok=True)


@bp.post("/api/access-tokens/expire")
def expire_tokens():
    """Expire (42001) or invalidate (40001) every issued access_token of an app."""
    body = _body()
    count = store().expire_tokens(_appid(body), invalidate=bool(body.get("invalidate")))
    return jsonify(expired=count)


@bp.get("/api/stats")
def stats():
    return jsonify(calls=store().stats())


@bp.post("/api/reset")
def reset():
    store().reset()
    return jsonify(ok=True)


def _age(body: dict) -> float:
    age = body.get("ageSeconds", 0)
    if not isinstance(age, (int, float)) or age < 0:
        raise invalid_request("ageSeconds must be a non-negative number.")
    return float(age)


def _seal(user: dict, payload: dict) -> dict:
    iv = base64.b64encode(os.urandom(16)).decode()
    return {"encryptedData": crypto.encrypt(user["session_key"], iv, payload), "iv": iv}
