"""The overview's numbers: totals, per-day series and phone-API usage.

Every count is bounded by an indexed date range except the two user totals, which need the
whole users table (one pass, both counted together).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from wxauth.dashboard.formatting import operator_zone
from wxauth.dashboard.queries import local_midnight
from wxauth.extensions import db
from wxauth.models import Failure, LoginEvent, PhoneBind, User, utcnow

CHART_DAYS = 30
# The overview scans 30 days of events: at millions of rows that takes a second or two, so
# each process keeps the result this long (the page says when it was computed).
CACHE_SECONDS = 60


@dataclass(frozen=True)
class Totals:
    users: int
    new_today: int
    new_7d: int
    new_30d: int
    phone_bound: int
    logins_24h: int
    failed_logins_24h: int
    active_7d: int
    failures_24h: int

    @property
    def phone_share(self) -> float | None:
        return self.phone_bound / self.users if self.users else None


@dataclass(frozen=True)
class PhoneApi:
    """getuserphonenumber over a period: every successful call is billed."""

    succeeded: int
    failed: int
    legacy_binds: int  # encryptedData, decrypted here: no call, no charge

    @property
    def calls(self) -> int:
        return self.succeeded + self.failed

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.calls if self.calls else None


def totals(now: datetime, today: date) -> Totals:
    day, week, month = now - timedelta(days=1), now - timedelta(days=7), now - timedelta(days=30)
    count = func.count()
    users = db.session.execute(select(count, func.count(User.phone_number))).one()
    new = db.session.execute(
        select(
            count.filter(User.created_at >= local_midnight(today)),
            count.filter(User.created_at >= week),
            count,
        ).where(User.created_at >= month)
    ).one()
    logins = db.session.execute(
        select(
            count.filter(LoginEvent.outcome == "success"),
            count.filter(LoginEvent.outcome != "success"),
        ).where(LoginEvent.created_at >= day)
    ).one()
    active = db.session.scalar(
        select(func.count(LoginEvent.user_id.distinct())).where(
            LoginEvent.created_at >= week, LoginEvent.outcome == "success"
        )
    )
    failures = db.session.scalar(select(count).where(Failure.created_at >= day))
    return Totals(
        users=users[0],
        phone_bound=users[1],
        new_today=new[0],
        new_7d=new[1],
        new_30d=new[2],
        logins_24h=logins[0],
        failed_logins_24h=logins[1],
        active_7d=active or 0,
        failures_24h=failures or 0,
    )


def chart_days(today: date, days: int = CHART_DAYS) -> list[date]:
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def per_day(column, days: list[date], *conditions, split=None) -> dict:
    """Rows per local day, bucketed in SQL by the day boundaries in the operator's zone
    (a CASE on the indexed column, so daylight saving and any offset come out right).

    Returns {value of `split`: [count per day]}, with one scan for all values of `split`.
    """
    bounds = [local_midnight(d) for d in days] + [local_midnight(days[-1] + timedelta(days=1))]
    bucket = case(*[(column < bound, i) for i, bound in enumerate(bounds[1:])]).label("day")
    columns = [bucket] if split is None else [bucket, split.label("key")]
    inner = select(*columns).where(column >= bounds[0], column < bounds[-1], *conditions).subquery()
    groups = list(inner.c)
    series: dict = {}
    for row in db.session.execute(select(*groups, func.count()).group_by(*groups)):
        value = row[1] if split is not None else None
        series.setdefault(value, [0] * len(days))[row[0]] = row[-1]
    return series


def phone_api(since: datetime) -> PhoneApi:
    binds = dict(
        db.session.execute(
            select(PhoneBind.method, func.count()).where(PhoneBind.created_at >= since).group_by(PhoneBind.method)
        ).all()
    )
    failed = db.session.scalar(select(func.count()).where(Failure.created_at >= since, Failure.kind == "phone_code"))
    return PhoneApi(succeeded=binds.get("code", 0), failed=failed or 0, legacy_binds=binds.get("encrypted", 0))


def phone_failure_reasons(since: datetime, limit: int = 5) -> list[tuple[str, int | None, int]]:
    """The commonest (reason, errcode, count) of failed phone-code exchanges."""
    stmt = (
        select(Failure.reason, Failure.wechat_errcode, func.count().label("n"))
        .where(Failure.created_at >= since, Failure.kind == "phone_code")
        .group_by(Failure.reason, Failure.wechat_errcode)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(stmt).all()]


@dataclass(frozen=True)
class Overview:
    computed_at: datetime
    days: list[date]
    totals: Totals
    registrations: list[int]
    logins: list[int]
    failed_logins: list[int]
    failures: list[int]
    phone_30d: PhoneApi
    phone_24h: PhoneApi
    phone_reasons: list[tuple[str, int | None, int]]


def overview() -> Overview:
    """Everything on the overview page, at most CACHE_SECONDS old, per time zone."""
    ttl = current_app.config.get("WXAUTH_DASHBOARD_CACHE_SECONDS", CACHE_SECONDS)
    cache = current_app.extensions.setdefault("wxauth.dashboard.overview", {})
    zone = operator_zone()
    key = str(zone)
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < ttl:
        return hit[1]
    now = utcnow()
    today = now.astimezone(zone).date()
    days = chart_days(today)
    month = now - timedelta(days=30)
    empty = [0] * len(days)
    logins = per_day(LoginEvent.created_at, days, split=LoginEvent.outcome == "success")
    result = Overview(
        computed_at=now,
        days=days,
        totals=totals(now, today),
        registrations=per_day(User.created_at, days).get(None, empty),
        logins=logins.get(True, empty),
        failed_logins=logins.get(False, empty),
        failures=per_day(Failure.created_at, days).get(None, empty),
        phone_30d=phone_api(month),
        phone_24h=phone_api(now - timedelta(days=1)),
        phone_reasons=phone_failure_reasons(month),
    )
    cache[key] = (time.monotonic(), result)
    return result
