"""Recording login attempts, failures and phone binds.

A failure to record must never break a login. A successful login's event is written with
the login's own rows (services.login_writes), so every login answered 200 has its event even
after a crash. Every other record is written after the work it describes, in its own short
transaction on its own connection (`record_login`, `record_failure`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache

from sqlalchemy import insert

from wxauth.extensions import db
from wxauth.metrics import DECRYPT_FAILURES, LOGINS, PHONE_CALLS
from wxauth.models import Failure, LoginEvent, PhoneBind, utcnow
from wxauth.models.base import table
from wxauth.requestlog import current_request_id
from wxauth.services import ClientInfo

log = logging.getLogger("wxauth.events")


def login_values(
    *,
    client: ClientInfo,
    outcome: str,
    appid: str | None,
    openid: str | None = None,
    wechat_errcode: int | None = None,
    upstream_ms: int | None = None,
    now: datetime | None = None,
) -> dict:
    """A login_events row, but for its user_id and is_new_user (the one source of its shape)."""
    return {
        "created_at": now or utcnow(),
        "appid": appid,
        "openid": openid,
        "outcome": outcome,
        "wechat_errcode": wechat_errcode,
        "upstream_ms": upstream_ms,
        "ip": client.ip,
        "user_agent": client.user_agent,
        "request_id": current_request_id(),
    }


def record_login(
    *,
    client: ClientInfo,
    outcome: str,
    appid: str | None,
    openid: str | None = None,
    user_id: int | None = None,
    wechat_errcode: int | None = None,
    upstream_ms: int | None = None,
) -> None:
    """Record a login attempt that did not log in (a success rides in the login's own writes)."""
    LOGINS.labels(outcome).inc()
    values = login_values(
        client=client, outcome=outcome, appid=appid, openid=openid, wechat_errcode=wechat_errcode, upstream_ms=upstream_ms
    )
    _write(LoginEvent, **values, user_id=user_id, is_new_user=False)


def count_login_success() -> None:
    """Count a login whose event was written with the login (services.login_writes)."""
    LOGINS.labels("success").inc()


def record_failure(
    *,
    client: ClientInfo,
    kind: str,
    reason: str,
    appid: str | None,
    user_id: int | None,
    wechat_errcode: int | None = None,
    session_key_age_s: int | None = None,
) -> None:
    """Record a failed decryption, signature check or phone exchange, and count it (never
    the data).
    """
    if kind == "phone_code":
        PHONE_CALLS.labels(reason if wechat_errcode is None else f"errcode_{wechat_errcode}").inc()
    else:
        DECRYPT_FAILURES.labels(kind, reason).inc()
    _write(
        Failure,
        created_at=utcnow(),
        appid=appid,
        user_id=user_id,
        kind=kind,
        reason=reason,
        wechat_errcode=wechat_errcode,
        session_key_age_s=session_key_age_s,
        ip=client.ip,
        user_agent=client.user_agent,
    )


def record_phone_bind(*, client: ClientInfo, method: str, appid: str | None, user_id: int | None) -> None:
    """Record that a user bound a phone, by `method` ("code" or "encrypted")."""
    _write(
        PhoneBind,
        created_at=utcnow(),
        appid=appid,
        user_id=user_id,
        method=method,
        ip=client.ip,
        user_agent=client.user_agent,
    )


@lru_cache(maxsize=None)
def _insert(model):
    # One statement per table, values passed as parameters: SQLAlchemy compiles it once,
    # where `.values(**row)` built a new statement and cache key on every call.
    return insert(table(model))


def _write(model, **values) -> None:
    values.setdefault("request_id", current_request_id())
    try:
        with db.engine.begin() as conn:
            conn.execute(_insert(model), values)
    except Exception:  # noqa: BLE001 - recording is best effort by design; the log says why
        log.exception("could not record %s (%s)", model.__tablename__, values.get("outcome") or values.get("reason"))
