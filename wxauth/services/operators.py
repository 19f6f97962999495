"""Operator accounts: creating them, changing passwords, and signing in with a lockout."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import and_, case, delete, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from wxauth import settings
from wxauth.extensions import db
from wxauth.models import Operator, SignInThrottle, utcnow
from wxauth.models.operators import DEFAULT_TIME_ZONE
from wxauth.models.upsert import upsert
from wxauth.services import dashboard_sessions

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
    """The form usernames are stored and looked up in: trimmed, lower case, at most 64
    characters.
    """
    return name.strip().lower()[:64]


def check_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone; OperatorError otherwise."""
    if name not in available_timezones():
        raise OperatorError(f"unknown time zone {name!r} (use an IANA name such as {DEFAULT_TIME_ZONE})")
    return name


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperatorError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return generate_password_hash(password, method=_method())


def _method() -> str:
    """werkzeug's scrypt, slow on purpose; only the test suite lowers it (no environment
    variable reaches Settings.password_hash_method)."""
    return settings.current().password_hash_method


def _decoy_hash() -> str:
    return _decoy_for(_method())


@lru_cache(maxsize=2)
def _decoy_for(method: str) -> str:
    # Checked when the name is unknown, so that answering takes as long as for a real operator.
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def find(username: str) -> Operator | None:
    """The operator named `username` (any case), or None."""
    return db.session.scalar(select(Operator).where(Operator.username == normalize_username(username)))


def get(username: str) -> Operator:
    """The operator named `username`; OperatorError if there is none."""
    operator = find(username)
    if operator is None:
        raise OperatorError(f"no operator named {normalize_username(username)!r}")
    return operator


def all_operators() -> list[Operator]:
    """Every operator, by username."""
    return list(db.session.scalars(select(Operator).order_by(Operator.username)))


def create(username: str, password: str, time_zone: str = DEFAULT_TIME_ZONE) -> Operator:
    """Add an operator with a hashed password; OperatorError for a bad or taken name, a
    short password or an unknown zone.
    """
    name = normalize_username(username)
    if not USERNAME.match(name):
        raise OperatorError("a username is 2-64 characters: letters, digits and _ . @ -, starting with a letter or digit")
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
    dashboard_sessions.end_all(operator.id)
    db.session.commit()
    return operator


def set_disabled(username: str, disabled: bool) -> Operator:
    """Disable (which ends every dashboard session of the operator at once) or enable again."""
    operator = get(username)
    operator.disabled = disabled
    if disabled:
        dashboard_sessions.end_all(operator.id)
    db.session.commit()
    return operator


def set_time_zone(operator: Operator, time_zone: str) -> Operator:
    """Set the zone the operator's dashboard shows times and days in; commits."""
    operator.time_zone = check_time_zone(time_zone)
    db.session.add(operator)
    db.session.commit()
    return operator


def sign_in(username: str, password: str, now: datetime | None = None) -> SignIn:
    """Check a username and password under the lockout, counting per name whether it exists or not.

    Each attempt is counted before its password is checked (_admit), in a write committed
    before the check, so that however many attempts arrive at once no more than
    MAX_FAILED_ATTEMPTS passwords are checked per name and lock window. A success clears
    the failures recorded before it was admitted, never those of attempts racing it.
    """
    now = now or utcnow()
    name = normalize_username(username)
    failed_before = _admit(name, now)
    if failed_before is None:
        return SignIn(None, locked=True)
    row = (
        db.session.execute(
            select(Operator.id, Operator.password_hash, Operator.disabled).where(Operator.username == name)
        ).one_or_none()
        if name
        else None
    )
    ok = check_password_hash(row.password_hash if row else _decoy_hash(), password)
    success = ok and row is not None and not row.disabled
    locked = _settle(name, now, success, failed_before)
    operator = None
    if success and row is not None:
        operator = db.session.get_one(Operator, row.id)
        operator.last_login_at = now
    db.session.commit()
    return SignIn(operator, locked=locked)


def _admit(name: str, now: datetime) -> int | None:
    """Count one attempt at `name` as in flight and return the failures recorded so far;
    None (and uncounted) when the name is locked or enough attempts are already failed or
    in flight. Commits."""
    table = SignInThrottle
    lock_over = and_(table.locked_until.is_not(None), table.locked_until <= now)
    fresh = or_(table.last_failed_at < now - FAILURE_WINDOW, lock_over)  # old failures no longer count
    stmt = upsert(
        db.session.get_bind().dialect.name,
        table,
        ["username"],
        {"username": name, "failed_attempts": 0, "pending_attempts": 1, "last_failed_at": now, "locked_until": None},
        {
            "failed_attempts": case((fresh, 0), else_=table.failed_attempts),
            "pending_attempts": case((fresh, 1), else_=table.pending_attempts + 1),
            "locked_until": case((lock_over, None), else_=table.locked_until),
            "last_failed_at": now,
        },
    )
    failed, pending, locked_until = db.session.execute(
        stmt.returning(table.failed_attempts, table.pending_attempts, table.locked_until)
    ).one()
    db.session.execute(delete(table).where(table.last_failed_at < now - THROTTLE_RETENTION))
    admitted = (locked_until is None or locked_until <= now) and failed + pending <= MAX_FAILED_ATTEMPTS
    if not admitted:
        db.session.execute(update(table).where(table.username == name).values(pending_attempts=table.pending_attempts - 1))
    db.session.commit()
    return failed if admitted else None


def _settle(name: str, now: datetime, success: bool, failed_before: int) -> bool:
    """Record how an admitted attempt ended (in the current transaction); True when it locks.

    A success alone (nothing else in flight, no failure since it was admitted) forgives the
    `failed_before` failures recorded before it. A success that raced other attempts forgives
    nothing and keeps its own slot used: forgiving in the middle of a burst, or freeing the
    slot, would let the burst check more than MAX_FAILED_ATTEMPTS passwords."""
    table = SignInThrottle
    in_flight = case((table.pending_attempts > 0, table.pending_attempts - 1), else_=0)
    if success:
        alone = and_(table.pending_attempts <= 1, table.failed_attempts <= failed_before)
        forgiven = case((table.failed_attempts > failed_before, table.failed_attempts - failed_before), else_=0)
        counted = case((alone, forgiven), else_=table.failed_attempts + 1)
        db.session.execute(
            update(table).where(table.username == name).values(pending_attempts=in_flight, failed_attempts=counted)
        )
        return False
    failed = db.session.execute(
        update(table)
        .where(table.username == name)
        .values(pending_attempts=in_flight, failed_attempts=table.failed_attempts + 1, last_failed_at=now)
        .returning(table.failed_attempts)
    ).scalar_one()
    if failed < MAX_FAILED_ATTEMPTS:
        return False
    db.session.execute(update(table).where(table.username == name).values(failed_attempts=0, locked_until=now + LOCKOUT))
    return True
