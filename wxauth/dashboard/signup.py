"""GET/POST /dashboard/signup: each mini-program's sign-up policy, and the phone numbers
admitted to those whose sign-up is closed (shown masked; adding them is audited)."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from wxauth import settings
from wxauth.dashboard import bp
from wxauth.dashboard.forms import ProvisionForm
from wxauth.services import ClientInfo, audit, provisioning

POLICIES = {
    "open": "Open: anyone who logs in becomes a user",
    "phone": "Phone: a first login must bind a phone number",
    "closed": "Closed: only the phone numbers provisioned here",
}


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = ProvisionForm()
    if form.validate_on_submit():
        numbers = [n.strip() for n in re.split(r"[\n,;]+", form.phones.data or "") if n.strip()]
        try:
            added = provisioning.provision(form.appid.data, numbers)
        except provisioning.ProvisionError as exc:
            form.phones.errors = [str(exc)]
        else:
            detail = f"{form.appid.data}: {len(numbers)} number(s), {added} new"
            audit.record(current_user, audit.PROVISION, detail, ClientInfo.from_request(request))
            flash(f"Provisioned {added} new number(s) for {form.appid.data}.", "success")
            return redirect(url_for("dashboard.signup"))
    return render_template(
        "dashboard/signup/index.html",
        form=form,
        apps=settings.apps(),
        policies=POLICIES,
        provisioned=provisioning.provisioned(),
    ), (400 if form.errors else 200)
