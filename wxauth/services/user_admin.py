"""What an operator does to a mini-program user from the dashboard: end sessions, see the phone."""

from __future__ import annotations

from wxauth.extensions import db
from wxauth.models import ApiSession, Operator, PhoneReveal, User, utcnow
from wxauth.services import sessions
from wxauth.webhooks import outbox


def revoke_session(session: ApiSession) -> None:
    """End one API session (its token stops working at once); commits."""
    if sessions.revoke(session):
        outbox.session_revoked(session.user, "operator", 1)
    db.session.commit()


def revoke_all_sessions(user: User) -> int:
    """End every live API session of `user`; returns how many; commits."""
    count = sessions.revoke_all(user.id)
    if count:
        outbox.session_revoked(user, "operator", count)
    db.session.commit()
    return count


def reveal_phone(operator: Operator, user: User) -> str | None:
    """The user's full phone number, after recording who looked at it and when."""
    if user.phone_number is None:
        return None
    db.session.add(PhoneReveal(operator_id=operator.id, user_id=user.id, created_at=utcnow()))
    db.session.commit()
    return user.phone_number
