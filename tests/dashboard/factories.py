"""Rows made directly, for lists and filters (real API logins are slower and less precise)."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime, timedelta, timezone

from wxauth.extensions import db
from wxauth.models import ApiSession, Failure, LoginEvent, User, utcnow

APPID = "wx5a4d8b0c0de5a4d0"  # the sandbox app (config.SANDBOX_APPID)
_seq = itertools.count(1)


def at(text: str) -> datetime:
    """'2026-01-02 03:04' as a UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def user(**fields) -> User:
    n = next(_seq)
    created = fields.pop("created_at", utcnow() - timedelta(minutes=n))
    row = User(
        appid=fields.pop("appid", APPID),
        openid=fields.pop("openid", f"oOpenid{n:020d}"),
        gender=0,
        created_at=created,
        last_login_at=fields.pop("last_login_at", created),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def login(**fields) -> LoginEvent:
    row = LoginEvent(
        created_at=fields.pop("created_at", utcnow()),
        appid=fields.pop("appid", APPID),
        outcome=fields.pop("outcome", "success"),
        is_new_user=fields.pop("is_new_user", False),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def failure(**fields) -> Failure:
    row = Failure(
        created_at=fields.pop("created_at", utcnow()),
        appid=fields.pop("appid", APPID),
        kind=fields.pop("kind", "phone_encrypted"),
        reason=fields.pop("reason", "bad_padding"),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def session(user_id: int, **fields) -> ApiSession:
    now = utcnow()
    row = ApiSession(
        id=fields.pop("id", secrets.token_urlsafe(16)),
        user_id=user_id,
        created_at=fields.pop("created_at", now),
        expires_at=fields.pop("expires_at", now + timedelta(days=7)),
        last_seen_at=fields.pop("last_seen_at", now),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row
