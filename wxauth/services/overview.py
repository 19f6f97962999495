"""The overview's numbers: totals, per-day series and phone-API usage.

Counts of rows in a time range come from the per-slot counts (activity_counts.py); the
figures that need a scan of a whole table are counted in the background (overview_totals.py); the commonest
phone-code failures are one indexed 30-day query. So the page reads no more than a few
thousand rows, however many millions of events there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from sqlalchemy import func, select

from wxauth.extensions import db
from wxauth.models import Failure, utcnow
from wxauth.services import activity_counts, overview_totals

CHART_DAYS = 30


@dataclass(frozen=True)
class Totals:
    """The overview's headline figures."""

    users: int
    people: int  # users sharing a unionid count once
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
        """The share of users with a phone bound; None with no users."""
        return self.phone_bound / self.users if self.users else None


@dataclass(frozen=True)
class PhoneApi:
    """getuserphonenumber over a period: every successful call is billed."""

    succeeded: int
    failed: int
    legacy_binds: int  # encryptedData, decrypted here: no call, no charge

    @property
    def calls(self) -> int:
        """Every getuserphonenumber call, billed or failed."""
        return self.succeeded + self.failed

    @property
    def success_rate(self) -> float | None:
        """The share of calls that returned a number; None with no calls."""
        return self.succeeded / self.calls if self.calls else None


def chart_days(today: date, days: int = CHART_DAYS) -> list[date]:
    """The `days` days up to and including `today`, oldest first."""
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


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
    """Everything the overview page shows, counted at `computed_at`."""

    computed_at: datetime
    totals_at: datetime  # when users, phone_bound and active_7d were counted (overview_totals.py)
    days: list[date]
    totals: Totals
    registrations: list[int]
    logins: list[int]
    failed_logins: list[int]
    failures: list[int]
    phone_30d: PhoneApi
    phone_24h: PhoneApi
    phone_reasons: list[tuple[str, int | None, int]]


def overview(zone: tzinfo) -> Overview:
    """Everything on the overview page, its days those of `zone` (the operator's time zone).

    It brings the per-slot counts up to date first (writing and committing them), and may
    start the background recount of the totals (overview_totals.current).
    """
    now = utcnow()
    today = now.astimezone(zone).date()
    days = chart_days(today)
    day, week, month = now - timedelta(days=1), now - timedelta(days=7), now - timedelta(days=30)
    activity_counts.ensure_rolled(now)
    bounds = [_midnight(d, zone) for d in days + [days[-1] + timedelta(days=1)]]
    daily = activity_counts.counts(["registration", "login_success", "login_failed", "failure"], bounds)
    # Three intervals, [30 days ago, 7 days ago), [7 days, 24 hours), [24 hours ago, now):
    # the last is "24 h", the last two "7 days", all three "30 days".
    recent = activity_counts.counts(list(activity_counts.METRICS), [month, week, day, now])
    last_day = {name: values[-1] for name, values in recent.items()}
    last_month = {name: sum(values) for name, values in recent.items()}
    counted = overview_totals.current(now)
    result = Overview(
        computed_at=now,
        totals_at=counted.computed_at,
        days=days,
        totals=Totals(
            users=counted.users,
            people=counted.people,
            phone_bound=counted.phone_bound,
            new_today=daily["registration"][-1],
            new_7d=sum(recent["registration"][1:]),
            new_30d=last_month["registration"],
            logins_24h=last_day["login_success"],
            failed_logins_24h=last_day["login_failed"],
            active_7d=counted.active_7d,
            failures_24h=last_day["failure"],
        ),
        registrations=daily["registration"],
        logins=daily["login_success"],
        failed_logins=daily["login_failed"],
        failures=daily["failure"],
        phone_30d=_phone_api(last_month),
        phone_24h=_phone_api(last_day),
        phone_reasons=phone_failure_reasons(month),
    )
    return result


def _phone_api(counted: dict[str, int]) -> PhoneApi:
    return PhoneApi(
        succeeded=counted["phone_bind_code"],
        failed=counted["phone_code_failed"],
        legacy_binds=counted["phone_bind_encrypted"],
    )


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(timezone.utc)
