"""What the dashboard calls things: login outcomes, failure kinds and reasons with hints,
roles and audit actions, and why an account change was refused; all in the operator's
language (the msgids are English, with the WeChat terms of WeChat's own console and docs).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from wxauth.wechat import crypto

LOGIN_OUTCOMES = {
    "success": _l("Success"),
    "invalid_code": _l("Invalid code"),
    "user_blocked": _l("Blocked by WeChat (high-risk user)"),
    "rate_limited": _l("Rate limited"),
    "invalid_signature": _l("Bad rawData signature"),
    "decrypt_failed": _l("Decryption failed"),
    "wechat_unavailable": _l("WeChat unavailable"),
    "wechat_misconfigured": _l("Misconfigured AppID/secret"),
    "wechat_error": _l("Other WeChat error"),
    "phone_required": _l("Refused: sign-up needs a phone"),
    "signup_closed": _l("Refused: sign-up closed"),
}

FAILURE_KINDS = {
    "phone_code": _l("Phone code (getPhoneNumber code)"),
    "phone_encrypted": _l("Phone encryptedData (legacy)"),
    "userinfo_encrypted": _l("userInfo encryptedData"),
    "signature": _l("rawData signature"),
}

# reason -> (label, one-line hint for the operator)
FAILURE_REASONS = {
    crypto.BAD_PADDING: (
        _l("Bad padding"),
        _l("The session key changed after the data was produced: the client probably called wx.login after getting the data."),
    ),
    crypto.NOT_JSON: (
        _l("Not JSON after decryption"),
        _l("Decrypted with the wrong session key, usually a wx.login between getting the data and sending it."),
    ),
    crypto.BAD_BASE64: (
        _l("Bad base64"),
        _l("The client sent encryptedData or iv mangled, e.g. URL-encoded twice or truncated."),
    ),
    crypto.BAD_KEY_LENGTH: (_l("Bad key length"), _l("The stored session key is not 16 bytes: log the user in again.")),
    crypto.BAD_IV_LENGTH: (_l("Bad iv length"), _l("The iv is not the 16-byte value WeChat returned with the data.")),
    crypto.BAD_CIPHERTEXT_LENGTH: (
        _l("Bad ciphertext length"),
        _l("encryptedData was cut or altered on its way: send it exactly as WeChat returned it."),
    ),
    crypto.APPID_MISMATCH: (_l("AppID mismatch (watermark)"), _l("The data was produced for another mini-program's AppID.")),
    crypto.WATERMARK_EXPIRED: (
        _l("Watermark too old"),
        _l("The data was sent long after WeChat produced it: send it right away."),
    ),
    "stale_session_key": (
        _l("Stale session key (WeChat confirmed)"),
        _l("WeChat's checkSessionKey says the stored key is dead: the user logged in elsewhere since; the kit logs in again."),
    ),
    crypto.NO_SESSION_KEY: (
        _l("No session key"),
        _l("The user has no current session key (logged out or never logged in): call wx.login, then retry."),
    ),
    crypto.OPENID_MISMATCH: (_l("openid mismatch"), _l("The data belongs to another WeChat user than the one logging in.")),
    "signature_mismatch": (
        _l("Signature mismatch"),
        _l("rawData does not match its signature: the session key changed, or the client altered rawData."),
    ),
    "wechat_errcode": (_l("Refused by WeChat"), _l("WeChat refused the request; the errcode says why.")),
    "wechat_unavailable": (_l("WeChat unavailable"), _l("WeChat did not answer in time; the user can retry.")),
    "malformed_answer": (_l("Unreadable answer"), _l("WeChat answered without a usable phone number.")),
}


# What a WeChat errcode on a failed phone-code exchange usually means.
ERRCODE_HINTS = {
    40029: _l("Invalid code: expired (over 5 minutes), already used, or a wx.login code sent instead of the phone code."),
    40013: _l("The code came from another mini-program, or is a wx.login code rather than a phone code."),
    41008: _l("The client sent no code."),
    45011: _l("Rate limited: too many requests; the user can retry in a minute."),
    -1: _l("WeChat was busy; the user can retry."),
}


# A short name for each errcode, for tables (the hints above say what to do).
ERRCODE_NAMES = {
    40029: _l("invalid or expired code"),
    40013: _l("code from another mini-program"),
    41008: _l("no code sent"),
    45011: _l("rate limited by WeChat"),
    -1: _l("WeChat busy"),
}


def errcode_label(errcode: int | None) -> str:
    """ "40029 · invalid or expired code"; an errcode without a name stays a number."""
    if errcode is None:
        return "—"
    name = ERRCODE_NAMES.get(errcode)
    return f"{errcode} · {name}" if name else str(errcode)


def outcome_label(code: str) -> str:
    return str(LOGIN_OUTCOMES.get(code, code))


def kind_label(kind: str) -> str:
    return str(FAILURE_KINDS.get(kind, kind))


def reason_label(reason: str) -> str:
    return str(FAILURE_REASONS.get(reason, (reason, ""))[0])


def reason_hint(reason: str, errcode: int | None = None) -> str:
    if reason == "wechat_errcode" and errcode in ERRCODE_HINTS:
        return str(ERRCODE_HINTS[errcode])
    return str(FAILURE_REASONS.get(reason, ("", ""))[1])


ROLES = {
    "viewer": (_l("Viewer"), _l("Reads every page, phones masked; no exports, no actions.")),
    "support": (_l("Support"), _l("Also reveals phones, revokes sessions and exports CSV.")),
    "admin": (_l("Admin"), _l("Also manages operators, service clients, webhooks, sign-up and deletions.")),
}


def role_label(role: str) -> str:
    return str(ROLES[role][0]) if role in ROLES else role


def role_choices() -> list[tuple[str, str]]:
    return [(role, f"{label} — {summary}") for role, (label, summary) in ROLES.items()]


AUDIT_ACTIONS = {
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Sign-in failed"),
    "sign_in_locked": _l("Sign-in locked"),
    "mfa_failed": _l("Second factor failed"),
    "sign_out": _l("Signed out"),
    "forbidden": _l("Refused (role)"),
    "phone_reveal": _l("Revealed a phone"),
    "phone_search": _l("Searched a whole phone number"),
    "session_revoke": _l("Revoked user sessions"),
    "export": _l("Exported CSV"),
    "account_delete": _l("Deleted a user"),
    "provision": _l("Provisioned phones"),
    "client_create": _l("Created a service client"),
    "client_revoke": _l("Revoked a service client"),
    "webhook_add": _l("Added a webhook"),
    "webhook_remove": _l("Removed a webhook"),
    "webhook_test": _l("Tested a webhook"),
    "webhook_redeliver": _l("Redelivered a webhook"),
    "operator_create": _l("Created an operator"),
    "operator_role": _l("Changed a role"),
    "operator_disable": _l("Disabled an operator"),
    "operator_enable": _l("Enabled an operator"),
    "mfa_enable": _l("Turned on the second factor"),
    "mfa_reset": _l("Reset a second factor"),
    "password_change": _l("Changed own password"),
    "password_reset": _l("Reset a password"),
    "dashboard_session_end": _l("Ended own session"),
    "settings_change": _l("Changed settings"),
}


def action_label(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))


def N_(message: str) -> str:
    """Marks a msgid for extraction; translated where it is shown (it has parameters)."""
    return message


OPERATOR_MESSAGES = {
    "time_zone": N_("Unknown time zone %(zone)s: use an IANA name such as Asia/Shanghai."),
    "password_too_short": N_("The password must have at least %(min)d characters."),
    "password_too_long": N_("The password must have at most 256 characters."),
    "password_common": N_("That password is on the list of passwords attackers try first: choose another."),
    "role": N_("Unknown role."),
    "unknown": N_("No such operator."),
    "username": N_("A username is 2-64 characters: letters, digits and _ . @ -, starting with a letter or digit."),
    "taken": N_("An operator named %(name)s already exists."),
    "current_password": N_("The current password is not right."),
    "same_password": N_("The new password must differ from the current one."),
    "last_admin": N_("%(name)s is the last admin: make another operator an admin first."),
}


def operator_error(exc) -> str:
    """Why an account change was refused (services.operators.OperatorError), translated."""
    from wxauth.services.passwords import MIN_LENGTH

    kind = getattr(exc, "kind", "")
    if kind not in OPERATOR_MESSAGES:
        return str(exc)
    params = {"min": MIN_LENGTH, **getattr(exc, "params", {})}
    return _(OPERATOR_MESSAGES[kind], **params)


# HTTP errors the dashboard shows: name, and the description when the code gave none.
HTTP_ERRORS = {
    400: (_l("Bad Request"), _l("The request could not be understood: go back and try again.")),
    403: (_l("Forbidden"), _l("Your role does not allow this. Ask an admin if you need it.")),
    404: (_l("Not Found"), _l("There is no such page.")),
    405: (_l("Method Not Allowed"), _l("This page cannot be reached that way.")),
    413: (_l("Request Entity Too Large"), _l("What was sent is too large.")),
    429: (_l("Too Many Requests"), _l("Too many requests: wait a little, then try again.")),
    500: (_l("Internal Server Error"), _l("Something went wrong on our side; it has been logged.")),
}


def error_name(error) -> str:
    return str(HTTP_ERRORS.get(error.code, (error.name, ""))[0])


def error_description(error) -> str:
    """The description the code gave (already in the operator's language), else ours."""
    default = type(error).description
    if error.code in HTTP_ERRORS and (not error.description or error.description == default):
        return str(HTTP_ERRORS[error.code][1])
    return str(error.description or "")


DELIVERY_STATUSES = {"pending": _l("pending"), "delivered": _l("delivered"), "failed": _l("failed")}


def delivery_status(status: str) -> str:
    return str(DELIVERY_STATUSES.get(status, status))


SIGN_IN_METHODS = {
    "password": _l("password"),
    "password + totp": _l("password + authenticator code"),
    "password + recovery_code": _l("password + recovery code"),
}


def audit_detail(detail: str | None, action: str) -> str:
    """An entry's detail as shown: a sign-in's method in the operator's language, else as stored."""
    if action.startswith("sign_in") and detail in SIGN_IN_METHODS:
        return str(SIGN_IN_METHODS[detail])
    return detail or ""
