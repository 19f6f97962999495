"""Users: the searchable list, one user's page, and what an operator can do there."""

from __future__ import annotations

from collections.abc import Sequence

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from wxauth import settings
from wxauth.dashboard import bp
from wxauth.dashboard.filters import PEOPLE_CHOICES, PHONE_CHOICES, UserFilters
from wxauth.dashboard.phone_search import audit_phone_search, phone_search_limit
from wxauth.dashboard.queries import MAX_ID, active_sessions
from wxauth.dashboard.roles import requires
from wxauth.extensions import db
from wxauth.models import Failure, LoginEvent, Operator, PhoneReveal, User
from wxauth.security import fingerprint
from wxauth.services import ClientInfo, account, audit, user_admin

HISTORY = 20


@bp.get("/users")
@phone_search_limit
@requires("read")
def users():
    filters = UserFilters.parse(request.args)
    audit_phone_search(filters)
    page = filters.page(request.args)
    return render_template(
        "dashboard/users/index.html",
        filters=filters,
        page=page,
        apps=settings.apps().choices(),
        phone_choices=list(PHONE_CHOICES.items()),
        people_choices=list(PEOPLE_CHOICES.items()),
    )


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id) if user_id <= MAX_ID else None
    if user is None:
        abort(404, _("No user with that ID."))
    return user


def _render_user(user: User, revealed: str | None = None):
    sessions = {fingerprint(s.id): s for s in active_sessions(user.id)}
    others: Sequence[User] = ()
    if user.unionid:
        others = db.session.scalars(
            select(User).where(User.unionid == user.unionid, User.id != user.id).order_by(User.id).limit(HISTORY)
        ).all()
    logins = db.session.scalars(
        select(LoginEvent)
        .where(LoginEvent.user_id == user.id)
        .order_by(LoginEvent.created_at.desc(), LoginEvent.id.desc())
        .limit(HISTORY)
    ).all()
    failures = db.session.scalars(
        select(Failure).where(Failure.user_id == user.id).order_by(Failure.created_at.desc(), Failure.id.desc()).limit(HISTORY)
    ).all()
    reveals = db.session.execute(
        select(PhoneReveal.created_at, Operator.username)
        .join(Operator, Operator.id == PhoneReveal.operator_id)
        .where(PhoneReveal.user_id == user.id)
        .order_by(PhoneReveal.created_at.desc())
        .limit(HISTORY)
    ).all()
    return render_template(
        "dashboard/users/show.html",
        user=user,
        revealed=revealed,
        sessions=sessions,
        others=others,
        logins=logins,
        failures=failures,
        reveals=reveals,
    )


@bp.get("/users/<int:user_id>")
@requires("read")
def user(user_id: int):
    user = _user_or_404(user_id)
    # Shown once, on the page the reveal redirected to; a reload shows it masked again.
    revealed = user.phone_number if session.pop("revealed_user", None) == user.id else None
    return _render_user(user, revealed=revealed)


@bp.post("/users/<int:user_id>/reveal-phone")
@requires("reveal_phone")
def reveal_phone(user_id: int):
    """Record the reveal, then redirect (POST/redirect/GET) to the user's page, which shows the
    number that once. The cookie carries only which user, never the number."""
    user = _user_or_404(user_id)
    if user.phone_number is not None:
        audit.add(current_user, audit.PHONE_REVEAL, f"user #{user.id} ({user.appid})", ClientInfo.from_request(request))
    if user_admin.reveal_phone(current_user, user) is None:
        flash(_("This user has no phone number."), "info")
    else:
        session["revealed_user"] = user.id
    return redirect(url_for("dashboard.user", user_id=user.id))


@bp.post("/users/<int:user_id>/sessions/<handle>/revoke")
@requires("revoke_sessions")
def revoke_session(user_id: int, handle: str):
    user = _user_or_404(user_id)
    session = {fingerprint(s.id): s for s in active_sessions(user.id)}.get(handle)
    if session is None:
        flash(_("That session had already ended."), "info")
    else:
        audit.add(current_user, audit.SESSION_REVOKE, f"user #{user.id}: session #{handle}", ClientInfo.from_request(request))
        user_admin.revoke_session(session)
        flash(_("Session #%(handle)s revoked: its token no longer works.", handle=handle), "success")
    return redirect(url_for("dashboard.user", user_id=user.id))


@bp.post("/users/<int:user_id>/delete")
@requires("delete_user")
def delete_user(user_id: int):
    """Delete the account as DELETE /api/me does, on an operator's deliberate request (the
    button asks to confirm); recorded as a deletion by this operator and in the audit log."""
    user = _user_or_404(user_id)
    label = f"user #{user.id} ({user.appid})"
    audit.add(current_user, audit.ACCOUNT_DELETE, label, ClientInfo.from_request(request))
    account.delete_account(user.id, operator=current_user)
    flash(_("Deleted %(label)s: their sessions ended, their data is erased.", label=label), "success")
    return redirect(url_for("dashboard.users"))


@bp.post("/users/<int:user_id>/sessions/revoke-all")
@requires("revoke_sessions")
def revoke_all_sessions(user_id: int):
    user = _user_or_404(user_id)
    audit.add(current_user, audit.SESSION_REVOKE, f"user #{user.id}: all sessions", ClientInfo.from_request(request))
    count = user_admin.revoke_all_sessions(user)
    flash(
        ngettext(
            "Revoked %(num)d session: the user must log in again.",
            "Revoked %(num)d sessions: the user must log in again.",
            count,
        ),
        "success",
    )
    return redirect(url_for("dashboard.user", user_id=user.id))
