"""Binding a phone number: by the new getPhoneNumber code, or by legacy encryptedData/iv."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from config import MiniApp
from wxauth import settings
from wxauth.errors import AppError
from wxauth.extensions import db
from wxauth.metrics import PHONE_CALLS
from wxauth.models import User, utcnow
from wxauth.security import SealError
from wxauth.services import ClientInfo, events
from wxauth.services.session_keys import STALE_KEY_REASONS, STALE_SESSION_KEY, decrypt_failed, unseal_session_key
from wxauth.webhooks import outbox
from wxauth.wechat import crypto
from wxauth.wechat.errors import WeChatError, WeChatUnavailable, phone_error, unavailable_error


@dataclass(frozen=True)
class Phone:
    """A phone number as WeChat returns it: with its country code, the national number, and
    both joined.
    """

    phone_number: str
    pure_phone_number: str
    country_code: str


def bind_by_code(app: MiniApp, user: User, code: str, client: ClientInfo) -> Phone:
    """Exchange a getPhoneNumber code with WeChat and bind the number to `user`; every
    failure is recorded and raised as AppError.
    """
    return _store(user, exchange_code(app, code, client, user_id=user.id), "code", client)


def exchange_code(app: MiniApp, code: str, client: ClientInfo, *, user_id: int | None) -> Phone:
    """The number behind a getPhoneNumber code (WeChat's getuserphonenumber), bound to no
    one yet; every failure is recorded (for `user_id`, when known) and raised as AppError.
    """
    wechat = current_app.extensions["wxauth.wechat"]
    try:
        info = wechat.phone_number(app, code)
    except WeChatError as exc:
        err = phone_error(exc)
        events.record_failure(
            client=client,
            kind="phone_code",
            reason="wechat_errcode",
            appid=app.appid,
            user_id=user_id,
            wechat_errcode=exc.errcode,
        )
        if err.code == "wechat_misconfigured":
            current_app.logger.error("getuserphonenumber for %s: errcode %s (%s)", app.appid, exc.errcode, exc.errmsg)
        raise err from None
    except WeChatUnavailable as exc:
        events.record_failure(client=client, kind="phone_code", reason="wechat_unavailable", appid=app.appid, user_id=user_id)
        raise unavailable_error(exc) from None
    watermark = info.get("watermark")
    if isinstance(watermark, dict) and watermark.get("appid") not in (None, app.appid):
        events.record_failure(client=client, kind="phone_code", reason=crypto.APPID_MISMATCH, appid=app.appid, user_id=user_id)
        raise AppError("invalid_phone_code", "The phone code belongs to another mini-program.", 400)
    phone = _phone(info)
    if phone is None:
        events.record_failure(client=client, kind="phone_code", reason="malformed_answer", appid=app.appid, user_id=user_id)
        raise AppError("wechat_unavailable", "WeChat returned an unreadable phone number.", 502)
    PHONE_CALLS.labels("success").inc()
    return phone


def bind_by_encrypted(app: MiniApp, user: User, encrypted_data: str, iv: str, client: ClientInfo) -> Phone:
    """Decrypt legacy encryptedData/iv with the user's stored session_key and bind the
    number; a failure is recorded with its reason and the key's age.
    """
    row = db.session.execute(select(User.session_key_ciphertext, User.session_key_issued_at).where(User.id == user.id)).one()
    db.session.commit()  # end the read; no changes are pending
    age = int((utcnow() - row.session_key_issued_at).total_seconds()) if row.session_key_issued_at else None

    def fail(reason: str) -> AppError:
        events.record_failure(
            client=client, kind="phone_encrypted", reason=reason, appid=app.appid, user_id=user.id, session_key_age_s=age
        )
        return decrypt_failed(reason)

    if not row.session_key_ciphertext:
        raise fail(crypto.NO_SESSION_KEY)
    try:
        session_key = unseal_session_key(settings.current().secret_key, row.session_key_ciphertext)
    except SealError:
        raise fail(crypto.NO_SESSION_KEY) from None
    try:
        data = crypto.decrypt(session_key, encrypted_data, iv, app.appid, max_age=settings.current().watermark_max_age)
    except crypto.DecryptError as exc:
        raise fail(_confirmed(app, user, session_key, exc.reason)) from None
    phone = _phone(data)
    if phone is None:
        raise fail(crypto.NOT_JSON)
    return _store(user, phone, "encrypted", client)


def _confirmed(app: MiniApp, user: User, session_key: str, reason: str) -> str:
    """`reason`, or STALE_SESSION_KEY when it looks like a stale key and WeChat's
    checkSessionKey confirms the stored key is dead (no answer in time: `reason` stands)."""
    if reason not in STALE_KEY_REASONS:
        return reason
    wechat = current_app.extensions["wxauth.wechat"]
    return STALE_SESSION_KEY if wechat.session_key_valid(app, user.openid, session_key) is False else reason


def _phone(info: dict) -> Phone | None:
    pure = info.get("purePhoneNumber")
    full = info.get("phoneNumber")
    country = info.get("countryCode")
    if isinstance(country, int) and not isinstance(country, bool):
        country = str(country)  # the new API's example sends 86, the legacy data "86"
    if not (isinstance(pure, str) and pure.isdigit() and 3 <= len(pure) <= 20):
        return None
    if not (isinstance(country, str) and country.isdigit() and len(country) <= 4):
        return None
    if not isinstance(full, str) or not full:
        full = pure
    return Phone(phone_number=full[:24], pure_phone_number=pure, country_code=country)


def record_bind(user: User, method: str, client: ClientInfo) -> None:
    """Record that `user` bound a phone (written with the login, for a one-tap login)."""
    events.record_phone_bind(client=client, method=method, appid=user.appid, user_id=user.id)


def _store(user: User, phone: Phone, method: str, client: ClientInfo) -> Phone:
    user = db.session.merge(user)
    user.phone_country_code = phone.country_code
    user.phone_number = phone.pure_phone_number
    user.phone_bound_at = utcnow()
    db.session.flush()
    outbox.user_event("user.phone_bound", user)
    db.session.commit()
    events.record_phone_bind(client=client, method=method, appid=user.appid, user_id=user.id)
    return phone
