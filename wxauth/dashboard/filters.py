"""The dashboard lists' filters: each parses the query string and builds its statement.

Views and the CSV exports share them; the machinery (keyset pages, dates, search) is in
queries.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from wxauth import settings
from wxauth.dashboard.labels import FAILURE_KINDS, FAILURE_REASONS, LOGIN_OUTCOMES
from wxauth.dashboard.queries import (
    Filters,
    choice,
    date_range,
    in_date_range,
    person_search,
    searches_nicknames,
    text,
    unindexed,
    user_search,
)
from wxauth.models import Failure, LoginEvent, User

PHONE_CHOICES = {"bound": _l("Phone bound"), "unbound": _l("No phone")}
PEOPLE_CHOICES = {"several": _l("In several apps")}
FAILED = "failed"  # any outcome but success


@dataclass
class UserFilters(Filters):
    model = User

    q: str | None = None
    app: str | None = None
    phone: str | None = None
    people: str | None = None  # "several": the person (unionid) has users in more than one app

    @classmethod
    def parse(cls, args: MultiDict) -> UserFilters:
        apps = settings.apps().appids
        return cls(
            q=text(args.get("q")),
            app=choice(args.get("app"), apps),
            phone=choice(args.get("phone"), PHONE_CHOICES),
            people=choice(args.get("people"), PEOPLE_CHOICES),
        )

    @property
    def scans(self) -> bool:
        return self.q is not None and searches_nicknames(self.q)

    def statement(self):
        stmt = select(User)
        if self.app:
            stmt = stmt.where(unindexed(User.appid, self.scans) == self.app)
        phone = unindexed(User.phone_number, self.scans)
        if self.phone == "bound":
            stmt = stmt.where(phone.is_not(None))
        elif self.phone == "unbound":
            stmt = stmt.where(phone.is_(None))
        if self.q:
            stmt = stmt.where(user_search(self.q))
        if self.people == "several":
            in_several = (
                select(User.unionid)
                .where(User.unionid.is_not(None))
                .group_by(User.unionid)
                .having(func.count(User.appid.distinct()) > 1)
            )
            stmt = stmt.where(User.unionid.in_(in_several))
        return stmt


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
    return [("success", LOGIN_OUTCOMES["success"]), (FAILED, _l("Any failure"))] + [
        (code, label) for code, label in LOGIN_OUTCOMES.items() if code != "success"
    ]


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
