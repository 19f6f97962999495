"""GET /dashboard/failures: failed decryptions, signatures and phone exchanges, with hints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import render_template, request
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from wxauth.dashboard import bp
from wxauth.dashboard.labels import FAILURE_KINDS, FAILURE_REASONS
from wxauth.dashboard.queries import Filters, choice, date_range, in_date_range, person_search, text
from wxauth.models import Failure, User


@dataclass
class FailureFilters(Filters):
    model = Failure

    kind: str | None = None
    reason: str | None = None
    start: date | None = None
    end: date | None = None
    user: int | None = None
    q: str | None = None  # a user id, nickname or phone's last 4 (queries.person_search)

    @classmethod
    def parse(cls, args: MultiDict) -> FailureFilters:
        errors: list[str] = []
        start, end = date_range(args, errors)
        user = args.get("user", "")
        filters = cls(
            kind=choice(args.get("kind"), FAILURE_KINDS),
            reason=choice(args.get("reason"), FAILURE_REASONS),
            start=start,
            end=end,
            user=int(user) if user.isdigit() and len(user) < 19 else None,
            q=text(args.get("q")),
        )
        filters.errors = tuple(errors)
        return filters

    def statement(self):
        stmt = select(Failure, User.nickname).outerjoin(User, User.id == Failure.user_id)
        if self.kind:
            stmt = stmt.where(Failure.kind == self.kind)
        if self.reason:
            stmt = stmt.where(Failure.reason == self.reason)
        if self.user is not None:
            stmt = stmt.where(Failure.user_id == self.user)
        if self.q:
            stmt = stmt.where(person_search(self.q, Failure.user_id))
        return stmt.where(*in_date_range(Failure.created_at, self.start, self.end))


@bp.get("/failures")
def failures():
    filters = FailureFilters.parse(request.args)
    page, status = filters.page_or_nothing(request.args)
    return render_template(
        "dashboard/failures/index.html",
        filters=filters,
        page=page,
        kinds=list(FAILURE_KINDS.items()),
        reasons=[(reason, label) for reason, (label, _) in FAILURE_REASONS.items()],
    ), status
