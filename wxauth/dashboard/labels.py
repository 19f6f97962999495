"""What the dashboard calls things: login outcomes, failure kinds and reasons, with hints.

English labels with the WeChat terms operators meet in WeChat's own console and docs.
"""

from __future__ import annotations

from wxauth.wechat import crypto

LOGIN_OUTCOMES = {
    "success": "Success 成功",
    "invalid_code": "Invalid code (code 无效)",
    "user_blocked": "Blocked by WeChat (高风险用户)",
    "rate_limited": "Rate limited (频率限制)",
    "invalid_signature": "Bad rawData signature",
    "decrypt_failed": "Decryption failed",
    "wechat_unavailable": "WeChat unavailable",
    "wechat_misconfigured": "Misconfigured AppID/secret",
    "wechat_error": "Other WeChat error",
    "phone_required": "Refused: sign-up needs a phone (需要手机号注册)",
    "signup_closed": "Refused: sign-up closed (未开放注册)",
}

FAILURE_KINDS = {
    "phone_code": "Phone code (getPhoneNumber code)",
    "phone_encrypted": "Phone encryptedData (旧版手机号)",
    "userinfo_encrypted": "userInfo encryptedData",
    "signature": "rawData signature",
}

# reason -> (label, one-line hint for the operator)
FAILURE_REASONS = {
    crypto.BAD_PADDING: (
        "Bad padding",
        "The session key changed after the data was produced: the client probably called wx.login after getting the data.",
    ),
    crypto.NOT_JSON: (
        "Not JSON after decryption",
        "Decrypted with the wrong session key, usually a wx.login between getting the data and sending it.",
    ),
    crypto.BAD_BASE64: (
        "Bad base64",
        "The client sent encryptedData or iv mangled, e.g. URL-encoded twice or truncated.",
    ),
    crypto.BAD_KEY_LENGTH: ("Bad key length", "The stored session key is not 16 bytes: log the user in again."),
    crypto.BAD_IV_LENGTH: ("Bad iv length", "The iv is not the 16-byte value WeChat returned with the data."),
    crypto.BAD_CIPHERTEXT_LENGTH: (
        "Bad ciphertext length",
        "encryptedData was cut or altered on its way: send it exactly as WeChat returned it.",
    ),
    crypto.APPID_MISMATCH: ("AppID mismatch (watermark)", "The data was produced for another mini-program's AppID."),
    crypto.WATERMARK_EXPIRED: (
        "Watermark too old",
        "The data was sent long after WeChat produced it: send it right away.",
    ),
    "stale_session_key": (
        "Stale session key (WeChat confirmed)",
        "WeChat's checkSessionKey says the stored key is dead: the user logged in elsewhere since; the kit logs in again.",
    ),
    crypto.NO_SESSION_KEY: (
        "No session key",
        "The user has no current session key (logged out or never logged in): call wx.login, then retry.",
    ),
    crypto.OPENID_MISMATCH: ("openid mismatch", "The data belongs to another WeChat user than the one logging in."),
    "signature_mismatch": (
        "Signature mismatch",
        "rawData does not match its signature: the session key changed, or the client altered rawData.",
    ),
    "wechat_errcode": ("Refused by WeChat", "WeChat refused the request; the errcode says why."),
    "wechat_unavailable": ("WeChat unavailable", "WeChat did not answer in time; the user can retry."),
    "malformed_answer": ("Unreadable answer", "WeChat answered without a usable phone number."),
}


# What a WeChat errcode on a failed phone-code exchange usually means.
ERRCODE_HINTS = {
    40029: "Invalid code: expired (over 5 minutes), already used, or a wx.login code sent instead of the phone code.",
    40013: "The code came from another mini-program, or is a wx.login code rather than a phone code.",
    41008: "The client sent no code.",
    45011: "Rate limited: too many requests; the user can retry in a minute.",
    -1: "WeChat was busy; the user can retry.",
}


# A short name for each errcode, for tables (the hints above say what to do).
ERRCODE_NAMES = {
    40029: "invalid or expired code",
    40013: "code from another mini-program",
    41008: "no code sent",
    45011: "rate limited by WeChat",
    -1: "WeChat busy",
}


def errcode_label(errcode: int | None) -> str:
    """ "40029 · invalid or expired code"; an errcode without a name stays a number."""
    if errcode is None:
        return "—"
    name = ERRCODE_NAMES.get(errcode)
    return f"{errcode} · {name}" if name else str(errcode)


def outcome_label(code: str) -> str:
    return LOGIN_OUTCOMES.get(code, code)


def kind_label(kind: str) -> str:
    return FAILURE_KINDS.get(kind, kind)


def reason_label(reason: str) -> str:
    return FAILURE_REASONS.get(reason, (reason, ""))[0]


def reason_hint(reason: str, errcode: int | None = None) -> str:
    if reason == "wechat_errcode" and errcode in ERRCODE_HINTS:
        return ERRCODE_HINTS[errcode]
    return FAILURE_REASONS.get(reason, ("", ""))[1]
