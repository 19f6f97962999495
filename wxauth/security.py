"""Secrets at rest: AES-GCM with a key derived from SECRET_KEY.

Used for the WeChat `session_key` and cached access_tokens. The stored form is
`v1.<base64(nonce | ciphertext | tag)>`; the version lets a future key rotation tell old
rows from new ones.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF
from Crypto.Random import get_random_bytes

_PREFIX = "v1."


@lru_cache(maxsize=8)
def _key(secret_key: str, purpose: str) -> bytes:
    key = HKDF(secret_key.encode(), 32, salt=b"wxauth-at-rest", hashmod=SHA256, context=purpose.encode())
    if not isinstance(key, bytes):  # a tuple only when several keys are asked for
        raise TypeError("HKDF returned several keys")
    return key


class SealError(ValueError):
    """A stored secret could not be opened (wrong SECRET_KEY or corrupted row)."""


def seal(secret_key: str, purpose: str, plaintext: str) -> str:
    nonce = get_random_bytes(12)
    cipher = AES.new(_key(secret_key, purpose), AES.MODE_GCM, nonce=nonce)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext.encode())
    return _PREFIX + base64.b64encode(nonce + ciphertext + tag).decode()


def unseal(secret_key: str, purpose: str, sealed: str) -> str:
    if not sealed.startswith(_PREFIX):
        raise SealError("unknown format")
    try:
        raw = base64.b64decode(sealed[len(_PREFIX) :], validate=True)
    except ValueError:
        raise SealError("corrupted") from None
    if len(raw) < 12 + 16:
        raise SealError("corrupted")
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    cipher = AES.new(_key(secret_key, purpose), AES.MODE_GCM, nonce=nonce)
    try:
        return cipher.decrypt_and_verify(body, tag).decode()
    except ValueError:
        raise SealError("authentication failed") from None


def fingerprint(value: str) -> str:
    """A short, non-reversible tag for a secret, safe to log (to correlate, not to recover)."""
    return hashlib.sha256(value.encode()).hexdigest()[:10]
