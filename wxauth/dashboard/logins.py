"""GET /dashboard/logins: every login attempt, filterable by outcome, app, dates and openid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import render_template, request
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from wxauth import settings
from wxauth.dashboard import bp
from wxauth.dashboard.labels import LOGIN_OUTCOMES
from wxauth.dashboard.queries import Filters, choice, date_range, in_date_range, person_search, text
from wxauth.dashboard.users import app_choices
from wxauth.models import LoginEvent, User

FAILED = "failed"  # any outcome but success


@dataclass
class LoginFilters(Filters):
    model = LoginEvent

    outcome: str | None = None
    app: str | None = None
    start: date | None = None
    end: date | None = None
    openid: str | None = None
    q: str | None = None  # a user id, nickname or phone's last 4 (queries.person_search)

    @classmethod
    def parse(cls, args: MultiDict) -> LoginFilters:
        errors: list[str] = []
        start, end = date_range(args, errors)
        apps = settings.apps().appids
        filters = cls(
            outcome=choice(args.get("outcome"), {FAILED, *LOGIN_OUTCOMES}),
            app=choice(args.get("app"), apps),
            start=start,
            end=end,
            openid=text(args.get("openid")),
            q=text(args.get("q")),
        )
        filters.errors = tuple(errors)
        return filters

    def statement(self):
        stmt = select(LoginEvent, User.nickname).outerjoin(User, User.id == LoginEvent.user_id)
        if self.outcome == FAILED:
            stmt = stmt.where(LoginEvent.outcome != "success")
        elif self.outcome:
            stmt = stmt.where(LoginEvent.outcome == self.outcome)
        if self.app:
            stmt = stmt.where(LoginEvent.appid == self.app)
        if self.openid:
            stmt = stmt.where(LoginEvent.openid == self.openid)
        if self.q:
            stmt = stmt.where(person_search(self.q, LoginEvent.user_id))
        return stmt.where(*in_date_range(LoginEvent.created_at, self.start, self.end))


def outcome_choices() -> list[tuple[str, str]]:
    return [("success", LOGIN_OUTCOMES["success"]), (FAILED, "Any failure 所有失败")] + [
        (code, label) for code, label in LOGIN_OUTCOMES.items() if code != "success"
    ]


@bp.get("/logins")
def logins():
    filters = LoginFilters.parse(request.args)
    page, status = filters.page_or_nothing(request.args)
    return render_template(
        "dashboard/logins/index.html", filters=filters, page=page, apps=app_choices(), outcomes=outcome_choices()
    ), status
