"""The audit pages: /dashboard/reveals, every phone number an operator revealed (who, whom,
when), and /dashboard/audit, the other audited actions (whole-number phone searches)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request
from sqlalchemy import select

from wxauth.dashboard import bp
from wxauth.dashboard.queries import Filters, text
from wxauth.models import AuditEvent, Operator, PhoneReveal, User


@dataclass
class RevealFilters(Filters):
    model = PhoneReveal

    operator: str | None = None

    def statement(self):
        stmt = (
            select(PhoneReveal, Operator.username, User.nickname, User.appid)
            .join(Operator, Operator.id == PhoneReveal.operator_id)
            .outerjoin(User, User.id == PhoneReveal.user_id)
        )
        if self.operator:
            stmt = stmt.where(Operator.username == self.operator.lower())
        return stmt


@bp.get("/reveals")
def reveals():
    filters = RevealFilters(operator=text(request.args.get("operator")))
    page = filters.page(request.args)
    return render_template("dashboard/audit/reveals.html", filters=filters, page=page)


@dataclass
class AuditFilters(Filters):
    model = AuditEvent

    operator: str | None = None

    def statement(self):
        stmt = select(AuditEvent, Operator.username).join(Operator, Operator.id == AuditEvent.operator_id)
        if self.operator:
            stmt = stmt.where(Operator.username == self.operator.lower())
        return stmt


@bp.get("/audit")
def audit_log():
    filters = AuditFilters(operator=text(request.args.get("operator")))
    return render_template("dashboard/audit/events.html", filters=filters, page=filters.page(request.args))
