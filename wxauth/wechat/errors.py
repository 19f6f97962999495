"""WeChat's errcodes, and how each maps to one of our stable API errors."""

from __future__ import annotations

from wxauth.errors import AppError


class WeChatError(Exception):
    """WeChat answered, with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str, endpoint: str):
        super().__init__(f"{endpoint}: errcode {errcode}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint


class WeChatUnavailable(Exception):
    """WeChat could not be reached, timed out, or answered something we cannot read."""

    def __init__(self, reason: str, endpoint: str, *, status: int = 503, http_status: int | None = None):
        super().__init__(f"{endpoint}: {reason}")
        self.reason = reason
        self.endpoint = endpoint
        self.status = status
        self.http_status = http_status


# access_token rejected: refresh once and replay once (same set as WxJava and wechatpy).
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})

# The deployment itself is wrong (AppID, secret, IP whitelist, frozen account, quota).
# The operator needs to act; the mini-program user can do nothing about it.
MISCONFIGURED_ERRCODES = frozenset(
    {40002, 40013, 40125, 40164, 40243, 41002, 41004, 45009, 48001, 50004, 50007, 89503, 89506, 89507}
)

_UNAVAILABLE = "WeChat is not available right now; please try again shortly."
_MISCONFIGURED = "The server's WeChat configuration was rejected by WeChat; the operator has been told."


def login_error(exc: WeChatError) -> AppError:
    """Map a code2Session failure to our error."""
    code = exc.errcode
    if code in (40029, 40163, 41008):
        return AppError(
            "invalid_code",
            "The login code is invalid, expired or already used; call wx.login() again.",
            401,
            wechat_errcode=code,
        )
    if code == 40226:
        return AppError("user_blocked", "WeChat blocked this login as high-risk.", 403, wechat_errcode=code)
    if code == 45011:
        return AppError("rate_limited", "Too many logins for this user; try again in a minute.", 429, wechat_errcode=code)
    return _common(exc)


PHONE_ENDPOINT = "/wxa/business/getuserphonenumber"


def phone_error(exc: WeChatError) -> AppError:
    """Map a failure of the phone exchange (or of the access_token fetch it needed)."""
    code = exc.errcode
    if exc.endpoint != PHONE_ENDPOINT:
        return _common(exc)  # the token fetch failed: 40013 there means our AppID is wrong
    if code in (40029, 40013, 41008):
        # 40013 here means the code came from another mini-program (doc, getPhoneNumber).
        return AppError(
            "invalid_phone_code",
            "The phone code is invalid, expired, already used, or not a getPhoneNumber code "
            "(a wx.login code does not work here).",
            400,
            wechat_errcode=code,
        )
    return _common(exc)


def _common(exc: WeChatError) -> AppError:
    code = exc.errcode
    if code == 45011:
        return AppError("rate_limited", "WeChat's rate limit was reached; try again in a minute.", 429, wechat_errcode=code)
    if code in MISCONFIGURED_ERRCODES:
        return AppError("wechat_misconfigured", _MISCONFIGURED, 500, wechat_errcode=code)
    if code in TOKEN_ERRCODES or code == -1:
        return AppError("wechat_unavailable", _UNAVAILABLE, 503, wechat_errcode=code)
    return AppError("wechat_error", f"WeChat refused the request (errcode {code}).", 502, wechat_errcode=code)


def unavailable_error(exc: WeChatUnavailable) -> AppError:
    """The API's answer when WeChat could not be reached or answered nonsense
    (wechat_unavailable).
    """
    return AppError("wechat_unavailable", _UNAVAILABLE, exc.status)


def access_token_error(exc: WeChatError) -> AppError:
    """The API's answer when fetching an access_token failed (misconfigured, rate-limited, …)."""
    return _common(exc)
