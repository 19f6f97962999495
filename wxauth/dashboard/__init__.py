"""The operator dashboard, at /dashboard: server-rendered HTML behind operator sign-in.

Every view needs a signed-in operator except the sign-in page itself; that is enforced here
once, for the whole blueprint, so a new page cannot forget it.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from wxauth.errors import answer_unmatched, propagate_in_tests
from wxauth.extensions import csrf, login_manager

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
log = logging.getLogger("wxauth.dashboard")

PUBLIC_ENDPOINTS = frozenset({"dashboard.login"})

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
        audit,
        auth,
        exports,
        failures,
        formatting,
        integrations,
        logins,
        overview,
        settings,
        signup,
        users,
    )
    from wxauth.dashboard.auth import load_operator

    login_manager.user_loader(load_operator)
    login_manager.blueprint_login_views["dashboard"] = "dashboard.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    formatting.register(app)
    app.register_blueprint(bp)
    answer_unmatched(app, "/dashboard/", http_error)


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
