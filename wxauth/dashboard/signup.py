"""GET/POST /dashboard/signup: each mini-program's sign-up policy, and the phone numbers
admitted to those whose sign-up is closed (shown masked; adding them is audited)."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from wxauth import settings
from wxauth.dashboard import bp
from wxauth.dashboard.forms import ProvisionForm
from wxauth.dashboard.roles import requires
from wxauth.services import ClientInfo, audit, provisioning

POLICIES = {
    "open": _l("Open: anyone who logs in becomes a user"),
    "phone": _l("Phone: a first login must bind a phone number"),
    "closed": _l("Closed: only the phone numbers provisioned here"),
}


@bp.route("/signup", methods=["GET", "POST"])
@requires("read", post="provision")
def signup():
    form = ProvisionForm()
    if form.validate_on_submit():
        numbers = [n.strip() for n in re.split(r"[\n,;]+", form.phones.data or "") if n.strip()]
        try:
            added = provisioning.provision(form.appid.data, numbers)
        except provisioning.ProvisionError as exc:
            form.phones.errors = [_("%(phone)s is not a phone number (5 to 20 digits).", phone=repr(exc.phone))]
        else:
            detail = f"{form.appid.data}: {len(numbers)} number(s), {added} new"
            audit.record(current_user, audit.PROVISION, detail, ClientInfo.from_request(request))
            flash(_("Provisioned %(added)d new number(s) for %(appid)s.", added=added, appid=form.appid.data), "success")
            return redirect(url_for("dashboard.signup"))
    return render_template(
        "dashboard/signup/index.html",
        form=form,
        apps=settings.apps(),
        policies=POLICIES,
        provisioned=provisioning.provisioned(),
    ), (400 if form.errors else 200)
