"""The JWT signing keys: Ed25519 pairs in the database, shared by every instance.

The newest key that is not retired signs. `rotate()` adds a new key and retires the others;
a retired key stays in the JWKS until every token it signed has expired: the longest access
token lives WXAUTH_JWT_TTL, and another instance may go on signing with it for up to
SIGNER_CACHE after the rotation, hence JWKS_GRACE. Private keys are sealed under SECRET_KEY
(wxauth.security); the public halves are stored as JWKs.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import or_, select, update

from wxauth import settings
from wxauth.extensions import db
from wxauth.models import SigningKey, utcnow
from wxauth.security import seal, unseal

ALG = "EdDSA"
PURPOSE = "jwt-signing-key"
SIGNER_CACHE = 60.0  # seconds a process keeps signing with the key it loaded
JWKS_GRACE = timedelta(seconds=2 * SIGNER_CACHE)


@dataclass(frozen=True)
class Signer:
    """The key that signs new tokens in this process."""

    kid: str
    key: Ed25519PrivateKey


class _Ring:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.signer: tuple[float, Signer] | None = None
        self.public: dict[str, Ed25519PublicKey] = {}


_ring = _Ring()


def forget() -> None:
    """Drop this process's cached keys (after a rotation here, and between tests)."""
    global _ring
    _ring = _Ring()


def signer() -> Signer:
    """The key that signs now, created on first use when the database holds none."""
    ring = _ring
    cached = ring.signer
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    with ring.lock:
        row = _newest()
        if row is None:
            _create()
            db.session.commit()
            row = _newest()
        if row is None:
            raise RuntimeError("the signing key just created cannot be read back")
        current = Signer(row.kid, _private(row))
        db.session.commit()
        ring.signer = (time.monotonic() + SIGNER_CACHE, current)
        ring.public[current.kid] = current.key.public_key()
        return current


def public_key(kid: str) -> Ed25519PublicKey | None:
    """The public key `kid` of the JWKS window, or None.

    A kid this process has not seen is looked up by itself: another instance's new key
    (a rotation, or two workers' first logins each creating one) must verify at once. A
    reload of every key at most once in a while refused such a token when a reload had
    just run before its key was written. A made-up kid costs that one lookup by primary
    key, what an opaque token costs on every request.
    """
    ring = _ring
    key = ring.public.get(kid)
    if key is not None:
        return key
    query = select(SigningKey).where(
        SigningKey.kid == kid, or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > _oldest_published())
    )
    row = db.session.scalars(query).first()
    db.session.commit()
    if row is None:
        return None
    key = ring.public[kid] = OKPAlgorithm.from_jwk(row.public_jwk)  # type: ignore[assignment]
    return key


def rotate() -> str:
    """Add a new signing key and retire the others; commits. Returns the new kid."""
    now = utcnow()
    db.session.execute(update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now))
    kid = _create()
    db.session.commit()
    forget()
    return kid


def jwks() -> dict[str, Any]:
    """The JSON Web Key Set: every key that signed a token that may still be live."""
    keys = [json.loads(row.public_jwk) for row in _published()]
    db.session.commit()
    return {"keys": keys}


def listed() -> list[SigningKey]:
    """Every key, newest first (for `flask keys list`)."""
    rows = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())).all()
    db.session.commit()
    return list(rows)


def _oldest_published():
    """Keys retired after this are still published: a token they signed may be unexpired."""
    return utcnow() - timedelta(seconds=settings.current().jwt_ttl) - JWKS_GRACE


def _published() -> list[SigningKey]:
    query = select(SigningKey).where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > _oldest_published()))
    return list(db.session.scalars(query.order_by(SigningKey.created_at.desc())).all())


def _newest() -> SigningKey | None:
    query = select(SigningKey).where(SigningKey.retired_at.is_(None))
    return db.session.scalars(query.order_by(SigningKey.created_at.desc(), SigningKey.kid)).first()


def _create() -> str:
    key = Ed25519PrivateKey.generate()
    kid = secrets.token_urlsafe(12)
    jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=kid, alg=ALG, use="sig")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    db.session.add(
        SigningKey(
            kid=kid,
            alg=ALG,
            public_jwk=json.dumps(jwk, sort_keys=True),
            private_ciphertext=seal(settings.current().secret_key, PURPOSE, pem.decode()),
            created_at=utcnow(),
        )
    )
    return kid


def _private(row: SigningKey) -> Ed25519PrivateKey:
    pem = unseal(settings.current().secret_key, PURPOSE, row.private_ciphertext)
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"signing key {row.kid} is not Ed25519")
    return key
