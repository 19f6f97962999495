"""Recording login attempts, failures and phone binds.

A failure to record must never break a login. A successful login's event rides in the
login's own transaction (`add_login`): committed together, so every login answered 200 has
its event even after a crash; if the insert fails, the login is written again without it.
Every other record is written after the work it describes, in its own short transaction on
its own connection (`record_login`, `record_failure`).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from sqlalchemy import insert

from wxauth.extensions import db
from wxauth.metrics import DECRYPT_FAILURES, LOGINS, PHONE_CALLS
from wxauth.models import Failure, LoginEvent, PhoneBind, utcnow
from wxauth.requestlog import current_request_id
from wxauth.services import ClientInfo

log = logging.getLogger("wxauth.events")


class NotRecorded(Exception):
    """A login's event could not be added: its transaction is void, redo it without the event."""


def add_login(
    *,
    client: ClientInfo,
    appid: str,
    openid: str,
    user_id: int,
    upstream_ms: int | None,
    is_new_user: bool,
) -> None:
    """Add a successful login's event to the caller's open transaction (which commits it).

    On failure this logs why and raises NotRecorded; the caller then writes the login
    again without its event (services.login). No savepoint guards the insert: on
    PostgreSQL that pair of statements was two of a login's seven round trips, paid on
    every login for a failure that practically never happens.
    """
    LOGINS.labels("success").inc()  # the login succeeds even if its event cannot be added
    values = _login_values(
        client=client,
        outcome="success",
        appid=appid,
        openid=openid,
        user_id=user_id,
        wechat_errcode=None,
        upstream_ms=upstream_ms,
        is_new_user=is_new_user,
    )
    db.session.flush()  # the login's own pending writes fail loudly, before the guarded insert
    try:
        db.session.connection().execute(_insert(LoginEvent), values)
    except Exception as exc:  # noqa: BLE001 - recording is best effort by design; the log says why
        log.exception("could not record login_events (success)")
        raise NotRecorded from exc


def record_login(
    *,
    client: ClientInfo,
    outcome: str,
    appid: str | None,
    openid: str | None = None,
    user_id: int | None = None,
    wechat_errcode: int | None = None,
    upstream_ms: int | None = None,
    is_new_user: bool = False,
) -> None:
    LOGINS.labels(outcome).inc()
    _write(
        LoginEvent,
        **_login_values(
            client=client,
            outcome=outcome,
            appid=appid,
            openid=openid,
            user_id=user_id,
            wechat_errcode=wechat_errcode,
            upstream_ms=upstream_ms,
            is_new_user=is_new_user,
        ),
    )


def count_login_success() -> None:
    """Count a login whose event was written by the login's own statement (services.login)."""
    LOGINS.labels("success").inc()


def _login_values(*, client: ClientInfo, outcome: str, appid, openid, user_id, wechat_errcode, upstream_ms, is_new_user) -> dict:
    return {
        "created_at": utcnow(),
        "appid": appid,
        "openid": openid,
        "user_id": user_id,
        "outcome": outcome,
        "wechat_errcode": wechat_errcode,
        "upstream_ms": upstream_ms,
        "is_new_user": is_new_user,
        "ip": client.ip,
        "user_agent": client.user_agent,
        "request_id": current_request_id(),
    }


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
    return insert(model.__table__)


def _write(model, **values) -> None:
    values.setdefault("request_id", current_request_id())
    try:
        with db.engine.begin() as conn:
            conn.execute(_insert(model), values)
    except Exception:  # noqa: BLE001 - recording is best effort by design; the log says why
        log.exception("could not record %s (%s)", model.__tablename__, values.get("outcome") or values.get("reason"))
