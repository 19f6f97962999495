"""The audit pages: /dashboard/reveals, every phone number an operator revealed (who, whom,
when); /dashboard/audit, the other audited actions (whole-number phone searches, account
deletions by operators); /dashboard/deletions, every deleted account (when, which app, who
asked)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request
from sqlalchemy import select

from wxauth.dashboard import bp
from wxauth.dashboard.queries import Filters, text
from wxauth.models import AccountDeletion, AuditEvent, Operator, PhoneReveal, User


@dataclass
class OperatorFilters(Filters):
    """An audit list: its rows joined to the operator who acted, filtered by their name."""

    operator: str | None = None

    def by_operator(self, stmt, operator_id):
        stmt = stmt.join(Operator, Operator.id == operator_id)
        return stmt.where(Operator.username == self.operator.lower()) if self.operator else stmt


@dataclass
class RevealFilters(OperatorFilters):
    model = PhoneReveal

    def statement(self):
        stmt = select(PhoneReveal, Operator.username, User.nickname, User.appid)
        return self.by_operator(stmt, PhoneReveal.operator_id).outerjoin(User, User.id == PhoneReveal.user_id)


@bp.get("/reveals")
def reveals():
    filters = RevealFilters(operator=text(request.args.get("operator")))
    return render_template("dashboard/audit/reveals.html", filters=filters, page=filters.page(request.args))


@dataclass
class AuditFilters(OperatorFilters):
    model = AuditEvent

    def statement(self):
        return self.by_operator(select(AuditEvent, Operator.username), AuditEvent.operator_id)


@bp.get("/audit")
def audit_log():
    filters = AuditFilters(operator=text(request.args.get("operator")))
    return render_template("dashboard/audit/events.html", filters=filters, page=filters.page(request.args))


@dataclass
class DeletionFilters(Filters):
    model = AccountDeletion

    def statement(self):
        return select(AccountDeletion, Operator.username).outerjoin(Operator, Operator.id == AccountDeletion.operator_id)


@bp.get("/deletions")
def deletions():
    filters = DeletionFilters()
    return render_template("dashboard/audit/deletions.html", filters=filters, page=filters.page(request.args))
