"""List queries for the dashboard: filters from the query string and keyset pagination.

Every list is newest first on (created_at, id) and pages by keyset: a page is "the 50 rows
just older (or newer) than this one", found through an index that ends in created_at, so
page 20,000 costs what page 1 costs and no page view counts the whole table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, ClassVar, Iterator

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import and_, func, literal_column, or_, select
from werkzeug.datastructures import MultiDict

from wxauth.dashboard.formatting import operator_zone
from wxauth.extensions import db
from wxauth.models import ApiSession, User

PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MAX_ID = 2**63 - 1
# Days a date filter may name: wide enough for any real question, and far enough inside
# what datetime can hold that a time-zone shift or a day added cannot overflow it.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)
# Spelled exactly as the ix_users_phone_last4 expression index, literal 3 included (a bound
# parameter would not match the index expression).
# What an openid or unionid looks like (28 characters in practice): never a nickname.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PHONE_LAST4 = func.substr(User.phone_number, func.length(User.phone_number) - literal_column("3"))


@dataclass(frozen=True)
class Cursor:
    """The (created_at, id) of a row a page starts after; in URLs as "<microseconds>.<id>"."""

    created_at: datetime
    id: int

    def __str__(self) -> str:
        return f"{(self.created_at - EPOCH) // timedelta(microseconds=1)}.{self.id}"

    @classmethod
    def parse(cls, value: str | None, name: str = "after") -> Cursor | None:
        """The cursor in `value`; None when absent; a 400 page when it is not one of ours."""
        if not value:
            return None
        micros, _dot, row_id = value.partition(".")
        try:
            cursor = cls(EPOCH + timedelta(microseconds=int(micros)), int(row_id))
        except (ValueError, OverflowError):
            cursor = None
        if cursor is None or not 0 <= cursor.id <= MAX_ID or cursor.created_at.year > LAST_DAY.year:
            abort(400, _("?%(name)s= is not a position in this list; follow the page's own links.", name=name))
        return cursor


@dataclass
class Page:
    rows: list
    newer: Cursor | None = None  # ?before=… shows the rows just newer than this page
    older: Cursor | None = None  # ?after=… shows the rows just older


def keyset_page(stmt, model, args: MultiDict, size: int = PAGE_SIZE, scans: bool = False) -> Page:
    """One page of `stmt` (newest first, by `model`'s created_at and id; each row holds a
    `model` entity), positioned by ?after= or ?before= in `args`.

    `scans`: no index can find the rows (a search for part of a nickname on SQLite). SQLite
    would then walk the created_at index and fetch every row at random to test it (2.5-4.8 s
    at a million users); ordering by an expression the index does not cover makes it read
    the table in order and sort the matches instead (0.2-0.4 s).
    """
    created, row_id = model.created_at, model.id
    order = unindexed(created, scans)
    before = Cursor.parse(args.get("before"), "before")
    after = None if before else Cursor.parse(args.get("after"), "after")
    if before is not None:
        cond = and_(created >= before.created_at, or_(created > before.created_at, row_id > before.id))
        rows = db.session.execute(stmt.where(cond).order_by(order.asc(), row_id.asc()).limit(size + 1)).all()
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
    else:
        if after is not None:
            cond = and_(created <= after.created_at, or_(created < after.created_at, row_id < after.id))
            stmt = stmt.where(cond)
        rows = db.session.execute(stmt.order_by(order.desc(), row_id.desc()).limit(size + 1)).all()
        more_newer = after is not None
        more_older = len(rows) > size
        rows = rows[:size]
    page = Page(list(rows))
    if rows:
        first, last = getattr(rows[0], model.__name__), getattr(rows[-1], model.__name__)
        page.newer = Cursor(first.created_at, first.id) if more_newer else None
        page.older = Cursor(last.created_at, last.id) if (before is not None or more_older) else None
    return page


def iterate(stmt, model, batch: int = 1000, scans: bool = False) -> Iterator:
    """Every row of `stmt`, newest first, fetched a keyset batch at a time (for exports)."""
    args: MultiDict = MultiDict()
    while True:
        page = keyset_page(stmt, model, args, size=batch, scans=scans)
        yield from page.rows
        if page.older is None:
            return
        args = MultiDict({"after": str(page.older)})


def local_midnight(day: date) -> datetime:
    """The start of `day` in the operator's time zone, as a UTC datetime."""
    return datetime.combine(day, time(), operator_zone()).astimezone(timezone.utc)


def _field(name: str) -> str:
    """The date field's name as the filter bar shows it."""
    return {"from": _("From"), "to": _("To")}.get(name, name)


def parse_date(value: str | None, name: str, errors: list[str]) -> date | None:
    """The day in `value` (YYYY-MM-DD); None when absent, or bad (and then `errors` says why)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors.append(_("%(name)s: %(value)s is not a date; use YYYY-MM-DD.", name=_field(name), value=repr(value[:40])))
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors.append(
            _("%(name)s: pick a day between %(first)s and %(last)s.", name=_field(name), first=FIRST_DAY, last=LAST_DAY)
        )
        return None
    return day


def date_range(args: MultiDict, errors: list[str]) -> tuple[date | None, date | None]:
    """?from= and ?to= (both inclusive); what is wrong with them goes to `errors`."""
    start, end = parse_date(args.get("from"), "from", errors), parse_date(args.get("to"), "to", errors)
    if start and end and start > end:
        errors.append(_("From (%(start)s) is after To (%(end)s): swap them.", start=start, end=end))
    return start, end


def person_search(q: str, user_id_column) -> Any:
    """Rows of the person `q` names: a user id, the last 4 digits of their phone, or part of
    their nickname (on a query that joins User)."""
    digits = q.lstrip("+")
    if not digits.isdigit():
        return func.lower(User.nickname).contains(q.lower(), autoescape=True)
    conds = [user_id_column == int(digits)] if int(digits) <= MAX_ID else []
    if len(digits) == 4:
        conds.append(PHONE_LAST4 == digits)
    return or_(*conds) if conds else literal_column("1") == literal_column("0")


def in_date_range(column, start: date | None, end: date | None) -> list:
    """Conditions for `start` <= day <= `end` (both inclusive, in the operator's time zone)."""
    conds = []
    if start is not None:
        conds.append(column >= local_midnight(start))
    if end is not None:
        conds.append(column < local_midnight(end + timedelta(days=1)))
    return conds


class Filters:
    """Base for a list's filters, parsed from the query string: an unknown choice is dropped,
    a value that cannot be right (a bad date) is dropped and said in `errors`, which the
    page shows on its filter form with a 400; `statement()` selects `model` rows (and what is
    shown beside them)."""

    model: ClassVar[type]
    errors: tuple[str, ...] = ()

    def page_or_nothing(self, args: MultiDict) -> tuple[Page, int]:
        """The page to show and its status: no rows and 400 while a filter is wrong."""
        return (Page([]), 400) if self.errors else (self.page(args), 200)

    def rows_or_400(self) -> Iterator:
        """Every row, for an export; a 400 page saying what is wrong while a filter is."""
        if self.errors:
            abort(400, " ".join(self.errors))
        return self.rows()

    def statement(self):
        raise NotImplementedError

    def page(self, args: MultiDict) -> Page:
        return keyset_page(self.statement(), self.model, args, scans=self.scans)

    @property
    def scans(self) -> bool:
        """True when no index can find the rows (see keyset_page)."""
        return False

    def rows(self) -> Iterator:
        return iterate(self.statement(), self.model, scans=self.scans)

    def args(self, **changes) -> dict:
        """The query-string form of these filters, with `changes` applied, without empty values."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        values.update(changes)
        # A date range is start/end in code but from/to in the query string, the words the page shows.
        names = {"start": "from", "end": "to"}
        return {names.get(k, k): (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(self.args())


def choice(value: str | None, allowed) -> str | None:
    return value if value in allowed else None


def text(value: str | None, limit: int = 64) -> str | None:
    value = (value or "").strip()[:limit]
    return value or None


def unindexed(column, scans: bool):
    """`column`, or when `scans` on SQLite the same value hidden from its indexes: a query
    no index can answer reads the table in order there, instead of fetching every row at
    random through an index that only orders or narrows it a little (see keyset_page)."""
    return func.coalesce(column, column) if scans and db.engine.dialect.name == "sqlite" else column


# A search of this many digits or more looks for a whole phone number. Each one confirms or
# refutes a guess at the hidden digits of a masked number, so these are limited per
# operator and written to the audit (the last 4 digits alone are shown anyway).
PHONE_SEARCH_DIGITS = 7


def is_phone_search(q: str | None) -> bool:
    digits = (q or "").strip().lstrip("+")
    return digits.isdigit() and len(digits) >= PHONE_SEARCH_DIGITS


def searches_nicknames(q: str) -> bool:
    """Whether user_search(q) looks for `q` inside nicknames (which no SQLite index serves)."""
    return not q.lstrip("+").isdigit() and not TOKEN.match(q)


def user_search(q: str) -> Any:
    """openid or unionid exactly; a number as a user id, the last 4 phone digits or a whole
    phone number; anything else (but an openid-like token) also as part of a nickname,
    in any case."""
    conds: list = [User.openid == q, User.unionid == q]
    digits = q.lstrip("+")
    if digits.isdigit():
        if int(digits) <= MAX_ID:
            conds.append(User.id == int(digits))
        if len(digits) == 4:
            conds.append(PHONE_LAST4 == digits)
        elif len(digits) > 4:
            conds.append(User.phone_number == digits[-20:])
    elif searches_nicknames(q):
        # Digits alone, and long tokens pasted from logs (openids, unionids), skip this:
        # LIKE '%…%' can use no index and would scan every user to find nothing.
        conds.append(func.lower(User.nickname).contains(q.lower(), autoescape=True))
    return or_(*conds)


def active_sessions(user_id: int) -> list[ApiSession]:
    now = datetime.now(timezone.utc)
    stmt = (
        select(ApiSession)
        .where(ApiSession.user_id == user_id, ApiSession.revoked_at.is_(None), ApiSession.expires_at > now)
        .order_by(ApiSession.last_seen_at.desc())
    )
    return list(db.session.scalars(stmt))
