"""The overview's scan-bound figures: all users, users with a phone, active users in 7 days.

Each needs a scan of a whole table or a week of events, too slow for a page view at scale
(docs/scaling.md), and none can come from the per-slot counts (activity_counts.py): phones
are bound to old users, and distinct users do not add up. So they are counted away from the page: stored in overview_totals and, once older
than MAX_AGE, recounted by a background thread while the page keeps showing the stored
figures with the time they were counted. Only the very first look, with nothing stored,
waits for the count. A lease in the row keeps processes and instances from recounting at
the same time.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, select, update

from wxauth import database
from wxauth.extensions import db
from wxauth.models import LoginEvent, OverviewTotals, User, utcnow
from wxauth.models.upsert import upsert

MAX_AGE = timedelta(minutes=5)
LEASE = timedelta(minutes=2)

log = logging.getLogger("wxauth.dashboard")


def current(now: datetime) -> OverviewTotals:
    """The stored totals, counted now if there are none; a recount starts if they are stale."""
    row = db.session.get(OverviewTotals, 1)
    if row is None:
        count(now)
        return db.session.get_one(OverviewTotals, 1)
    if now - row.computed_at > MAX_AGE and _take_lease(now):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        threading.Thread(target=_recount_in_background, args=(app,), name="overview-totals", daemon=True).start()
    return row


def count(now: datetime) -> None:
    """Count the totals and store them (and end any lease)."""
    users = db.session.scalar(select(func.count()).select_from(User)) or 0
    without_unionid = db.session.scalar(select(func.count()).select_from(User).where(User.unionid.is_(None))) or 0
    people = without_unionid + (db.session.scalar(select(func.count(User.unionid.distinct()))) or 0)
    bound = db.session.scalar(select(func.count()).select_from(User).where(User.phone_number.is_not(None))) or 0
    active = db.session.scalar(
        select(func.count(LoginEvent.user_id.distinct())).where(
            LoginEvent.created_at >= now - timedelta(days=7), LoginEvent.outcome == "success"
        )
    )
    values = {
        "users": users,
        "people": people,
        "phone_bound": bound,
        "active_7d": active or 0,
        "computed_at": now,
        "refreshing_until": None,
    }
    db.session.execute(upsert(db.engine.dialect.name, OverviewTotals, ["id"], {"id": 1, **values}, values))
    db.session.commit()


def _take_lease(now: datetime) -> bool:
    taken = database.rowcount(
        db.session.execute(
            update(OverviewTotals)
            .where(
                OverviewTotals.id == 1,
                (OverviewTotals.refreshing_until.is_(None)) | (OverviewTotals.refreshing_until < now),
            )
            .values(refreshing_until=now + LEASE)
        )
    )
    db.session.commit()
    return taken == 1


def _recount_in_background(app: Flask) -> None:
    with app.app_context():
        try:
            count(utcnow())
        except Exception:  # noqa: BLE001 - a thread has no one to raise to; the lease runs out and a later look retries
            log.exception("could not recount the overview totals")
        finally:
            db.session.remove()
