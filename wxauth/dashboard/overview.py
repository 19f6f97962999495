"""GET /dashboard/: totals, 30-day charts and phone-API usage."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from wxauth.dashboard import bp, charts
from wxauth.dashboard.formatting import operator_zone
from wxauth.dashboard.roles import requires
from wxauth.services import overview as figures


@bp.get("/")
@requires("read")
def overview():
    data = figures.overview(operator_zone())
    days = data.days
    return render_template(
        "dashboard/overview/index.html",
        data=data,
        registrations_chart=charts.bar_chart(
            _("Registrations per day, last 30 days"),
            days,
            charts.Series(_("registrations"), data.registrations, "series-1"),
            height=370,
        ),
        # Failures are a few percent of logins: on one scale their line would lie flat on the
        # axis, so they get a chart of their own under the logins, on the same days.
        logins_chart=charts.line_chart(
            _("Successful logins per day, last 30 days"),
            days,
            [charts.Series(_("logins"), data.logins, "series-1")],
            height=190,
        ),
        failures_chart=charts.line_chart(
            _("Failures per day, last 30 days"),
            days,
            [
                charts.Series(_("failed logins"), data.failed_logins, "series-3"),
                charts.Series(_("decryption and phone failures"), data.failures, "series-2"),
            ],
            height=150,
        ),
    )
