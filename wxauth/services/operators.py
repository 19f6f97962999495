"""Operator accounts: creating them, their roles and passwords, and signing in with a
lockout that covers the second factor too (services.mfa)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import and_, case, delete, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from wxauth import settings
from wxauth.extensions import db
from wxauth.models import Operator, SignInThrottle, utcnow
from wxauth.models.operators import DEFAULT_TIME_ZONE, ROLES
from wxauth.models.upsert import upsert
from wxauth.services import dashboard_sessions, mfa, passwords

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
# Failures further apart than this do not add up to a lockout.
FAILURE_WINDOW = timedelta(minutes=15)
# Throttle rows for names nobody has tried for a day are forgotten.
THROTTLE_RETENTION = timedelta(days=1)
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
DEFAULT_ROLE = "support"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{1,63}$")


class OperatorError(ValueError):
    """A request about an operator account that cannot be carried out (the message says why;
    `kind` and `params` let the dashboard say it in the operator's language)."""

    def __init__(self, message: str, kind: str = "other", **params):
        super().__init__(message)
        self.kind = kind
        self.params = params


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the operator, or why not (never which name exists).

    With `second_factor`, the password was right but the operator is not signed in until
    their TOTP or recovery code is (second_factor()).
    """

    operator: Operator | None
    locked: bool = False
    second_factor: bool = False


PASSWORD_REFUSALS = {
    "too_short": f"the password must have at least {passwords.MIN_LENGTH} characters",
    "too_long": f"the password must have at most {passwords.MAX_LENGTH} characters",
    "common": "that password is on the list of passwords attackers try first: choose another",
}


def normalize_username(name: str) -> str:
    """The form usernames are stored and looked up in: trimmed, lower case, at most 64
    characters.
    """
    return name.strip().lower()[:64]


def check_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone; OperatorError otherwise."""
    if name not in available_timezones():
        raise OperatorError(f"unknown time zone {name!r} (use an IANA name such as {DEFAULT_TIME_ZONE})", "time_zone", zone=name)
    return name


def _hash(password: str) -> str:
    try:
        passwords.check(password)
    except passwords.PasswordRefused as exc:
        raise OperatorError(PASSWORD_REFUSALS[exc.reason], f"password_{exc.reason}") from None
    return generate_password_hash(password, method=_method())


def check_role(role: str) -> str:
    """`role` if it is one of ROLES; OperatorError otherwise."""
    if role not in ROLES:
        raise OperatorError(f"unknown role {role!r} (one of {', '.join(ROLES)})", "role")
    return role


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
        raise OperatorError(f"no operator named {normalize_username(username)!r}", "unknown")
    return operator


def all_operators() -> list[Operator]:
    """Every operator, by username."""
    return list(db.session.scalars(select(Operator).order_by(Operator.username)))


def create(
    username: str,
    password: str,
    time_zone: str = DEFAULT_TIME_ZONE,
    role: str = DEFAULT_ROLE,
    *,
    must_change_password: bool = False,
) -> Operator:
    """Add an operator with a hashed password; OperatorError for a bad or taken name, a
    refused password, an unknown zone or role.
    """
    name = normalize_username(username)
    if not USERNAME.match(name):
        raise OperatorError(
            "a username is 2-64 characters: letters, digits and _ . @ -, starting with a letter or digit", "username"
        )
    if find(name) is not None:
        raise OperatorError(f"an operator named {name!r} already exists", "taken", name=name)
    operator = Operator(
        username=name,
        password_hash=_hash(password),
        time_zone=check_time_zone(time_zone),
        role=check_role(role),
        must_change_password=must_change_password,
        disabled=False,
        created_at=utcnow(),
    )
    db.session.add(operator)
    db.session.commit()
    return operator


def one_time_password() -> str:
    """A password for a new account, shown once; its operator must change it at first sign-in."""
    return secrets.token_urlsafe(12)


def set_password(username: str, password: str, *, must_change: bool = False) -> Operator:
    """Change the password; this also signs the operator out everywhere and lifts a lockout."""
    operator = get(username)
    operator.password_hash = _hash(password)
    operator.must_change_password = must_change
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.username == operator.username))
    dashboard_sessions.end_all(operator.id)
    db.session.commit()
    return operator


def change_own_password(operator: Operator, current: str, new: str, keep_token: str | None) -> None:
    """An operator's own change: the current password is required. Every other session of
    theirs ends; `keep_token` (the one making the change) stays. OperatorError if refused."""
    if not check_password_hash(operator.password_hash, current):
        raise OperatorError("the current password is not right", "current_password")
    if new == current:
        raise OperatorError("the new password must differ from the current one", "same_password")
    operator.password_hash = _hash(new)
    operator.must_change_password = False
    db.session.add(operator)
    dashboard_sessions.end_all(operator.id, keep=keep_token)
    db.session.commit()


def _keep_an_admin(operator: Operator) -> None:
    """OperatorError if `operator` is the last enabled admin (who is about to stop being one)."""
    if operator.role != "admin" or operator.disabled:
        return
    others = db.session.scalar(
        select(func.count())
        .select_from(Operator)
        .where(Operator.role == "admin", Operator.disabled.is_(False), Operator.id != operator.id)
    )
    if not others:
        raise OperatorError(
            f"{operator.username!r} is the last admin: make another operator an admin first", "last_admin", name=operator.username
        )


def _lock_admins() -> None:
    """Serialize changes to who is an admin (two admins demoting each other at once)."""
    db.session.execute(select(Operator.id).where(Operator.role == "admin").with_for_update())


def set_disabled(username: str, disabled: bool) -> Operator:
    """Disable (which ends every dashboard session of the operator at once) or enable again."""
    _lock_admins()
    operator = get(username)
    if disabled:
        _keep_an_admin(operator)
    operator.disabled = disabled
    if disabled:
        dashboard_sessions.end_all(operator.id)
    db.session.commit()
    return operator


def set_role(username: str, role: str) -> Operator:
    """Give an operator another role; their sessions end, so the new role holds at once."""
    check_role(role)
    _lock_admins()
    operator = get(username)
    if role != "admin":
        _keep_an_admin(operator)
    operator.role = role
    dashboard_sessions.end_all(operator.id)
    db.session.commit()
    return operator


def reset_mfa(username: str) -> Operator:
    """Forget an operator's second factor (lost phone): they enrol again; their sessions end."""
    operator = get(username)
    mfa.reset(operator)
    dashboard_sessions.end_all(operator.id)
    db.session.commit()
    return operator


def set_locale(operator: Operator, locale: str | None) -> Operator:
    """Set the dashboard language of `operator` (None: the deployment's); commits."""
    operator.locale = locale
    db.session.add(operator)
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
            select(Operator.id, Operator.password_hash, Operator.disabled, Operator.mfa_enabled_at).where(
                Operator.username == name
            )
        ).one_or_none()
        if name
        else None
    )
    ok = check_password_hash(row.password_hash if row else _decoy_hash(), password)
    success = ok and row is not None and not row.disabled
    second_factor = success and row is not None and row.mfa_enabled_at is not None
    # A right password alone forgives nothing when a code must follow: else a thief with the
    # password could guess codes without end, a few per password entry.
    locked = _settle(name, now, success, failed_before, forgive=not second_factor)
    operator = None
    if success and row is not None:
        operator = db.session.get_one(Operator, row.id)
        if not second_factor:
            operator.last_login_at = now
    db.session.commit()
    return SignIn(operator, locked=locked, second_factor=second_factor)


def second_factor(operator_id: int, code: str, now: datetime | None = None) -> tuple[Operator | None, str | None, bool]:
    """Check the code that follows a right password, under the same lockout as passwords:
    (operator, "totp" or "recovery_code", False) when accepted, (None, None, locked) if not."""
    now = now or utcnow()
    operator = db.session.get(Operator, operator_id)
    if operator is None or operator.disabled:
        return None, None, False
    name = operator.username
    failed_before = _admit(name, now)
    if failed_before is None:
        return None, None, True
    method = mfa.verify(operator.id, code)
    locked = _settle(name, now, method is not None, failed_before)
    if method is not None:
        operator.last_login_at = now
    db.session.commit()
    return (operator, method, False) if method else (None, None, locked)


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


def _settle(name: str, now: datetime, success: bool, failed_before: int, forgive: bool = True) -> bool:
    """Record how an admitted attempt ended (in the current transaction); True when it locks.

    A success alone (nothing else in flight, no failure since it was admitted) forgives the
    `failed_before` failures recorded before it. A success that raced other attempts forgives
    nothing and keeps its own slot used: forgiving in the middle of a burst, or freeing the
    slot, would let the burst check more than MAX_FAILED_ATTEMPTS passwords."""
    table = SignInThrottle
    in_flight = case((table.pending_attempts > 0, table.pending_attempts - 1), else_=0)
    if success and not forgive:
        db.session.execute(update(table).where(table.username == name).values(pending_attempts=in_flight))
        return False
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
