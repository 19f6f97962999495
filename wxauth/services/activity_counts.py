"""Counts per 15-minute slot for the overview: a 30-day chart sums 2,880 rows, not millions.

The overview's series (logins, registrations, failures, phone-API calls per day) are counts
of rows created in a time range, too slow to count from the events at scale
(docs/scaling.md); instead, each closed slot is counted once into activity_counts, and a range is
the sum of its whole slots there plus a live count of the few minutes at either end that
no stored slot covers (the newest minutes, or a range that does not start on a slot).

A slot is closed, and counted, once it ended GRACE ago: rows are stamped when written and
committed moments later, so a slot is not counted before its last rows are visible.
`ensure_rolled` brings the table up to date; the overview calls it first, so whoever looks
first after a quiet spell pays for the slots since, and a fresh
deployment's first look counts the last KEEP days once. Recounting is idempotent: a range
is deleted and written again in one transaction, so processes and instances rolling the
same slots at once agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, case, cast, delete, func, literal_column, or_, select, true
from sqlalchemy.sql import ColumnElement

from wxauth.extensions import db
from wxauth.models import ActivityCount, ActivityRollup, Failure, LoginEvent, PhoneBind, User
from wxauth.models.upsert import upsert

SLOT_SECONDS = 900
GRACE = timedelta(minutes=5)
# How far back the counts are kept current: 30 local days, whatever the operator's zone.
KEEP = timedelta(days=32)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Metric:
    """What one activity metric counts: rows of `model` (by created_at) matching `where`."""

    model: type[Any]  # a model with a created_at column
    where: ColumnElement | None = None


METRICS: dict[str, Metric] = {
    "login_success": Metric(LoginEvent, LoginEvent.outcome == "success"),
    "login_failed": Metric(LoginEvent, LoginEvent.outcome != "success"),
    "registration": Metric(User),
    "failure": Metric(Failure),
    "phone_code_failed": Metric(Failure, Failure.kind == "phone_code"),
    "phone_bind_code": Metric(PhoneBind, PhoneBind.method == "code"),
    "phone_bind_encrypted": Metric(PhoneBind, PhoneBind.method == "encrypted"),
}


def slot_at(when: datetime) -> int:
    """The slot `when` falls in."""
    return int((when - EPOCH).total_seconds()) // SLOT_SECONDS


def slot_start(slot: int) -> datetime:
    """When `slot` begins (UTC)."""
    return EPOCH + timedelta(seconds=slot * SLOT_SECONDS)


def _slot_of(column) -> ColumnElement:
    """SQL for the slot of a timestamp column (literals, not parameters, so GROUP BY matches)."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / literal_column(str(SLOT_SECONDS))), BigInteger)
    # `//` on two integers: SQLite's integer division (`/` would make it a real division).
    return cast(func.strftime(literal_column("'%s'"), column), Integer) // literal_column(str(SLOT_SECONDS), Integer)


def _by_model(metrics) -> dict[type[Any], list[str]]:
    grouped: dict[type[Any], list[str]] = {}
    for name in metrics:
        grouped.setdefault(METRICS[name].model, []).append(name)
    return grouped


def _flag(where: ColumnElement | None) -> ColumnElement:
    return true() if where is None else where


def _counted(name: str):
    where = METRICS[name].where
    return func.count() if where is None else func.count().filter(where)


# -- writing ----------------------------------------------------------------------------------


def ensure_rolled(now: datetime) -> None:
    """Count every slot closed by `now` within KEEP that activity_counts does not hold yet."""
    end = slot_at(now - GRACE)
    first = slot_at(now - KEEP)
    state = db.session.get(ActivityRollup, 1)
    if state is None or state.end_slot < first:
        todo = [(first, end)]
        new_first = first
    else:
        todo = [(first, state.first_slot), (state.end_slot, end)]
        new_first = min(first, state.first_slot)
    todo = [(a, b) for a, b in todo if a < b]
    if not todo:
        db.session.rollback()
        return
    for a, b in todo:
        _roll(a, b)
    values = {"id": 1, "first_slot": new_first, "end_slot": end}
    db.session.execute(upsert(db.engine.dialect.name, ActivityRollup, ["id"], values, {"first_slot": new_first, "end_slot": end}))
    db.session.commit()


def _roll(first: int, end: int) -> None:
    """Count slots [first, end) from the source tables into activity_counts (no commit)."""
    db.session.execute(delete(ActivityCount).where(ActivityCount.slot >= first, ActivityCount.slot < end))
    start, stop = slot_start(first), slot_start(end)
    rows = []
    for model, names in _by_model(METRICS).items():
        slot = _slot_of(model.created_at)
        stmt = (
            select(slot, *[_counted(n) for n in names]).where(model.created_at >= start, model.created_at < stop).group_by(slot)
        )
        for found in db.session.execute(stmt):
            rows += [{"slot": found[0], "metric": n, "count": c} for n, c in zip(names, found[1:], strict=True) if c]
    dialect = db.engine.dialect.name
    for row in rows:
        db.session.execute(upsert(dialect, ActivityCount, ["slot", "metric"], row, {"count": row["count"]}))


# -- reading ----------------------------------------------------------------------------------


def counts(names: list[str], bounds: list[datetime]) -> dict[str, list[int]]:
    """For each metric in `names`, its rows in each interval [bounds[i], bounds[i + 1]).

    The whole slots of an interval that activity_counts holds are summed from there; the
    rest of it (the newest minutes, and the part slots of an edge that is not on a slot
    boundary) is counted live from the source tables, a few minutes' rows at most.
    """
    state = db.session.get(ActivityRollup, 1)
    stored: list[tuple[int, int, int]] = []  # (interval, first slot, end slot)
    live: list[tuple[int, datetime, datetime]] = []  # (interval, start, stop)
    for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
        if state is not None:
            first = max(_slot_ceil(a), state.first_slot)
            end = min(slot_at(b), state.end_slot)
            if first < end:
                stored.append((i, first, end))
                live += [(i, x, y) for x, y in ((a, slot_start(first)), (slot_start(end), b)) if x < y]
                continue
        live.append((i, a, b))
    result = {n: [0] * (len(bounds) - 1) for n in names}
    if stored:
        _add(result, _stored(names, stored, len(bounds) - 1))
    if live:
        _add(result, _live(names, live, len(bounds) - 1))
    return result


def _slot_ceil(when: datetime) -> int:
    """The first slot starting at or after `when`."""
    return -(-int((when - EPOCH).total_seconds()) // SLOT_SECONDS)


def _add(into: dict[str, list[int]], more: dict[str, list[int]]) -> None:
    for name, values in more.items():
        into[name] = [x + y for x, y in zip(into[name], values, strict=True)]


def _in_pieces(column, pieces):
    """(a CASE giving each row's interval, the WHERE selecting just the pieces' ranges)."""
    ranges = [(i, and_(column >= x, column < y)) for i, x, y in pieces]
    return case(*[(cond, i) for i, cond in ranges]).label("bucket"), or_(*[cond for _, cond in ranges])


def _stored(names: list[str], pieces, size: int) -> dict[str, list[int]]:
    out = {n: [0] * size for n in names}
    bucket, where = _in_pieces(ActivityCount.slot, pieces)
    # Bucketed in a subquery: a CASE with bound parameters cannot be repeated in GROUP BY.
    inner = select(ActivityCount.metric, bucket, ActivityCount.count).where(ActivityCount.metric.in_(names), where).subquery()
    stmt = select(inner.c.metric, inner.c.bucket, func.sum(inner.c.count)).group_by(inner.c.metric, inner.c.bucket)
    for metric, i, total in db.session.execute(stmt):
        out[metric][i] = int(total)
    return out


def _live(names: list[str], pieces, size: int) -> dict[str, list[int]]:
    out = {n: [0] * size for n in names}
    for model, grouped in _by_model(names).items():
        bucket, where = _in_pieces(model.created_at, pieces)
        flags = [_flag(METRICS[n].where).label(f"m{k}") for k, n in enumerate(grouped)]
        inner = select(bucket, *flags).where(where).subquery()
        stmt = select(inner.c.bucket, *[func.count().filter(inner.c[f"m{k}"]) for k in range(len(grouped))])
        for row in db.session.execute(stmt.group_by(inner.c.bucket)):
            for n, c in zip(grouped, row[1:], strict=True):
                out[n][row[0]] += c
    return out
