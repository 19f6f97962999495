"""Data retention: `flask --app app events purge --older-than 180d`.

The operators' audit trail (audit entries and phone reveals) is kept longer, three years
unless `--audit-older-than` says otherwise, since it answers who saw what long after.

Deletes old login events and failures in small batches, each its own short transaction,
so it can run while the API serves (no long lock, no huge WAL burst).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click
from flask.cli import AppGroup
from sqlalchemy import delete, func, select

from wxauth import database
from wxauth.extensions import db
from wxauth.models import AuditEvent, Failure, LoginEvent, PhoneBind, PhoneReveal, utcnow

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

events_cli = AppGroup("events", help="Login events, failures and phone binds.")

_AGE = re.compile(r"^(\d+)([dh])$")


def parse_age(value: str) -> timedelta:
    match = _AGE.match(value.strip())
    if not match or int(match.group(1)) == 0:
        raise click.BadParameter("use a number of days or hours, e.g. 180d or 12h")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


def purge(model, cutoff: datetime, batch: int, progress=None, where=()) -> int:
    """Delete rows of `model` created before `cutoff` (and matching `where`), `batch` at a
    time; returns the count."""
    total = 0
    while True:
        ids = select(model.id).where(model.created_at < cutoff, *where).order_by(model.id).limit(batch)
        deleted = database.rowcount(db.session.execute(delete(model).where(model.id.in_(ids.scalar_subquery()))))
        db.session.commit()
        total += deleted
        if progress is not None:
            progress.update(deleted)
        if deleted < batch:
            return total


@events_cli.command("purge")
@click.option("--older-than", "older_than", required=True, help="Age, e.g. 180d or 12h.")
@click.option("--batch", default=5000, show_default=True, type=click.IntRange(1, 100000))
@click.option("--failures/--no-failures", default=True, show_default=True, help="Also purge failures and phone binds.")
@click.option(
    "--audit-older-than",
    "audit_older_than",
    default="1095d",
    show_default=True,
    help="Age of the operators' audit entries and phone reveals to delete (kept longer than events).",
)
def purge_command(older_than: str, batch: int, failures: bool, audit_older_than: str) -> None:
    """Delete login events (and failures and phone binds) older than the given age, and
    the operators' audit trail older than its own, longer age."""
    now = utcnow()
    cutoff, audit_cutoff = now - parse_age(older_than), now - parse_age(audit_older_than)
    if audit_cutoff > cutoff:
        raise click.BadParameter("the audit is kept at least as long as events", param_hint="--audit-older-than")
    models: list[tuple[type[Any], datetime]] = [(LoginEvent, cutoff)]
    if failures:
        models += [(Failure, cutoff), (PhoneBind, cutoff)]
    models += [(AuditEvent, audit_cutoff), (PhoneReveal, audit_cutoff)]
    for model, before in models:
        pending = db.session.scalar(select(func.count()).select_from(model).where(model.created_at < before)) or 0
        bar: ProgressBar[int]
        with click.progressbar(length=pending, label=f"{model.__tablename__:<12}", show_pos=True) as bar:
            deleted = purge(model, before, batch, bar)
        click.echo(f"{model.__tablename__}: deleted {deleted} rows older than {before:%Y-%m-%d %H:%M} UTC")
