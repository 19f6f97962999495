"""The operators' second factor: TOTP (RFC 6238, 30-second steps, 6 digits) and one-time
recovery codes.

A code is accepted once: the step it belongs to is recorded with a conditional UPDATE, so
the same code (or an older one) presented again, even at the same instant on another
instance, is refused. A clock up to one step ahead or behind is tolerated.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
from sqlalchemy import delete, func, or_, select, update

from wxauth import database, settings
from wxauth.extensions import db
from wxauth.models import Operator, RecoveryCode, utcnow
from wxauth.security import seal, unseal

ISSUER = "wxauth"
RECOVERY_CODES = 10
DRIFT_STEPS = 1
_SEAL_PURPOSE = "operator-totp"
_TOTP_CODE = re.compile(r"^\d{6}$")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


@dataclass(frozen=True)
class Enrolment:
    """A secret being enrolled: shown as a QR code and as text until a first code confirms it."""

    secret: str
    uri: str

    @property
    def qr_svg(self) -> str:
        """The otpauth:// URI as an inline SVG QR code, drawn here (no external service)."""
        return segno.make(self.uri, error="m").svg_inline(scale=5, dark="#111827", light="#ffffff", border=2)

    @property
    def grouped(self) -> str:
        """The secret in groups of four, easier to type into an authenticator by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def new_secret() -> str:
    """A fresh random TOTP secret, base32."""
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def enrolment(operator: Operator, secret: str) -> Enrolment:
    """What the enrolment page shows for `secret`: its otpauth:// URI, QR code and text."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=operator.username, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def seal_secret(secret: str) -> str:
    """The secret as stored: sealed under SECRET_KEY."""
    return seal(settings.current().secret_key, _SEAL_PURPOSE, secret)


def unseal_secret(sealed: str) -> str:
    """The secret `seal_secret` sealed (SealError if it was not sealed under this SECRET_KEY)."""
    return unseal(settings.current().secret_key, _SEAL_PURPOSE, sealed)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code `code` is, within the drift allowed; None if none is."""
    if not _TOTP_CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    match = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            match = step  # no early exit: the same work whichever step matches
    return match


def _use_step(operator_id: int, step: int) -> bool:
    """Record `step` as used unless it (or a later one) already was; True if this call did."""
    result = db.session.execute(
        update(Operator)
        .where(Operator.id == operator_id, or_(Operator.mfa_last_step.is_(None), Operator.mfa_last_step < step))
        .values(mfa_last_step=step)
    )
    return database.rowcount(result) == 1


def _hash(code: str) -> str:
    return hashlib.sha256(normalize_recovery_code(code).encode()).hexdigest()


def normalize_recovery_code(code: str) -> str:
    """A recovery code as stored and compared: without spaces or dashes, lower case."""
    return re.sub(r"[\s-]", "", code).lower()


def new_recovery_code() -> str:
    """A random recovery code, xxxx-xxxx-xxxx, from letters and digits hard to misread."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))  # about 59 bits
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def enable(operator: Operator, secret: str, code: str, now: float | None = None) -> list[str] | None:
    """Turn the second factor on with `secret` if `code` is its current code: returns the
    recovery codes (shown once, stored hashed), or None for a wrong code. Commits."""
    now = time.time() if now is None else now
    step = _matching_step(secret, code.strip(), now)
    if step is None:
        return None
    operator.mfa_secret = seal_secret(secret)
    operator.mfa_enabled_at = utcnow()
    operator.mfa_last_step = step  # the confirming code cannot also sign in
    db.session.add(operator)
    codes = _replace_recovery_codes(operator.id)
    db.session.commit()
    return codes


def _replace_recovery_codes(operator_id: int) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.operator_id == operator_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    created = utcnow()
    db.session.add_all(RecoveryCode(operator_id=operator_id, code_hash=_hash(c), created_at=created) for c in codes)
    return codes


def verify(operator_id: int, code: str, now: float | None = None) -> str | None:
    """Check a second-factor answer in the current transaction: "totp" or "recovery_code"
    when accepted (and used up), None when not. The caller commits."""
    now = time.time() if now is None else now
    sealed = db.session.scalar(select(Operator.mfa_secret).where(Operator.id == operator_id))
    if sealed is None:
        return None
    code = code.strip()
    if _TOTP_CODE.match(code):
        step = _matching_step(unseal_secret(sealed), code, now)
        return "totp" if step is not None and _use_step(operator_id, step) else None
    if not code or len(code) > 32:
        return None
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.operator_id == operator_id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return "recovery_code" if database.rowcount(used) == 1 else None


def recovery_codes_left(operator_id: int) -> int:
    """How many of the operator's recovery codes are unused."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.operator_id == operator_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def reset(operator: Operator) -> None:
    """Turn the second factor off and forget its secret and recovery codes, in the current
    transaction (the operator enrols again; under WXAUTH_OPERATOR_MFA=required, at once)."""
    operator.mfa_secret = None
    operator.mfa_enabled_at = None
    operator.mfa_last_step = None
    db.session.add(operator)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.operator_id == operator.id))
