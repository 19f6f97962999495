"""GET /dashboard/: totals, 30-day charts and phone-API usage."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import render_template

from wxauth.dashboard import bp, charts, stats
from wxauth.dashboard.formatting import operator_zone
from wxauth.models import Failure, LoginEvent, User, utcnow


@bp.get("/")
def overview():
    now = utcnow()
    today = datetime.now(operator_zone()).date()
    days = stats.chart_days(today)
    month = now - timedelta(days=30)
    registrations = stats.per_day(User.created_at, days)
    logins = stats.per_day(LoginEvent.created_at, days, LoginEvent.outcome == "success")
    failed_logins = stats.per_day(LoginEvent.created_at, days, LoginEvent.outcome != "success")
    failures = stats.per_day(Failure.created_at, days)
    return render_template(
        "dashboard/overview/index.html",
        totals=stats.totals(now, today),
        registrations_chart=charts.bar_chart(
            "Registrations per day, last 30 days",
            days,
            charts.Series("registrations", registrations, "series-1"),
            height=370,
        ),
        # Failures are a few percent of logins: on one scale their line would lie flat on the
        # axis, so they get a chart of their own under the logins, on the same days.
        logins_chart=charts.line_chart(
            "Successful logins per day, last 30 days", days, [charts.Series("logins", logins, "series-1")], height=190
        ),
        failures_chart=charts.line_chart(
            "Failures per day, last 30 days",
            days,
            [
                charts.Series("failed logins", failed_logins, "series-3"),
                charts.Series("decryption and phone failures", failures, "series-2"),
            ],
            height=150,
        ),
        registrations_30d=sum(registrations),
        logins_30d=sum(logins),
        failures_30d=sum(failed_logins) + sum(failures),
        phone_30d=stats.phone_api(month),
        phone_24h=stats.phone_api(now - timedelta(days=1)),
        phone_reasons=stats.phone_failure_reasons(month),
    )
