"""The outbox: events written with the change they report, one row per subscribed endpoint.

`enqueue` is one INSERT … SELECT over the endpoints subscribed to the event's type, in the
caller's transaction: a change that rolls back leaves no event, and one that commits cannot
lose it. The payload is the user's row as written (never its sealed session_key), turned
into the API's user shape only when delivered (`body`). The PostgreSQL login statement
writes the same rows from its own CTE (services.login_writes).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime, Text, bindparam, insert, literal_column, select

from wxauth import database
from wxauth.extensions import db
from wxauth.models import User, WebhookDelivery, WebhookEndpoint, utcnow
from wxauth.models.base import table

EVENTS = ("user.created", "user.phone_bound", "user.profile_updated", "user.deleted", "session.revoked")
TEST_EVENT = "webhook.test"
# Why a session ended, in session.revoked's data.reason.
REVOKE_REASONS = ("logout", "refresh_reuse", "operator")
PENDING_FLAG = "wxauth.webhooks.pending"

# The user's columns a payload keeps: all but the sealed session_key.
USER_COLUMNS = tuple(c.name for c in table(User).c if c.name != "session_key_ciphertext")


def new_event_id() -> str:
    """A fresh event id (Wxauth-Event-Id; receivers dedupe on it)."""
    return "evt_" + secrets.token_hex(12)


def pattern(event_type: str) -> str:
    """The LIKE pattern of the endpoints subscribed to `event_type`."""
    return f"%,{event_type},%"


def user_row(user: User) -> dict[str, Any]:
    """`user`'s columns as JSON values (datetimes in ISO 8601)."""
    row = {}
    for name in USER_COLUMNS:
        value = getattr(user, name)
        row[name] = value.isoformat() if isinstance(value, datetime) else value
    return row


def payload(user: User | None, **extra: Any) -> str:
    """The stored payload of an event about `user`, with `extra` fields for data."""
    data = {"user": user_row(user) if user is not None else None, **extra}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def fanout_columns() -> list[str]:
    """The outbox columns fanout_select fills, in its order."""
    return [
        "event_id",
        "type",
        "appid",
        "user_id",
        "payload",
        "created_at",
        "endpoint_id",
        "status",
        "attempts",
        "next_attempt_at",
    ]


def fanout_select(prefix: str, appid, user_id, payload_expr, created_at):
    """SELECT the rows of one event for each endpoint subscribed to its type: the event's
    own values come from the `<prefix>_id`, `<prefix>_type` and `<prefix>_pattern`
    parameters and the given expressions."""
    endpoints = table(WebhookEndpoint)
    return select(
        bindparam(f"{prefix}_id", type_=Text),
        bindparam(f"{prefix}_type", type_=Text),
        appid,
        user_id,
        payload_expr,
        created_at,
        endpoints.c.id,
        literal_column("'pending'"),  # literal columns, not parameters: the login renders this to text once
        literal_column("0"),
        created_at,
    ).where(endpoints.c.removed_at.is_(None), endpoints.c.events.like(bindparam(f"{prefix}_pattern", type_=Text)))


@lru_cache(maxsize=1)
def _fanout():
    now = bindparam("now", type_=table(WebhookDelivery).c.created_at.type)
    rows = fanout_select(
        "w",
        bindparam("appid", type_=Text),
        bindparam("user_id", type_=table(WebhookDelivery).c.user_id.type),
        bindparam("payload", type_=Text),
        now,
    )
    return insert(table(WebhookDelivery)).from_select(fanout_columns(), rows)


def enqueue(
    event_type: str,
    *,
    appid: str | None,
    user_id: int | None,
    body: str,
    now: datetime | None = None,
    event_id: str | None = None,
) -> str:
    """Write the event for every endpoint subscribed to `event_type`, in the current
    transaction (the caller commits); returns its id."""
    event_id = event_id or new_event_id()
    params = {
        "w_id": event_id,
        "w_type": event_type,
        "w_pattern": pattern(event_type),
        "appid": appid,
        "user_id": user_id,
        "payload": body,
        "now": now or utcnow(),
    }
    if database.rowcount(db.session.execute(_fanout(), params)):
        mark_pending()
    return event_id


def mark_pending() -> None:
    """Wake this process's dispatcher once the transaction commits (webhooks.dispatcher)."""
    db.session.info[PENDING_FLAG] = True


def user_event(event_type: str, user: User, **extra: Any) -> str:
    """An event about `user` as it is now in this transaction."""
    return enqueue(event_type, appid=user.appid, user_id=user.id, body=payload(user, **extra))


def session_revoked(user: User, reason: str, sessions: int) -> str:
    """session.revoked: `sessions` of `user`'s sessions ended, for `reason`."""
    return user_event("session.revoked", user, reason=reason, sessions=sessions)


def typed_user(row: dict[str, Any]) -> User:
    """A User from a payload's row (datetimes parsed back)."""
    values = {}
    for name in USER_COLUMNS:
        value = row.get(name)
        column = table(User).c[name]
        if isinstance(value, str) and _is_datetime(column):
            value = datetime.fromisoformat(value)
        values[name] = value
    return User(**values)


def _is_datetime(column) -> bool:
    impl = getattr(column.type, "impl", column.type)
    return isinstance(impl, DateTime)
