"""GET /dashboard/logins: every login attempt, filterable by outcome, app, dates and openid."""

from __future__ import annotations

from flask import render_template, request

from wxauth import settings
from wxauth.dashboard import bp
from wxauth.dashboard.filters import LoginFilters, outcome_choices
from wxauth.dashboard.roles import requires


@bp.get("/logins")
@requires("read")
def logins():
    filters = LoginFilters.parse(request.args)
    page, status = filters.page_or_nothing(request.args)
    return render_template(
        "dashboard/logins/index.html", filters=filters, page=page, apps=settings.apps().choices(), outcomes=outcome_choices()
    ), status
