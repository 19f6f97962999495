"""Operators' dashboard sessions, server-side: started at sign-in, checked on every request,
ended by sign-out, by disabling the operator or by a new password, on every instance at once.

A session also ends after WXAUTH_DASHBOARD_IDLE_MINUTES without a request and, however
busy, WXAUTH_DASHBOARD_SESSION_HOURS after sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from wxauth import database, settings
from wxauth.extensions import db
from wxauth.models import DashboardSession, Operator, utcnow
from wxauth.services import ClientInfo

# last_seen_at is written at most this often per session (it only needs to beat the idle timeout).
TOUCH_EVERY = timedelta(seconds=60)


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(operator: Operator, client: ClientInfo, now: datetime | None = None) -> str:
    """Open a session for `operator` and return its token (for the cookie); commits."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(
        DashboardSession(
            id=_key(token),
            operator_id=operator.id,
            created_at=now,
            last_seen_at=now,
            ip=client.ip,
            user_agent=client.user_agent,
        )
    )
    db.session.commit()
    operator.dashboard_token = token
    return token


def resume(token: str | None, now: datetime | None = None) -> Operator | None:
    """The operator behind a live session token, or None (unknown, ended, idle, too old, disabled)."""
    if not token or len(token) > 64:
        return None
    now = now or utcnow()
    row = db.session.execute(
        select(DashboardSession, Operator)
        .join(Operator, Operator.id == DashboardSession.operator_id)
        .where(DashboardSession.id == _key(token))
    ).one_or_none()
    if row is None:
        return None
    session, operator = row
    config = settings.current()
    idle = timedelta(minutes=config.dashboard_idle_minutes)
    lifetime = timedelta(hours=config.dashboard_session_hours)
    if (
        session.ended_at is not None
        or operator.disabled
        or now - session.last_seen_at > idle
        or now - session.created_at > lifetime
    ):
        return None
    if now - session.last_seen_at > TOUCH_EVERY:
        session.last_seen_at = now
        db.session.commit()
    operator.dashboard_token = token
    return operator


def end(token: str | None, now: datetime | None = None) -> None:
    """End one session (sign-out); commits."""
    if token:
        db.session.execute(
            update(DashboardSession)
            .where(DashboardSession.id == _key(token), DashboardSession.ended_at.is_(None))
            .values(ended_at=now or utcnow())
        )
        db.session.commit()


def end_all(operator_id: int, now: datetime | None = None, keep: str | None = None) -> int:
    """End every live session of an operator but `keep` (a token), in the current
    transaction; returns how many."""
    stmt = update(DashboardSession).where(DashboardSession.operator_id == operator_id, DashboardSession.ended_at.is_(None))
    if keep:
        stmt = stmt.where(DashboardSession.id != _key(keep))
    return database.rowcount(db.session.execute(stmt.values(ended_at=now or utcnow())))


def handle(session: DashboardSession) -> str:
    """A short public name for a session (its id is the hash of its token: still not shown whole)."""
    return session.id[:12]


def live_for(operator_id: int, now: datetime | None = None) -> list[DashboardSession]:
    """The operator's sessions that have not ended, idled out or outlived their maximum, newest first."""
    now = now or utcnow()
    config = settings.current()
    return list(
        db.session.scalars(
            select(DashboardSession)
            .where(
                DashboardSession.operator_id == operator_id,
                DashboardSession.ended_at.is_(None),
                DashboardSession.last_seen_at > now - timedelta(minutes=config.dashboard_idle_minutes),
                DashboardSession.created_at > now - timedelta(hours=config.dashboard_session_hours),
            )
            .order_by(DashboardSession.created_at.desc())
        )
    )


def end_by_handle(operator_id: int, session_handle: str, now: datetime | None = None) -> bool:
    """End one of the operator's own sessions by its handle; True if one was live. Commits."""
    if len(session_handle) != 12 or not all(c in "0123456789abcdef" for c in session_handle):
        return False
    result = db.session.execute(
        update(DashboardSession)
        .where(
            DashboardSession.operator_id == operator_id,
            DashboardSession.id.startswith(session_handle, autoescape=True),
            DashboardSession.ended_at.is_(None),
        )
        .values(ended_at=now or utcnow())
    )
    db.session.commit()
    return database.rowcount(result) > 0


def is_current(session: DashboardSession, token: str | None) -> bool:
    """Whether `session` is the one `token` (this browser's cookie) opens."""
    return bool(token) and session.id == _key(token or "")
