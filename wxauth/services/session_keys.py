"""The user's WeChat session_key: sealed at rest, and what a failed decryption under it means.

Login seals the key code2Session returned; the legacy phone bind unseals it to decrypt.
"""

from __future__ import annotations

from wxauth.errors import AppError
from wxauth.security import seal, unseal
from wxauth.wechat import crypto

_PURPOSE = "session_key"
# A wrong key fails PKCS#7 255 times in 256, and yields garbage that is not JSON otherwise.
STALE_KEY_REASONS = (crypto.BAD_PADDING, crypto.NOT_JSON)
# A stale-looking failure that WeChat's checkSessionKey confirmed: the stored key is dead.
STALE_SESSION_KEY = "stale_session_key"


def seal_session_key(secret_key: str, session_key: str) -> str:
    """The session_key encrypted for storage (see wxauth.security)."""
    return seal(secret_key, _PURPOSE, session_key)


def unseal_session_key(secret_key: str, sealed: str) -> str:
    """The stored session_key in the clear; SealError if it was sealed under another key."""
    return unseal(secret_key, _PURPOSE, sealed)


def decrypt_failed(reason: str) -> AppError:
    """The API's answer to data that did not decrypt for `reason` (a crypto reason code, or
    STALE_SESSION_KEY); the reason is a field of the answer too."""
    if reason == STALE_SESSION_KEY:
        message = (
            "Could not decrypt the data: WeChat confirms the stored session_key is no longer valid. "
            "Log in again (wx.login), then ask for the data again."
        )
    else:
        hint = (
            " The session_key changed since the data was produced: do not call wx.login between getting the data and sending it."
            if reason in STALE_KEY_REASONS
            else ""
        )
        message = f"Could not decrypt the data ({reason}).{hint}"
    return AppError("decrypt_failed", message, 422, extra={"reason": reason})
