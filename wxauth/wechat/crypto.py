"""WeChat's open-data crypto: legacy encryptedData decryption and rawData signatures.

encryptedData is AES-128-CBC with PKCS#7 padding; key = base64-decoded session_key,
iv = base64-decoded iv; the plaintext is UTF-8 JSON whose `watermark.appid` must be ours.
Every way this can fail is reported as a `DecryptError` with a classified `reason`,
because operators need to tell a stale session_key (bad padding) from garbage input.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from Crypto.Cipher import AES

# Classified reasons, stored in `failures.reason`.
BAD_BASE64 = "bad_base64"
BAD_KEY_LENGTH = "bad_key_length"
BAD_IV_LENGTH = "bad_iv_length"
BAD_CIPHERTEXT_LENGTH = "bad_ciphertext_length"
BAD_PADDING = "bad_padding"
NOT_JSON = "not_json"
APPID_MISMATCH = "appid_mismatch"
WATERMARK_EXPIRED = "watermark_expired"
NO_SESSION_KEY = "no_session_key"
OPENID_MISMATCH = "openid_mismatch"

REASONS = (
    BAD_BASE64,
    BAD_KEY_LENGTH,
    BAD_IV_LENGTH,
    BAD_CIPHERTEXT_LENGTH,
    BAD_PADDING,
    NOT_JSON,
    APPID_MISMATCH,
    WATERMARK_EXPIRED,
    NO_SESSION_KEY,
    OPENID_MISMATCH,
)

BLOCK = 16


class DecryptError(ValueError):
    """Data that did not decrypt or verify; `reason` is one of this module's reason codes."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _b64(value: Any) -> bytes:
    if not isinstance(value, (str, bytes)):
        raise DecryptError(BAD_BASE64)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptError(BAD_BASE64) from None


def pkcs7_unpad(data: bytes) -> bytes:
    """Strict PKCS#7: 1..16 pad bytes, all equal to their count."""
    if not data or len(data) % BLOCK:
        raise DecryptError(BAD_PADDING)
    n = data[-1]
    if not 1 <= n <= BLOCK or data[-n:] != bytes([n]) * n:
        raise DecryptError(BAD_PADDING)
    return data[:-n]


def pkcs7_pad(data: bytes) -> bytes:
    """`data` padded to the AES block size the way WeChat pads (PKCS#7)."""
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def decrypt(
    session_key: str,
    encrypted_data: Any,
    iv: Any,
    appid: str,
    *,
    max_age: int = 0,
    now: float | None = None,
) -> dict:
    """Decrypt and verify WeChat open data. Raises DecryptError with a reason."""
    key = _b64(session_key)
    if len(key) != BLOCK:
        raise DecryptError(BAD_KEY_LENGTH)
    iv_bytes = _b64(iv)
    if len(iv_bytes) != BLOCK:
        raise DecryptError(BAD_IV_LENGTH)
    ciphertext = _b64(encrypted_data)
    if not ciphertext or len(ciphertext) % BLOCK:
        raise DecryptError(BAD_CIPHERTEXT_LENGTH)
    plaintext = pkcs7_unpad(AES.new(key, AES.MODE_CBC, iv_bytes).decrypt(ciphertext))
    try:
        data = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DecryptError(NOT_JSON) from None
    if not isinstance(data, dict):
        raise DecryptError(NOT_JSON)
    watermark = data.get("watermark")
    if not isinstance(watermark, dict) or watermark.get("appid") != appid:
        raise DecryptError(APPID_MISMATCH)
    if max_age:
        stamp = watermark.get("timestamp")
        current = time.time() if now is None else now
        if not isinstance(stamp, (int, float)) or isinstance(stamp, bool) or current - stamp > max_age:
            raise DecryptError(WATERMARK_EXPIRED)
    return data


def encrypt(session_key: str, iv: str, payload: dict) -> str:
    """The inverse of `decrypt`, as WeChat does it (used by the sandbox and tests)."""
    cipher = AES.new(base64.b64decode(session_key), AES.MODE_CBC, base64.b64decode(iv))
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.b64encode(cipher.encrypt(pkcs7_pad(plaintext))).decode()


def raw_data_signature(raw_data: str, session_key: str) -> str:
    """sha1(rawData + session_key), lowercase hex, session_key as its base64 string."""
    return hashlib.sha1((raw_data + session_key).encode("utf-8")).hexdigest()  # noqa: S324 - WeChat's scheme


def check_raw_data_signature(raw_data: str, session_key: str, signature: str) -> bool:
    """Whether `signature` is sha1(rawData + session_key), compared in constant time."""
    expected = raw_data_signature(raw_data, session_key)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode("utf-8", "replace"))


def login_state_signature(session_key: str, body: str = "") -> str:
    """hmac_sha256(body, key=session_key as its base64 string), lowercase hex (checkSessionKey)."""
    return hmac.new(session_key.encode(), body.encode(), hashlib.sha256).hexdigest()
