"""API tokens: signed with itsdangerous, checked against the stored session.

A token is `sign([session_id, expires_at])`. A forged, garbled or expired token fails the
signature or expiry check without touching the database; a well-signed one must still match
a stored session that is neither revoked nor expired, so logout really ends it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, insert, select, update

from wxauth import database, settings
from wxauth.errors import invalid_token
from wxauth.extensions import db
from wxauth.models import ApiSession, User, utcnow
from wxauth.models.base import table
from wxauth.services import ClientInfo

SALT = "wxauth.api-token.v1"
MAX_TOKEN_LENGTH = 512
# last_seen_at is a hint for operators; writing it on every request would double the cost
# of an authenticated call, so it is refreshed at most once a minute per session.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


@lru_cache(maxsize=1)
def _insert_session():
    return insert(table(ApiSession))


@lru_cache(maxsize=1)
def _select_session():
    # Built once: the token check runs on every authenticated request.
    return select(ApiSession).where(ApiSession.id == bindparam("session_id"))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(settings.current().secret_key, salt=SALT)


def new_session(user: User, client: ClientInfo, now: datetime) -> tuple[ApiSession, str]:
    """Add a session for `user` to the current transaction; return it with its token.

    A plain INSERT, not Session.add(): nothing reads the row back through the ORM session,
    and the unit-of-work flush is a large share of a short request's CPU.
    """
    values = {**session_values(client, now), "user_id": user.id}
    db.session.execute(_insert_session(), values)
    return ApiSession(**values), issue_token(values)


def session_values(client: ClientInfo, now: datetime) -> dict:
    """The row of a new session, but for its user_id (the one source of its shape)."""
    return {
        "id": secrets.token_urlsafe(16),
        "created_at": now,
        "expires_at": now + timedelta(seconds=settings.current().token_ttl),
        "last_seen_at": now,
        "ip": client.ip,
        "user_agent": client.user_agent,
    }


def issue_token(values: dict) -> str:
    """The token for the session row `values`."""
    return _serializer().dumps([values["id"], int(values["expires_at"].timestamp())])


def authenticate(token: str | None) -> ApiSession:
    """The live session behind `token`, or AppError invalid_token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise invalid_token()
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise invalid_token() from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], str) and isinstance(payload[1], int)):
        raise invalid_token()
    session_id, expires = payload
    now = utcnow()
    if expires <= now.timestamp():
        raise invalid_token("The token has expired; log in again.")
    # One read: no transaction (the rare last_seen_at write below then commits on its own).
    database.autocommit()
    session = db.session.scalar(_select_session(), {"session_id": session_id})
    if session is None or not session.active_at(now):
        db.session.rollback()
        raise invalid_token()
    if now - session.last_seen_at > LAST_SEEN_RESOLUTION:
        db.session.execute(update(ApiSession).where(ApiSession.id == session.id).values(last_seen_at=now))
        session.last_seen_at = now
    # End the read (and the last-seen write) here, so the view's own writes start a fresh
    # transaction: on SQLite that means they take the write lock first and never race a snapshot.
    db.session.commit()
    return session


def refresh(session: ApiSession, client: ClientInfo) -> tuple[ApiSession, str]:
    """Swap a live session for a new one (new token, new expiry); the old token dies.

    Exactly one of several concurrent refreshes of one token wins: the old session's
    revocation is a conditional write, and the losers answer invalid_token.
    """
    now = utcnow()
    with database.writing(db.engine):
        lock_user_sessions(session.user_id)
        if not revoke(session, now):
            db.session.rollback()
            raise invalid_token()
        new, token = new_session(session.user, client, now)
        db.session.commit()
    return new, token


def revoke(session: ApiSession, now: datetime | None = None) -> bool:
    """Mark one session revoked (in the current transaction); False if it already was."""
    result = db.session.execute(
        update(ApiSession).where(ApiSession.id == session.id, ApiSession.revoked_at.is_(None)).values(revoked_at=now or utcnow())
    )
    return database.rowcount(result) == 1


def revoke_all(user_id: int, now: datetime | None = None) -> int:
    """Revoke every live session of a user; returns how many (in the current transaction)."""
    lock_user_sessions(user_id)
    result = db.session.execute(
        update(ApiSession)
        .where(ApiSession.user_id == user_id, ApiSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return database.rowcount(result)


def lock_user_sessions(user_id: int) -> None:
    """Serialise changes to one user's set of sessions until the transaction ends.

    Without it, on PostgreSQL a revoke-all's UPDATE would not see the session that a racing
    refresh inserted but had not committed yet, and that session would outlive it. The
    user's row is the lock (SQLite has a single writer and needs none).
    """
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
