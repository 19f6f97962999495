"""The operator dashboard, at /dashboard: server-rendered HTML behind operator sign-in.

Every view needs a signed-in operator except the sign-in pages, and the permission its
@requires names (roles.py); both are enforced here once, for the whole blueprint, so a new
page cannot forget them.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from wxauth import settings as wxauth_settings
from wxauth.errors import answer_unmatched, propagate_in_tests
from wxauth.extensions import csrf, login_manager

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
log = logging.getLogger("wxauth.dashboard")

PUBLIC_ENDPOINTS = frozenset({"dashboard.login", "dashboard.login_second_factor", "dashboard.login_language"})
# What an operator may still reach while a one-time password waits to be changed, or while
# WXAUTH_OPERATOR_MFA=required waits for their enrolment.
GATE_ENDPOINTS = frozenset({"dashboard.logout", "dashboard.password", "dashboard.mfa_page", "dashboard.language"})

# No inline script anywhere: the one script is a file under /static. Inline <svg> charts
# need nothing beyond 'self' since their colours come from the stylesheet.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    # Pages hold personal data: keep them out of shared and back-button caches.
    "Cache-Control": "no-store",
}


def init_app(app: Flask) -> None:
    # The view modules declare their routes on bp; importing them is what adds the routes.
    from wxauth.dashboard import (  # noqa: F401
        account,
        audit,
        auth,
        exports,
        failures,
        formatting,
        i18n,
        integrations,
        logins,
        operators,
        overview,
        roles,
        settings,
        signup,
        users,
    )
    from wxauth.dashboard.auth import load_operator

    login_manager.user_loader(load_operator)
    # Operators sign in to the dashboard alone: flask-login's remember-cookie hook runs on
    # its requests (remember_cookie below), not on every API call (docs/scaling.md).
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)
    login_manager.blueprint_login_views["dashboard"] = "dashboard.login"
    login_manager.login_message = lazy_gettext("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    i18n.init_app(app)
    formatting.register(app)
    app.add_template_global(roles.can, "can")
    app.register_blueprint(bp)
    answer_unmatched(app, "/dashboard/", http_error)


@bp.after_request
def remember_cookie(response):
    return login_manager._update_remember_cookie(response)


@bp.before_request
def check_csrf():
    """Every form of the dashboard carries a CSRF token (the session is a cookie)."""
    if request.method in current_app.config["WTF_CSRF_METHODS"]:
        csrf.protect()


@bp.before_request
def require_operator():
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    if request.method != "GET":
        # A form posted after the session ended: coming back to its URL by GET would 405.
        return redirect(url_for("dashboard.login"))
    return login_manager.unauthorized()


@bp.before_request
def require_permission():
    """403 (page and audit entry) for what the operator's role does not allow; a view that
    declares no permission is refused to everyone."""
    from wxauth.dashboard import roles
    from wxauth.services import ClientInfo, audit

    if request.endpoint in PUBLIC_ENDPOINTS or not current_user.is_authenticated:
        return None
    permission = roles.permission_of(current_app.view_functions.get(request.endpoint or ""), request.method)
    if permission is not None and roles.role_has(current_user.role, permission):
        return None
    audit.record(current_user, audit.FORBIDDEN, f"{request.method} {request.path}"[:256], ClientInfo.from_request(request))
    abort(403)


@bp.before_request
def require_gate():
    """A one-time password is changed, and (when required) a second factor enrolled, first."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint in GATE_ENDPOINTS or not current_user.is_authenticated:
        return None
    if current_user.must_change_password:
        return redirect(url_for("dashboard.password"))
    if wxauth_settings.current().operator_mfa == "required" and not current_user.mfa_enabled:
        return redirect(url_for("dashboard.mfa_page"))
    return None


@bp.after_request
def security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    if isinstance(exc, SecurityError):  # an untrusted Host: no URL of a page can be built for it
        return exc
    return render_template("dashboard/error.html", error=exc), exc.code or 500


@bp.errorhandler(Exception)
def unexpected(exc: Exception):
    propagate_in_tests(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_template("dashboard/error.html", error=InternalServerError()), 500
