"""Operator sign-in and sign-out, and how Flask-Login finds the signed-in operator."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from wxauth.dashboard import bp
from wxauth.dashboard.forms import SignInForm
from wxauth.models import Operator
from wxauth.ratelimit import dashboard_login_per_ip
from wxauth.services import ClientInfo, dashboard_sessions, operators

INVALID = "Invalid username or password."
LOCKED = (
    f"Too many failed attempts: sign-in with this username is locked for "
    f"{int(operators.LOCKOUT.total_seconds() // 60)} minutes. Try again later."
)


def load_operator(token: str) -> Operator | None:
    """The operator whose live dashboard session the cookie names (services.dashboard_sessions)."""
    return dashboard_sessions.resume(token)


def safe_next(target: str | None) -> str:
    """`target` if it is a dashboard path on this site, else the overview (no open redirect)."""
    fallback = url_for("dashboard.overview")
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(fallback.rstrip("/")):
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
@dashboard_login_per_ip
def login():
    form = SignInForm(next=request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data))
    error, status = None, 200
    if form.validate_on_submit():
        result = operators.sign_in(form.username.data, form.password.data)
        if result.operator is not None:
            session.clear()  # nothing from before sign-in carries over
            dashboard_sessions.start(result.operator, ClientInfo.from_request(request))
            login_user(result.operator)
            return redirect(safe_next(form.next.data))
        error, status = (LOCKED, 429) if result.locked else (INVALID, 401)
    return (
        render_template("dashboard/auth/login.html", form=form, error=error, max_attempts=operators.MAX_FAILED_ATTEMPTS),
        status,
    )


@bp.post("/logout")
def logout():
    dashboard_sessions.end(current_user.get_id())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("dashboard.login"))
