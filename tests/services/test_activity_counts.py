"""The overview's per-slot counts: sums from activity_counts must equal counting the rows."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from tests.dashboard import factories
from wxauth.extensions import db
from wxauth.models import ActivityCount, ActivityRollup, Failure, LoginEvent, utcnow
from wxauth.services import activity_counts


def brute(name: str, start, stop) -> int:
    metric = activity_counts.METRICS[name]
    stmt = select(func.count()).select_from(metric.model).where(metric.model.created_at >= start, metric.model.created_at < stop)
    if metric.where is not None:
        stmt = stmt.where(metric.where)
    return db.session.scalar(stmt)


def seed_rows(now, n: int = 300, seed: int = 7) -> None:
    rnd = random.Random(seed)
    for _ in range(n):
        when = now - timedelta(seconds=rnd.randrange(0, 33 * 86400))
        kind = rnd.random()
        if kind < 0.6:
            db.session.add(LoginEvent(created_at=when, appid=factories.APPID, outcome="success"))
        elif kind < 0.8:
            db.session.add(LoginEvent(created_at=when, appid=factories.APPID, outcome="invalid_code"))
        else:
            db.session.add(
                Failure(created_at=when, appid=factories.APPID, kind=rnd.choice(["phone_code", "signature"]), reason="x")
            )
    db.session.commit()


def test_sums_equal_counting_the_rows_for_any_intervals(app):
    now = utcnow()
    names = ["login_success", "login_failed", "failure", "phone_code_failed"]
    rnd = random.Random(1)
    with app.app_context():
        seed_rows(now)
        activity_counts.ensure_rolled(now)
        assert db.session.scalar(select(func.count()).select_from(ActivityCount)) > 0
        for _ in range(25):
            # Bounds anywhere, most not on a slot: the edges are counted live.
            points = sorted(now - timedelta(seconds=rnd.randrange(0, 34 * 86400)) for _ in range(rnd.randrange(2, 6)))
            got = activity_counts.counts(names, points)
            for name in names:
                assert got[name] == [brute(name, a, b) for a, b in zip(points, points[1:], strict=False)], name


def test_rows_newer_than_the_rolled_slots_are_counted_live(app):
    now = utcnow()
    with app.app_context():
        activity_counts.ensure_rolled(now)
        # Stamped two minutes ago but written after the roll, as a slow transaction would be.
        factories.login(created_at=now - timedelta(minutes=2))
        factories.login(created_at=now - timedelta(minutes=2))
        assert activity_counts.counts(["login_success"], [now - timedelta(days=1), now])["login_success"] == [2]


def test_rolling_is_incremental_and_idempotent(app):
    now = utcnow()
    with app.app_context():
        seed_rows(now, n=120, seed=3)
        activity_counts.ensure_rolled(now)
        state = db.session.get(ActivityRollup, 1)
        assert state.end_slot == activity_counts.slot_at(now - activity_counts.GRACE)
        assert state.first_slot == activity_counts.slot_at(now - activity_counts.KEEP)
        before = db.session.execute(select(ActivityCount.slot, ActivityCount.metric, ActivityCount.count)).all()

        later = now + timedelta(hours=2)
        factories.login(created_at=now + timedelta(minutes=30))
        activity_counts.ensure_rolled(later)
        db.session.expire_all()
        state = db.session.get(ActivityRollup, 1)
        assert state.end_slot == activity_counts.slot_at(later - activity_counts.GRACE)
        added = activity_counts.slot_at(now + timedelta(minutes=30))
        row = db.session.get(ActivityCount, (added, "login_success"))
        assert row is not None and row.count == 1
        after = db.session.execute(select(ActivityCount.slot, ActivityCount.metric, ActivityCount.count)).all()
        assert set(before) <= set(after)

        # Rolling a range again (another process, a restart) gives the same rows.
        activity_counts._roll(state.first_slot, state.end_slot)
        db.session.commit()
        again = db.session.execute(select(ActivityCount.slot, ActivityCount.metric, ActivityCount.count)).all()
        assert sorted(again) == sorted(after)


def test_a_long_pause_restarts_the_rolled_range(app):
    now = utcnow()
    with app.app_context():
        activity_counts.ensure_rolled(now - timedelta(days=60))
        factories.login(created_at=now - timedelta(days=3))
        activity_counts.ensure_rolled(now)
        state = db.session.get(ActivityRollup, 1)
        assert state.first_slot == activity_counts.slot_at(now - activity_counts.KEEP)
        assert activity_counts.counts(["login_success"], [now - timedelta(days=10), now])["login_success"] == [1]
