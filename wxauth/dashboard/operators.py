"""Admins manage operators: /dashboard/operators lists them (role, second factor, last
sign-in, disabled) and creates one with a one-time password shown once; each operator's
role, access and second factor can be changed there. Every change is audited and ends the
operator's sessions, so it holds at once."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wxauth.dashboard import bp
from wxauth.dashboard.forms import OperatorForm
from wxauth.dashboard.labels import operator_error
from wxauth.dashboard.roles import requires
from wxauth.extensions import db
from wxauth.models import Operator
from wxauth.models.operators import ROLES
from wxauth.services import ClientInfo, audit, operators
from wxauth.services.operators import OperatorError


def _operator_or_404(operator_id: int) -> Operator:
    operator = db.session.get(Operator, operator_id) if 0 < operator_id < 2**31 else None
    if operator is None:
        abort(404, _("No operator with that ID."))
    return operator


def _render(form: OperatorForm, created: tuple[str, str] | None = None, error: str | None = None, status: int = 200):
    return render_template(
        "dashboard/operators/index.html",
        form=form,
        operators=operators.all_operators(),
        roles=ROLES,
        created=created,
        error=error,
    ), status


@bp.get("/operators")
@requires("manage_operators")
def operators_page():
    return _render(OperatorForm())


@bp.post("/operators")
@requires("manage_operators")
def create_operator():
    form = OperatorForm()
    if not form.validate_on_submit():
        return _render(form, error=_("Give a username and a role."), status=400)
    password = operators.one_time_password()
    name = operators.normalize_username(form.username.data)
    try:
        audit.add(current_user, audit.OPERATOR_CREATE, f"{name}: {form.role.data}", ClientInfo.from_request(request))
        created = operators.create(name, password, role=form.role.data, must_change_password=True)
    except OperatorError as exc:
        db.session.rollback()
        return _render(form, error=operator_error(exc), status=400)
    # Shown on this answer only: the page that made it, never stored but as its hash.
    return _render(OperatorForm(formdata=None), created=(created.username, password))


def _change(operator_id: int, action: str, detail: str, change, done: str | None = None) -> None:
    operator = _operator_or_404(operator_id)
    try:
        audit.add(current_user, action, f"{operator.username}{detail}", ClientInfo.from_request(request))
        change(operator.username)
    except OperatorError as exc:
        db.session.rollback()
        flash(operator_error(exc), "error")
    else:
        flash(
            done or _("Done: %(name)s is signed out everywhere, so the change holds at once.", name=operator.username), "success"
        )


@bp.post("/operators/<int:operator_id>/role")
@requires("manage_operators")
def change_role(operator_id: int):
    role = request.form.get("role", "")
    if role not in ROLES:
        abort(400, _("Unknown role."))
    _change(operator_id, audit.OPERATOR_ROLE, f": {role}", lambda name: operators.set_role(name, role))
    return redirect(url_for("dashboard.operators_page"))


@bp.post("/operators/<int:operator_id>/disable")
@requires("manage_operators")
def disable_operator(operator_id: int):
    _change(operator_id, audit.OPERATOR_DISABLE, "", lambda name: operators.set_disabled(name, True))
    return redirect(url_for("dashboard.operators_page"))


@bp.post("/operators/<int:operator_id>/enable")
@requires("manage_operators")
def enable_operator(operator_id: int):
    _change(
        operator_id,
        audit.OPERATOR_ENABLE,
        "",
        lambda name: operators.set_disabled(name, False),
        _("Enabled: the operator can sign in again."),
    )
    return redirect(url_for("dashboard.operators_page"))


@bp.post("/operators/<int:operator_id>/reset-mfa")
@requires("manage_operators")
def reset_operator_mfa(operator_id: int):
    _change(operator_id, audit.MFA_RESET, "", operators.reset_mfa)
    return redirect(url_for("dashboard.operators_page"))
