"""Login with a wx.login code: exchange it, create or update the user, open a session."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from config import MiniApp
from wxauth import settings
from wxauth.errors import AppError
from wxauth.extensions import db
from wxauth.models import ApiSession, User, utcnow
from wxauth.services import ClientInfo, events, login_writes, provisioning, sessions
from wxauth.services.phone import Phone, exchange_code, record_bind
from wxauth.services.profile import (
    ANONYMOUS_NICKNAMES,
    clean_avatar_url,
    clean_nickname,
    is_placeholder_avatar,
    normalize_gender,
)
from wxauth.services.session_keys import decrypt_failed, seal_session_key
from wxauth.wechat import crypto
from wxauth.wechat.client import Code2Session
from wxauth.wechat.errors import WeChatError, WeChatUnavailable, login_error, unavailable_error
from wxauth.wechat.singleflight import SingleFlight


@dataclass(frozen=True)
class LoginRequest:
    """What POST /api/auth/login carries: the wx.login code and the optional profile data."""

    code: str
    user_info: dict | None = None
    raw_data: str | None = None
    signature: str | None = None
    encrypted_data: str | None = None
    iv: str | None = None
    # The getPhoneNumber button's code, for a login that binds the phone in the same tap.
    phone_code: str | None = None


@dataclass(frozen=True)
class LoginResult:
    """A successful login: the user as written, the session, its token, and whether the user
    is new.
    """

    user: User
    issued: sessions.Issued
    session: sessions.ApiSession
    is_new_user: bool
    phone_bound: bool = False  # by this login's phone_code
    phone_error: AppError | None = None  # why the phone_code did not bind; the login stands


# One login per code at a time in this process (see login()).
_in_flight = SingleFlight()


def login(app: MiniApp, req: LoginRequest, client: ClientInfo) -> LoginResult:
    """Log in with a wx.login code: exchange it, then write the user, a session and the event.

    A mini-program that double-submits sends one single-use code twice at once. Requests
    with the same code that arrive while the first is in flight wait for it and get its
    result, the same session and token (or the same error), so one code opens one session;
    one that arrives later finds the code spent at WeChat (invalid_code).
    """
    return _in_flight.do((app.appid, req.code), lambda: _login(app, req, client))


def _login(app: MiniApp, req: LoginRequest, client: ClientInfo) -> LoginResult:
    wechat = current_app.extensions["wxauth.wechat"]
    try:
        exchanged = wechat.code2session(app, req.code)
    except WeChatError as exc:
        err = login_error(exc)
        if err.code == "wechat_misconfigured":
            current_app.logger.error(
                "code2Session rejected the credentials of %s: errcode %s (%s)", app.appid, exc.errcode, exc.errmsg
            )
        events.record_login(client=client, outcome=err.code, appid=app.appid, wechat_errcode=exc.errcode)
        raise err from None
    except WeChatUnavailable as exc:
        err = unavailable_error(exc)
        events.record_login(client=client, outcome=err.code, appid=app.appid)
        raise err from None

    def reject(error: AppError, kind: str, reason: str) -> AppError:
        events.record_failure(client=client, kind=kind, reason=reason, appid=app.appid, user_id=None, session_key_age_s=0)
        events.record_login(
            client=client, outcome=error.code, appid=app.appid, openid=exchanged.openid, upstream_ms=exchanged.upstream_ms
        )
        return error

    profile: dict = {}
    unionid = exchanged.unionid
    if req.raw_data is not None:
        if not crypto.check_raw_data_signature(req.raw_data, exchanged.session_key, req.signature or ""):
            raise reject(
                AppError("invalid_signature", "rawData does not match its signature.", 401), "signature", "signature_mismatch"
            )
        try:
            profile = _profile_fields(json.loads(req.raw_data))
        except ValueError:
            profile = {}
    elif req.user_info is not None:
        profile = _profile_fields(req.user_info)

    if req.encrypted_data is not None:
        try:
            data = crypto.decrypt(
                exchanged.session_key,
                req.encrypted_data,
                req.iv,
                app.appid,
                max_age=settings.current().watermark_max_age,
            )
            if data.get("openId") not in (None, exchanged.openid):
                raise crypto.DecryptError(crypto.OPENID_MISMATCH)
        except crypto.DecryptError as exc:
            raise reject(decrypt_failed(exc.reason), "userinfo_encrypted", exc.reason) from None
        profile.update(_profile_fields(data))
        if isinstance(data.get("unionId"), str) and data["unionId"]:
            unionid = unionid or data["unionId"]

    # Who this is matters only for a phone code (its failures name the user) or a sign-up
    # policy; an open app's plain login skips the lookup.
    existing = _existing_user_id(app, exchanged.openid) if req.phone_code or app.signup != "open" else None
    phone, phone_error = None, None
    if req.phone_code:
        try:
            phone = exchange_code(app, req.phone_code, client, user_id=existing)
        except AppError as exc:
            phone_error = exc
    if existing is None and app.signup != "open":
        refused = provisioning.refusal(app, phone, phone_error)
        if refused is not None:
            events.record_login(
                client=client, outcome=refused.code, appid=app.appid, openid=exchanged.openid, upstream_ms=exchanged.upstream_ms
            )
            raise refused

    rows = _login_rows(app, exchanged, unionid, profile, client, phone)
    user = login_writes.write(rows)
    events.count_login_success()
    if phone is not None:
        record_bind(user, "code", client)
        if existing is None and app.signup == "closed":
            provisioning.claim(app, phone.pure_phone_number, user.id)
    return LoginResult(
        user=user,
        issued=sessions.issue(rows.session, user),
        session=ApiSession(**rows.session_row(user)),
        is_new_user=rows.is_new(user),
        phone_bound=phone is not None,
        phone_error=phone_error,
    )


def _existing_user_id(app: MiniApp, openid: str) -> int | None:
    user_id = db.session.scalar(select(User.id).where(User.appid == app.appid, User.openid == openid))
    db.session.commit()  # end the read before the writes
    return user_id


def _login_rows(
    app: MiniApp, exchanged: Code2Session, unionid: str | None, profile: dict, client: ClientInfo, phone: Phone | None
) -> login_writes.LoginRows:
    """The rows this login writes (see login_writes.LoginRows), all made before any write;
    a phone from the login's phone code is written with them."""
    now = utcnow()
    changes = {
        "last_login_at": now,
        "session_key_ciphertext": seal_session_key(settings.current().secret_key, exchanged.session_key),
        "session_key_issued_at": now,
        **profile,
    }
    if phone is not None:
        changes.update(phone_country_code=phone.country_code, phone_number=phone.pure_phone_number, phone_bound_at=now)
    event = events.login_values(
        client=client, outcome="success", appid=app.appid, openid=exchanged.openid, upstream_ms=exchanged.upstream_ms, now=now
    )
    return login_writes.LoginRows(
        appid=app.appid,
        openid=exchanged.openid,
        unionid=unionid,
        now=now,
        changes=changes,
        session=sessions.session_values(client, now),
        event=event,
    )


def _profile_fields(info) -> dict:
    """Nickname, avatar and gender from userInfo-shaped data, by the rules PATCH /api/me
    applies; a field those rules refuse, or a WeChat anonymous placeholder, is left out
    (the login itself goes on: its code is already spent)."""
    if not isinstance(info, dict):
        return {}
    fields: dict = {}
    nickname = _valid(clean_nickname, info.get("nickName"))
    if nickname is not None and nickname not in ANONYMOUS_NICKNAMES:
        fields["nickname"] = nickname
    avatar = _valid(clean_avatar_url, info.get("avatarUrl"))
    if avatar is not None and not is_placeholder_avatar(avatar):
        fields["avatar_url"] = avatar
    gender = normalize_gender(info.get("gender"))
    if gender:
        fields["gender"] = gender
    return fields


def _valid(clean, value):
    """`clean(value)`, or None when there is no value or the rule refuses it."""
    if value is None:
        return None
    try:
        return clean(value)
    except AppError:
        return None
