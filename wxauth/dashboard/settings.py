"""GET/POST /dashboard/settings: the operator's own account: the time zone of every date,
the language, and links to their password, second factor and signed-in browsers."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wxauth.dashboard import bp
from wxauth.dashboard.forms import SettingsForm
from wxauth.dashboard.roles import requires
from wxauth.services import ClientInfo, audit, dashboard_sessions, mfa, operators


@bp.route("/settings", methods=["GET", "POST"])
@requires("self")
def settings():
    form = SettingsForm(time_zone=current_user.time_zone)
    if form.validate_on_submit():
        audit.add(current_user, audit.SETTINGS_CHANGE, f"time zone: {form.time_zone.data}", ClientInfo.from_request(request))
        operators.set_time_zone(current_user, form.time_zone.data)
        flash(_("Dates are now shown in %(zone)s.", zone=form.time_zone.data), "success")
        return redirect(url_for("dashboard.settings"))
    sessions = dashboard_sessions.live_for(current_user.id)
    return render_template(
        "dashboard/settings/index.html",
        form=form,
        sessions=sessions,
        current_token=current_user.get_id(),
        is_current=dashboard_sessions.is_current,
        handle=dashboard_sessions.handle,
        recovery_left=mfa.recovery_codes_left(current_user.id) if current_user.mfa_enabled else None,
    )
