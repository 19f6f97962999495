"""Operator accounts: creating them, changing passwords, and signing in with a lockout."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import case, delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from wxauth.extensions import db
from wxauth.models import Operator, SignInThrottle, utcnow
from wxauth.models.operators import DEFAULT_TIME_ZONE
from wxauth.models.upsert import upsert

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
# Failures further apart than this do not add up to a lockout.
FAILURE_WINDOW = timedelta(minutes=15)
# Throttle rows for names nobody has tried for a day are forgotten.
THROTTLE_RETENTION = timedelta(days=1)
MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{1,63}$")


class OperatorError(ValueError):
    """A request about an operator account that cannot be carried out (the message says why)."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the operator, or why not (never which name exists)."""

    operator: Operator | None
    locked: bool = False


def normalize_username(name: str) -> str:
    return name.strip().lower()[:64]


def check_time_zone(name: str) -> str:
    if name not in available_timezones():
        raise OperatorError(f"unknown time zone {name!r} (use an IANA name such as {DEFAULT_TIME_ZONE})")
    return name


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperatorError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return generate_password_hash(password, method="scrypt")


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    # Checked when the name is unknown, so that answering takes as long as for a real operator.
    return generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


def find(username: str) -> Operator | None:
    return db.session.scalar(select(Operator).where(Operator.username == normalize_username(username)))


def get(username: str) -> Operator:
    operator = find(username)
    if operator is None:
        raise OperatorError(f"no operator named {normalize_username(username)!r}")
    return operator


def all_operators() -> list[Operator]:
    return list(db.session.scalars(select(Operator).order_by(Operator.username)))


def create(username: str, password: str, time_zone: str = DEFAULT_TIME_ZONE) -> Operator:
    name = normalize_username(username)
    if not USERNAME.match(name):
        raise OperatorError(
            "a username is 2-64 characters: letters, digits and _ . @ -, starting with a letter or digit"
        )
    if find(name) is not None:
        raise OperatorError(f"an operator named {name!r} already exists")
    operator = Operator(
        username=name,
        password_hash=_hash(password),
        time_zone=check_time_zone(time_zone),
        disabled=False,
        created_at=utcnow(),
    )
    db.session.add(operator)
    db.session.commit()
    return operator


def set_password(username: str, password: str) -> Operator:
    """Change the password; this also signs the operator out everywhere and lifts a lockout."""
    operator = get(username)
    operator.password_hash = _hash(password)
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.username == operator.username))
    db.session.commit()
    return operator


def set_disabled(username: str, disabled: bool) -> Operator:
    operator = get(username)
    operator.disabled = disabled
    db.session.commit()
    return operator


def set_time_zone(operator: Operator, time_zone: str) -> Operator:
    operator.time_zone = check_time_zone(time_zone)
    db.session.add(operator)
    db.session.commit()
    return operator


def sign_in(username: str, password: str, now: datetime | None = None) -> SignIn:
    """Check a username and password, counting failures per name whether it exists or not."""
    now = now or utcnow()
    name = normalize_username(username)
    throttle = db.session.get(SignInThrottle, name)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        db.session.rollback()
        return SignIn(None, locked=True)
    operator = db.session.scalar(select(Operator).where(Operator.username == name)) if name else None
    ok = check_password_hash(operator.password_hash if operator else _decoy_hash(), password)
    if ok and operator is not None and not operator.disabled:
        operator.last_login_at = now
        db.session.execute(delete(SignInThrottle).where(SignInThrottle.username == name))
        db.session.commit()
        return SignIn(operator)
    locked = _count_failure(name, now)
    db.session.commit()
    return SignIn(None, locked=locked)


def _count_failure(name: str, now: datetime) -> bool:
    """Add one failure for `name` (atomically, so parallel guesses all count); True when it locks."""
    table = SignInThrottle
    failed = case((table.last_failed_at < now - FAILURE_WINDOW, 1), else_=table.failed_attempts + 1)
    stmt = upsert(
        db.session.get_bind().dialect.name,
        table,
        ["username"],
        {"username": name, "failed_attempts": 1, "last_failed_at": now, "locked_until": None},
        {"failed_attempts": failed, "last_failed_at": now},
    )
    count = db.session.execute(stmt.returning(table.failed_attempts)).scalar_one()
    db.session.execute(delete(table).where(table.last_failed_at < now - THROTTLE_RETENTION))
    if count < MAX_FAILED_ATTEMPTS:
        return False
    db.session.execute(
        update(table).where(table.username == name).values(failed_attempts=0, locked_until=now + LOCKOUT)
    )
    return True
