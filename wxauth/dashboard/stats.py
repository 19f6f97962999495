"""The overview's numbers: totals, per-day series and phone-API usage.

Every count is bounded by an indexed date range except the two user totals, which need the
whole users table (one pass, both counted together).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select

from wxauth.dashboard.queries import local_midnight
from wxauth.extensions import db
from wxauth.models import Failure, LoginEvent, PhoneBind, User

CHART_DAYS = 30


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


def per_day(column, days: list[date], *conditions) -> list[int]:
    """Rows per local day, bucketed in SQL by the day boundaries in the operator's zone
    (a CASE on the indexed column, so daylight saving and any offset come out right)."""
    bounds = [local_midnight(d) for d in days] + [local_midnight(days[-1] + timedelta(days=1))]
    bucket = case(*[(column < bound, i) for i, bound in enumerate(bounds[1:])]).label("day")
    inner = select(bucket).where(column >= bounds[0], column < bounds[-1], *conditions).subquery()
    counts = dict(db.session.execute(select(inner.c.day, func.count()).group_by(inner.c.day)).all())
    return [counts.get(i, 0) for i in range(len(days))]


def phone_api(since: datetime) -> PhoneApi:
    binds = dict(
        db.session.execute(
            select(PhoneBind.method, func.count()).where(PhoneBind.created_at >= since).group_by(PhoneBind.method)
        ).all()
    )
    failed = db.session.scalar(
        select(func.count()).where(Failure.created_at >= since, Failure.kind == "phone_code")
    )
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
