"""The audit pages: /dashboard/audit, everything operators did or tried (sign-ins, reveals,
exports, revocations, deletions, account, client, webhook and settings changes), filtered
and exported as CSV; /dashboard/reveals, every phone number an operator revealed (who,
whom, when); /dashboard/deletions, every deleted account (when, which app, who asked).
None of them can change an entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import render_template, request
from sqlalchemy import select

from wxauth.dashboard import bp
from wxauth.dashboard.csvfiles import export
from wxauth.dashboard.labels import action_label
from wxauth.dashboard.queries import Filters, choice, date_range, in_date_range, text
from wxauth.dashboard.roles import requires
from wxauth.models import AccountDeletion, AuditEvent, Operator, PhoneReveal, User
from wxauth.services import audit


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
@requires("read")
def reveals():
    filters = RevealFilters(operator=text(request.args.get("operator")))
    return render_template("dashboard/audit/reveals.html", filters=filters, page=filters.page(request.args))


@dataclass
class AuditFilters(Filters):
    model = AuditEvent

    operator: str | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None
    ip: str | None = None

    @classmethod
    def parse(cls, args) -> AuditFilters:
        errors: list[str] = []
        start, end = date_range(args, errors)
        filters = cls(
            operator=text(args.get("operator")),
            action=choice(args.get("action"), audit.ACTIONS),
            start=start,
            end=end,
            ip=text(args.get("ip")),
        )
        filters.errors = tuple(errors)
        return filters

    def statement(self):
        stmt = select(AuditEvent)
        if self.operator:
            stmt = stmt.where(AuditEvent.username == self.operator.lower())
        if self.action:
            stmt = stmt.where(AuditEvent.action == self.action)
        if self.ip:
            stmt = stmt.where(AuditEvent.ip == self.ip)
        return stmt.where(*in_date_range(AuditEvent.created_at, self.start, self.end))


@bp.get("/audit")
@requires("read")
def audit_log():
    filters = AuditFilters.parse(request.args)
    page, status = filters.page_or_nothing(request.args)
    actions = [(action, action_label(action)) for action in audit.ACTIONS]
    return render_template("dashboard/audit/events.html", filters=filters, page=page, actions=actions), status


AUDIT_COLUMNS = {
    "time": lambda r: r.AuditEvent.created_at,
    "operator": lambda r: r.AuditEvent.username,
    "action": lambda r: r.AuditEvent.action,
    "detail": lambda r: r.AuditEvent.detail,
    "ip": lambda r: r.AuditEvent.ip,
}


@bp.get("/audit.csv")
@requires("export")
def audit_csv():
    return export("audit", AUDIT_COLUMNS, AuditFilters.parse(request.args))


@dataclass
class DeletionFilters(Filters):
    model = AccountDeletion

    def statement(self):
        return select(AccountDeletion, Operator.username).outerjoin(Operator, Operator.id == AccountDeletion.operator_id)


@bp.get("/deletions")
@requires("read")
def deletions():
    filters = DeletionFilters()
    return render_template("dashboard/audit/deletions.html", filters=filters, page=filters.page(request.args))
