"""Operator sign-in (password, then the second factor when enrolled) and sign-out, and how
Flask-Login finds the signed-in operator. Every attempt is audited."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from wxauth.dashboard import bp
from wxauth.dashboard.forms import SecondFactorForm, SignInForm
from wxauth.dashboard.redirects import safe_next
from wxauth.dashboard.roles import requires
from wxauth.extensions import db
from wxauth.models import Operator
from wxauth.ratelimit import dashboard_login_per_ip
from wxauth.services import ClientInfo, audit, dashboard_sessions, operators
from wxauth.services.operators import normalize_username

# How long a right password waits for its second factor.
SECOND_FACTOR_SECONDS = 300
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def load_operator(token: str) -> Operator | None:
    """The operator whose live dashboard session the cookie names (services.dashboard_sessions)."""
    return dashboard_sessions.resume(token)


def cookie_lost_over_http() -> bool:
    """Whether this browser will drop the Secure session cookie: the request came over plain
    HTTP (no trusted proxy said https) to a host other than this machine (browsers keep
    Secure cookies for http://localhost)."""
    return (
        bool(current_app.config["SESSION_COOKIE_SECURE"])
        and not request.is_secure
        and request.host.rsplit(":", 1)[0] not in LOCAL_HOSTS
    )


def _locked_message() -> str:
    return _(
        "Too many failed attempts: sign-in with this username is locked for %(minutes)d minutes. Try again later.",
        minutes=int(operators.LOCKOUT.total_seconds() // 60),
    )


def _fresh_session() -> None:
    """Nothing from before sign-in carries over, but the language picked on its page."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _signed_in(operator: Operator, method: str, next_url: str | None):
    _fresh_session()
    dashboard_sessions.start(operator, ClientInfo.from_request(request))
    login_user(operator)
    audit.record(operator, audit.SIGN_IN, method, ClientInfo.from_request(request))
    return redirect(safe_next(next_url))


@bp.route("/login", methods=["GET", "POST"])
@dashboard_login_per_ip
def login():
    form = SignInForm(next=request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data))
    error, status = None, 200
    if form.validate_on_submit():
        result = operators.sign_in(form.username.data, form.password.data)
        client = ClientInfo.from_request(request)
        name = normalize_username(form.username.data)
        if result.operator is not None and result.second_factor:
            _fresh_session()
            session["second_factor"] = {"id": result.operator.id, "at": int(time.time()), "next": form.next.data or ""}
            return redirect(url_for("dashboard.login_second_factor"))
        if result.operator is not None:
            return _signed_in(result.operator, "password", form.next.data)
        action = audit.SIGN_IN_LOCKED if result.locked else audit.SIGN_IN_FAILED
        tried = operators.find(name) if name else None  # the entry names the operator, if one has the name
        audit.record(tried, action, "password", client, username=name)
        error, status = (_locked_message(), 429) if result.locked else (_("Invalid username or password."), 401)
    return (
        render_template(
            "dashboard/auth/login.html",
            form=form,
            error=error,
            max_attempts=operators.MAX_FAILED_ATTEMPTS,
            insecure=cookie_lost_over_http(),
        ),
        status,
    )


def _pending_second_factor() -> dict | None:
    pending = session.get("second_factor")
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        return None
    if time.time() - pending.get("at", 0) > SECOND_FACTOR_SECONDS:
        session.pop("second_factor", None)
        return None
    return pending


@bp.route("/login/code", methods=["GET", "POST"])
@dashboard_login_per_ip
def login_second_factor():
    pending = _pending_second_factor()
    if pending is None:
        flash(_("Sign in with your password first (it is asked again after five minutes)."), "info")
        return redirect(url_for("dashboard.login"))
    form = SecondFactorForm()
    error, status = None, 200
    if form.validate_on_submit():
        operator, method, locked = operators.second_factor(pending["id"], form.code.data)
        if operator is not None and method is not None:
            return _signed_in(operator, f"password + {method}", pending.get("next"))
        tried = db.session.get(Operator, pending["id"])
        audit.record(tried, audit.SIGN_IN_LOCKED if locked else audit.MFA_FAILED, None, ClientInfo.from_request(request))
        if locked:
            session.pop("second_factor", None)
            error, status = _locked_message(), 429
        else:
            error, status = _("That code is not right, or was already used."), 401
    return render_template("dashboard/auth/second_factor.html", form=form, error=error), status


@bp.post("/logout")
@requires("self")
def logout():
    audit.record(current_user, audit.SIGN_OUT, None, ClientInfo.from_request(request))
    dashboard_sessions.end(current_user.get_id())
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("dashboard.login"))
