"""Recording login attempts, failures and phone binds.

Each record is written in its own short transaction on its own connection, after the work
it describes: a failure to record must never break, or roll back, a login.
"""

from __future__ import annotations

import logging

from sqlalchemy import insert

from wxauth.extensions import db
from wxauth.metrics import DECRYPT_FAILURES, LOGINS, PHONE_CALLS
from wxauth.models import Failure, LoginEvent, PhoneBind, utcnow
from wxauth.requestlog import current_request_id
from wxauth.services import ClientInfo

log = logging.getLogger("wxauth.events")


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
        created_at=utcnow(),
        appid=appid,
        openid=openid,
        user_id=user_id,
        outcome=outcome,
        wechat_errcode=wechat_errcode,
        upstream_ms=upstream_ms,
        is_new_user=is_new_user,
        ip=client.ip,
        user_agent=client.user_agent,
    )


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


def _write(model, **values) -> None:
    values["request_id"] = current_request_id()
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(model).values(**values))
    except Exception:  # noqa: BLE001 - recording is best effort by design; the log says why
        log.exception("could not record %s (%s)", model.__tablename__, values.get("outcome") or values.get("reason"))
