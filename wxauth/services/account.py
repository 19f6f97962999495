"""The person's rights over their data: take it away (export), and delete the account.

Export is everything stored about the person, without a secret: no session_key, token, code
or ciphertext. Deletion is one transaction: the user's row goes (and with it their sessions,
so every token dies at once on every instance), their login events, failures and phone binds
stay only without what identifies them (openid, IP, user agent), and one AccountDeletion row
records that it happened. A login racing the deletion either came first (and is deleted
with the rest) or comes after and finds no user: it creates a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, update

from config import MiniApp
from wxauth import database, settings
from wxauth.extensions import db
from wxauth.models import AccountDeletion, ApiSession, Failure, LoginEvent, Operator, PhoneBind, PhoneReveal, User, utcnow
from wxauth.webhooks import outbox

# Each list of the export holds at most this many rows, newest first.
EXPORT_LIMIT = 1000


@dataclass(frozen=True)
class PersonalData:
    """Everything stored about one person, newest first (api.serializers makes the document)."""

    user: User
    sessions: Sequence[ApiSession]
    logins: Sequence[LoginEvent]
    failures: Sequence[Failure]
    phone_binds: Sequence[PhoneBind]
    phone_reveals: Sequence[PhoneReveal]


def personal_data(user: User) -> PersonalData:
    """What GET /api/me/export shows: the user's row and every row about them."""

    def newest(model, *where) -> Sequence:
        order = (model.created_at.desc(), model.id.desc())
        return db.session.scalars(select(model).where(*where).order_by(*order).limit(EXPORT_LIMIT)).all()

    stored = db.session.get(User, user.id) or user
    data = PersonalData(
        user=stored,
        sessions=newest(ApiSession, ApiSession.user_id == user.id),
        logins=newest(LoginEvent, _events_of(stored)),
        failures=newest(Failure, Failure.user_id == user.id),
        phone_binds=newest(PhoneBind, PhoneBind.user_id == user.id),
        phone_reveals=newest(PhoneReveal, PhoneReveal.user_id == user.id),
    )
    db.session.commit()  # end the reads
    return data


def delete_account(user_id: int, *, operator: Operator | None = None) -> bool:
    """Delete the user `user_id` as described above, in one transaction; commits. False if
    there was no such user (already deleted)."""
    with database.writing(db.engine):
        user = db.session.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one_or_none()
        if user is None:
            db.session.rollback()
            return False
        outbox.user_event("user.deleted", user, requestedBy="operator" if operator is not None else "user")
        anonymous = {"ip": None, "user_agent": None}
        db.session.execute(update(LoginEvent).where(_events_of(user)).values(openid=None, **anonymous))
        db.session.execute(update(Failure).where(Failure.user_id == user.id).values(**anonymous))
        db.session.execute(update(PhoneBind).where(PhoneBind.user_id == user.id).values(**anonymous))
        db.session.execute(delete(ApiSession).where(ApiSession.user_id == user.id))
        db.session.add(
            AccountDeletion(
                created_at=utcnow(),
                appid=user.appid,
                user_id=user.id,
                requested_by="operator" if operator is not None else "user",
                operator_id=operator.id if operator is not None else None,
            )
        )
        db.session.execute(delete(User).where(User.id == user.id))
        db.session.commit()
    db.session.expunge_all()  # the deleted user must not linger in this request's identity map
    return True


def linked_apps(user: User) -> list[MiniApp]:
    """The other mini-programs of this deployment in which a user with `user`'s unionid
    exists (one person across apps), in configured order; never their openids."""
    if not user.unionid:
        return []
    appids = set(
        db.session.scalars(select(User.appid).where(User.unionid == user.unionid, User.appid != user.appid).distinct()).all()
    )
    db.session.commit()  # end the read
    return [app for app in settings.apps() if app.appid in appids]


def _events_of(user: User):
    """The login events of `user`: by id, and those of their openid that never reached a user."""
    return or_(
        LoginEvent.user_id == user.id,
        and_(LoginEvent.user_id.is_(None), LoginEvent.appid == user.appid, LoginEvent.openid == user.openid),
    )
