"""GET/POST /dashboard/settings: the operator's own preferences (the time zone of every date)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from wxauth.dashboard import bp
from wxauth.dashboard.forms import SettingsForm
from wxauth.services import operators


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = SettingsForm(time_zone=current_user.time_zone)
    if form.validate_on_submit():
        operators.set_time_zone(current_user, form.time_zone.data)
        flash(f"Dates are now shown in {form.time_zone.data}.", "success")
        return redirect(url_for("dashboard.settings"))
    return render_template("dashboard/settings/index.html", form=form)
