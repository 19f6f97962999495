"""Logout: revoke the token and forget the WeChat session_key.

WeChat has no logout API for mini-program users; ending our own session is the logout.
"""

from __future__ import annotations

from sqlalchemy import update

from wxauth.extensions import db
from wxauth.models import ApiSession, User, utcnow
from wxauth.services import sessions
from wxauth.webhooks import outbox


def logout(session: ApiSession) -> None:
    """End `session` and forget the user's session_key (a later legacy decrypt needs a new
    login); commits.
    """
    now = utcnow()
    if sessions.revoke(session, now):
        outbox.session_revoked(session.user, "logout", 1)
    db.session.execute(
        update(User).where(User.id == session.user_id).values(session_key_ciphertext=None, session_key_issued_at=None)
    )
    db.session.commit()
