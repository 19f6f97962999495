"""What every operator does for themselves: change their password, enrol a second factor,
end their own dashboard sessions, pick the dashboard's language."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from wxauth import settings as wxauth_settings
from wxauth.dashboard import bp
from wxauth.dashboard.forms import PasswordForm, SecondFactorForm
from wxauth.dashboard.i18n import LOCALES
from wxauth.dashboard.labels import operator_error
from wxauth.dashboard.redirects import safe_next
from wxauth.dashboard.roles import requires
from wxauth.extensions import db
from wxauth.services import ClientInfo, audit, dashboard_sessions, mfa, operators
from wxauth.services.operators import OperatorError


@bp.route("/settings/password", methods=["GET", "POST"])
@requires("self")
def password():
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        if form.new.data != form.repeat.data:
            error = _("The two new passwords differ.")
        else:
            try:
                audit.add(current_user, audit.PASSWORD_CHANGE, None, ClientInfo.from_request(request))
                operators.change_own_password(current_user, form.current.data, form.new.data, current_user.get_id())
            except OperatorError as exc:
                db.session.rollback()
                error = operator_error(exc)
            else:
                flash(_("Your password is changed; your other sessions have ended."), "success")
                return redirect(url_for("dashboard.settings"))
    return render_template(
        "dashboard/settings/password.html", form=form, error=error, min_length=operators.MIN_PASSWORD_LENGTH
    ), (400 if error else 200)


@bp.route("/settings/mfa", methods=["GET", "POST"])
@requires("self")
def mfa_page():
    """Enrolment: the secret is kept sealed in the signed session cookie until a first code
    confirms it; then the recovery codes are shown on that one answer, never again."""
    if current_user.mfa_enabled:
        return render_template("dashboard/settings/mfa_on.html", left=mfa.recovery_codes_left(current_user.id))
    sealed = session.get("mfa_enrol")
    secret = _unsealed(sealed) if sealed else None
    if secret is None:
        secret = mfa.new_secret()
        session["mfa_enrol"] = mfa.seal_secret(secret)
    form = SecondFactorForm()
    error = None
    if form.validate_on_submit():
        audit.add(current_user, audit.MFA_ENABLE, None, ClientInfo.from_request(request))
        codes = mfa.enable(current_user, secret, form.code.data)
        if codes is not None:
            session.pop("mfa_enrol", None)
            return render_template("dashboard/settings/recovery_codes.html", codes=codes)
        db.session.rollback()
        error = _("That code is not right: check the clock of the phone, and enter the code the app shows now.")
    return render_template(
        "dashboard/settings/mfa_enrol.html",
        form=form,
        enrolment=mfa.enrolment(current_user, secret),
        error=error,
        required=wxauth_settings.current().operator_mfa == "required",
    ), (400 if error else 200)


def _unsealed(sealed: str) -> str | None:
    from wxauth.security import SealError

    try:
        return mfa.unseal_secret(sealed)
    except SealError:
        return None


@bp.post("/settings/sessions/<session_handle>/end")
@requires("self")
def end_own_session(session_handle: str):
    mine = {dashboard_sessions.handle(s): s for s in dashboard_sessions.live_for(current_user.id)}
    target = mine.get(session_handle)
    if target is None:
        flash(_("That session had already ended."), "info")
        return redirect(url_for("dashboard.settings"))
    current = dashboard_sessions.is_current(target, current_user.get_id())
    audit.add(current_user, audit.OWN_SESSION_END, session_handle, ClientInfo.from_request(request))
    dashboard_sessions.end_by_handle(current_user.id, session_handle)
    if current:
        logout_user()
        session.clear()
        return redirect(url_for("dashboard.login"))
    flash(_("That session has ended: its browser is signed out."), "success")
    return redirect(url_for("dashboard.settings"))


def _chosen_locale() -> str:
    locale = request.form.get("locale", "")
    if locale not in LOCALES:
        abort(400, _("Unknown language."))
    return locale


@bp.post("/language")
@requires("self")
def language():
    operators.set_locale(current_user, _chosen_locale())
    return redirect(_back())


@bp.post("/login/language")
def login_language():
    """The sign-in page's switch: no operator yet, so the choice lives in the session cookie."""
    session["locale"] = _chosen_locale()
    return redirect(url_for("dashboard.login"))


def _back() -> str:
    return safe_next(request.form.get("back"))
