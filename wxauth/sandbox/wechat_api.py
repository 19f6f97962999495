"""WeChat's endpoints that wxauth and SDKs call, as WeChat answers them (HTTP 200 with errcode
on errors): jscode2session, the two access_token APIs, getuserphonenumber, checksession and
resetusersessionkey. Whatever WeChat accepts from a client is accepted here too: a POST body
is JSON whatever its Content-Type says, and unknown parameters are ignored."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import struct
import time

from flask import Response, request

from wxauth import settings
from wxauth.sandbox import bp, store

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40013: "invalid appid",
    40029: "invalid code",
    40125: "invalid appsecret",
    40163: "code been used",
    40226: "code blocked",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    42001: "access_token expired",
    43002: "require POST method",
    40003: "invalid openid",
    45011: "api minute-quota reach limit mustslower retry next minute",
    47001: "data format error",
    87008: "invalid sig_method",
    87009: "invalid signature",
}


def _answer(**body) -> Response:
    """A body as WeChat writes it: compact JSON, no trailing newline (co-wechat-api, for one,
    fails on the newline Flask's jsonify adds), under WeChat's Content-Type."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, content_type="application/json; encoding=utf-8")


def _err(errcode: int) -> Response:
    return _answer(errcode=errcode, errmsg=f"{ERRMSG.get(errcode, 'error')}, rid: sandbox-{int(time.time())}")


def _fault(endpoint: str):
    """Apply the next injected fault for this endpoint, if any; return a response to send instead."""
    fault = store().take_fault(endpoint)
    if fault is None:
        return None
    if fault.delay:
        time.sleep(fault.delay)
    if fault.body == "html":
        return Response("<html><body>502 Bad Gateway</body></html>", status=fault.status or 200, mimetype="text/html")
    if fault.body == "empty":
        return Response("", status=fault.status or 200, mimetype="application/json")
    if fault.body == "reset":
        _reset_connection()
        return Response(_cut_off(), status=200, mimetype="application/json", headers={"Content-Length": "64"})
    if fault.body == "garbage":
        return Response('{"errcode": 0, "openid"', status=fault.status or 200, mimetype="application/json")
    if fault.status and fault.status != 200:
        return Response(f"HTTP {fault.status}", status=fault.status, mimetype="text/plain")
    if fault.errcode is not None:
        return _err(fault.errcode)
    return None  # a pure delay: answer normally, late


class SimulatedReset(ConnectionResetError):
    """Raised mid-body so the server drops the connection, as a reset would."""


def _reset_connection() -> None:
    """Send a TCP reset on the client's connection (werkzeug's and gunicorn's servers expose it)."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is None:
        return  # another server: _cut_off still breaks the answer off mid-body
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _cut_off():
    yield b'{"errcode": 0, "op'
    raise SimulatedReset("sandbox: connection reset by fault injection")


def _app_secret(appid: str | None) -> str | None:
    app = settings.apps().get(appid)
    return app.secret if app is not None else None


def _check_credentials(appid: str | None, secret: str | None) -> int:
    if not appid:
        return 41002
    if not secret:
        return 41004
    expected = _app_secret(appid)
    if expected is None:
        return 40013
    if secret != expected:
        return 40125
    return 0


@bp.get("/wechat/sns/jscode2session")
def jscode2session():
    faulty = _fault("jscode2session")
    if faulty is not None:
        return faulty
    args = request.args
    errcode = _check_credentials(args.get("appid"), args.get("secret"))
    if errcode:
        return _err(errcode)
    if args.get("grant_type") != "authorization_code":
        return _err(40002)
    code = args.get("js_code")
    if not code:
        return _err(41008)
    row, errcode = store().redeem(code, "login", args["appid"])
    if row is None:
        return _err(errcode)
    user = store().known_user(row["appid"], row["openid"])
    if user["blocked"]:
        return _err(40226)
    # Like WeChat since late 2022: no errcode on success, no expires_in.
    body = {"openid": user["openid"], "session_key": row["session_key"]}
    if user["unionid"]:
        body["unionid"] = user["unionid"]
    return _answer(**body)


@bp.get("/wechat/cgi-bin/token")
def classic_token():
    faulty = _fault("token")
    if faulty is not None:
        return faulty
    args = request.args
    if args.get("grant_type") != "client_credential":
        return _err(40002)
    errcode = _check_credentials(args.get("appid"), args.get("secret"))
    if errcode:
        return _err(errcode)
    token, expires_in = store().issue_token(args["appid"], "classic")
    return _answer(access_token=token, expires_in=expires_in)


@bp.route("/wechat/cgi-bin/stable_token", methods=["GET", "POST"])
def stable_token():
    if request.method != "POST":
        return _err(43002)
    faulty = _fault("stable_token")
    if faulty is not None:
        return faulty
    body = _json_body()
    if isinstance(body, int):
        return _err(body)
    if body.get("grant_type") != "client_credential":
        return _err(40002)
    errcode = _check_credentials(body.get("appid"), body.get("secret"))
    if errcode:
        return _err(errcode)
    token, expires_in = store().issue_token(body["appid"], "stable", force=bool(body.get("force_refresh")))
    return _answer(access_token=token, expires_in=expires_in)


@bp.post("/wechat/wxa/business/getuserphonenumber")
def getuserphonenumber():
    faulty = _fault("getuserphonenumber")
    if faulty is not None:
        return faulty
    appid, errcode = store().check_token(request.args.get("access_token"))
    if appid is None:
        return _err(errcode)
    body = _json_body()
    if isinstance(body, int):
        return _err(body)
    code = body.get("code")
    if not isinstance(code, str) or not code:
        return _err(41008)
    row, errcode = store().redeem(code, "phone", appid)
    if row is None:
        return _err(errcode)
    user = store().known_user(row["appid"], row["openid"])
    phone = user["phone"] or "13800138000"
    return _answer(
        errcode=0,
        errmsg="ok",
        phone_info={
            "phoneNumber": phone if user["country_code"] == "86" else f"+{user['country_code']}{phone}",
            "purePhoneNumber": phone,
            "countryCode": int(user["country_code"]),  # the official example sends a number here
            "watermark": {"timestamp": int(time.time()), "appid": appid},
        },
    )


@bp.get("/wechat/wxa/checksession")
def checksession():
    """checkSessionKey: does `signature` (HMAC-SHA256 of "" under the user's session_key) match?"""
    faulty = _fault("checksession")
    if faulty is not None:
        return faulty
    user, errcode = _signed_user()
    if user is None:
        return _err(errcode)
    return _answer(errcode=0, errmsg="ok")


@bp.get("/wechat/wxa/resetusersessionkey")
def resetusersessionkey():
    """resetUserSessionKey: a new session_key for a correctly signed request; the old one dies."""
    faulty = _fault("resetusersessionkey")
    if faulty is not None:
        return faulty
    user, errcode = _signed_user()
    if user is None:
        return _err(errcode)
    key = store().reset_session_key(user["appid"], user["openid"])
    return _answer(errcode=0, errmsg="ok", openid=user["openid"], session_key=key)


def _signed_user() -> tuple[dict | None, int]:
    """The user of a login-state-signed GET (access_token, openid, signature, sig_method), or an errcode."""
    appid, errcode = store().check_token(request.args.get("access_token"))
    if appid is None:
        return None, errcode
    if request.args.get("sig_method") != "hmac_sha256":
        return None, 87008
    openid = request.args.get("openid")
    user = store().user(appid, openid) if openid else None
    if user is None:
        return None, 40003
    # The key is the base64 text of the session_key itself, the message the body ("" for a GET).
    expected = hmac.new(user["session_key"].encode(), b"", hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, (request.args.get("signature") or "").lower()):
        return None, 87009
    return user, 0


def _json_body() -> dict | int:
    """A POST body as WeChat reads it: JSON whatever the Content-Type (wechatpy sends none);
    an empty body is no fields, anything else that is not a JSON object is 47001."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return 47001
    return body if isinstance(body, dict) else 47001
