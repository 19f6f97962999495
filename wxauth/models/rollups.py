"""Activity counted per 15-minute slot, so the dashboard's charts need not scan millions of rows.

Filled and read by wxauth/services/activity_counts.py. A slot is `unix time // 900`: every time zone
in use is a whole number of 15-minute steps from UTC, so local days are whole slots.
"""

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from wxauth.models.base import Base


class ActivityCount(Base):
    """How many rows of `metric` (see rollup.METRICS) were created in one closed slot."""

    __tablename__ = "activity_counts"

    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class ActivityRollup(Base):
    """The one row saying which slots activity_counts holds: [first_slot, end_slot)."""

    __tablename__ = "activity_rollup"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    first_slot: Mapped[int] = mapped_column(BigInteger)
    end_slot: Mapped[int] = mapped_column(BigInteger)


class OverviewTotals(Base):
    """The overview's figures that need a scan of a big table, recounted in the background
    (wxauth/services/overview_totals.py): one row, id 1."""

    __tablename__ = "overview_totals"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    users: Mapped[int] = mapped_column(BigInteger)
    # Persons: users that share a unionid count once (one person in several mini-programs).
    people: Mapped[int] = mapped_column(BigInteger, server_default="0")
    phone_bound: Mapped[int] = mapped_column(BigInteger)
    active_7d: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime]
    # Whoever holds this lease is recounting; others keep showing the figures they have.
    refreshing_until: Mapped[Optional[datetime]]
