"""Login with a wx.login code: exchange it, create or update the user, open a session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, func, text, update
from sqlalchemy.exc import DataError, IntegrityError

from config import MiniApp
from wxauth import database
from wxauth.errors import AppError
from wxauth.extensions import db
from wxauth.models import ApiSession, User, utcnow
from wxauth.models.upsert import upsert
from wxauth.requestlog import current_request_id
from wxauth.security import seal
from wxauth.services import ClientInfo, events, sessions
from wxauth.services.profile import (
    ANONYMOUS_NICKNAMES,
    clean_avatar_url,
    clean_nickname,
    is_placeholder_avatar,
    normalize_gender,
)
from wxauth.wechat import crypto
from wxauth.wechat.client import Code2Session
from wxauth.wechat.errors import WeChatError, WeChatUnavailable, login_error, unavailable_error
from wxauth.wechat.singleflight import SingleFlight

SESSION_KEY_PURPOSE = "session_key"
# A wrong key fails PKCS#7 255 times in 256, and yields garbage that is not JSON otherwise.
STALE_KEY_REASONS = (crypto.BAD_PADDING, crypto.NOT_JSON)


@dataclass(frozen=True)
class LoginRequest:
    code: str
    user_info: dict | None = None
    raw_data: str | None = None
    signature: str | None = None
    encrypted_data: str | None = None
    iv: str | None = None


@dataclass(frozen=True)
class LoginResult:
    user: User
    token: str
    session: sessions.ApiSession
    is_new_user: bool


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
                max_age=current_app.config["WXAUTH_WATERMARK_MAX_AGE"],
            )
            if data.get("openId") not in (None, exchanged.openid):
                raise crypto.DecryptError(crypto.OPENID_MISMATCH)
        except crypto.DecryptError as exc:
            raise reject(decrypt_failed(exc.reason), "userinfo_encrypted", exc.reason) from None
        profile.update(_profile_fields(data))
        if isinstance(data.get("unionId"), str) and data["unionId"]:
            unionid = unionid or data["unionId"]

    # What the writes need but is not a statement is made once, before any of them (on
    # SQLite, outside the writers' queue): the sealed session_key and the session row.
    now = utcnow()
    sealed = seal(current_app.config["SECRET_KEY"], SESSION_KEY_PURPOSE, exchanged.session_key)
    session_row = sessions.session_values(None, client, now)
    if db.engine.dialect.name == "postgresql":
        try:
            return _write_login_in_one_statement(app, exchanged, unionid, sealed, profile, session_row, now)
        except (IntegrityError, DataError):
            # Nothing was written (one statement); the general path below says what failed
            # and still logs the user in if it was only the event.
            db.session.rollback()
    try:
        return _write_login(app, exchanged, unionid, sealed, profile, session_row, client, now, record=True)
    except events.NotRecorded:
        # The event's insert failed and took the transaction with it; the login must not fail.
        db.session.rollback()
        return _write_login(app, exchanged, unionid, sealed, profile, session_row, client, now, record=False)


def _write_login(
    app: MiniApp,
    exchanged: Code2Session,
    unionid: str | None,
    sealed: str,
    profile: dict,
    session_row: dict,
    client: ClientInfo,
    now: datetime,
    *,
    record: bool,
) -> LoginResult:
    """The login's writes, and its event when `record`, in one transaction; commits.

    On SQLite the transaction holds the writers' queue (database.writing), and every
    millisecond it holds it is one that every other login waits: at 200 logins/s the
    queue was busy 57 % of the time and its p99 wait was 90 ms. So all that is not a
    statement happens outside it (the sealed key and the session row come made, the token
    is signed after); inside there are three statements and the commit, with the user read
    back as plain columns rather than loaded into the ORM's session.
    """
    with database.writing(db.engine):
        user = _upsert_user(app, exchanged.openid, unionid, sealed, profile, now)
        is_new = user.created_at == now
        session_row["user_id"] = user.id
        sessions.insert_session(session_row)
        if record:
            # The event commits with the login: one transaction instead of two (on SQLite one
            # write lock per login instead of two; on PostgreSQL one WAL flush instead of two).
            events.add_login(
                client=client,
                appid=app.appid,
                openid=user.openid,
                user_id=user.id,
                upstream_ms=exchanged.upstream_ms,
                is_new_user=is_new,
            )
        db.session.commit()
    token = sessions.issue_token(session_row)
    return LoginResult(user=user, token=token, session=ApiSession(**session_row), is_new_user=is_new)


def _write_login_in_one_statement(
    app: MiniApp, exchanged: Code2Session, unionid: str | None, sealed: str, profile: dict, session_row: dict, now: datetime
) -> LoginResult:
    """PostgreSQL: the user's upsert, the session and the event as one statement.

    What _write_login does in three statements and a transaction, in one round trip: a
    single statement is atomic on its own, so it runs in autocommit, sparing the BEGIN and
    COMMIT round trips too (5 round trips per login become 1). The SQL is built once per set
    of profile columns (`_login_statement`) and served from SQLAlchemy's statement cache.
    """
    params = {
        "appid": app.appid,
        "openid": exchanged.openid,
        "unionid": unionid,
        "now": now,
        "sealed": sealed,
        **{f"p_{k}": v for k, v in profile.items()},
        **{f"s_{k}": session_row[k] for k in ("id", "expires_at", "ip", "user_agent")},
        "e_upstream_ms": exchanged.upstream_ms,
        "e_request_id": current_request_id(),
    }
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    row = db.session.execute(_login_statement(tuple(profile)), params).one()
    db.session.commit()
    events.count_login_success()
    user = User(**row._mapping)
    session_row["user_id"] = user.id
    return LoginResult(
        user=user,
        token=sessions.issue_token(session_row),
        session=ApiSession(**session_row),
        is_new_user=user.created_at == now,
    )


# Every column of users but the sealed session_key, which never needs to come back.
_USER_COLUMNS = tuple(c.name for c in User.__table__.c if c.name != "session_key_ciphertext")


def _returned_columns() -> list:
    return [User.__table__.c[name] for name in _USER_COLUMNS]


@lru_cache(maxsize=16)
def _login_statement(profile_columns: tuple[str, ...]):
    """The PostgreSQL login statement for a login that sets `profile_columns` of the user.

    A returning user (most logins) is updated; only when there is none is one inserted,
    with ON CONFLICT settling racing first logins of one openid (so user ids do not burn a
    sequence value per login). A unionid already known is kept. The session and the event
    are inserted from the user row either returns; a new user is one whose created_at is
    this login's `now`.
    """
    profile = [c for c in profile_columns if c in _USER_COLUMNS]  # names from _profile_fields only
    updated = {
        "last_login_at": ":now",
        "session_key_ciphertext": ":sealed",
        "session_key_issued_at": ":now",
        **{c: f":p_{c}" for c in profile},
    }
    inserted = {"appid": ":appid", "openid": ":openid", "unionid": ":unionid", "gender": "0", "created_at": ":now", **updated}
    returning = ", ".join(_USER_COLUMNS)
    return text(f"""
        WITH upd AS (
            UPDATE users SET {", ".join(f"{c} = {v}" for c, v in updated.items())},
                             unionid = coalesce(unionid, :unionid)
            WHERE appid = :appid AND openid = :openid
            RETURNING {returning}
        ), ins AS (
            INSERT INTO users ({", ".join(inserted)})
            SELECT {", ".join(inserted.values())} WHERE NOT EXISTS (SELECT FROM upd)
            ON CONFLICT (appid, openid) DO UPDATE
                SET {", ".join(f"{c} = excluded.{c}" for c in updated)},
                    unionid = coalesce(users.unionid, excluded.unionid)
            RETURNING {returning}
        ), u AS (
            SELECT * FROM upd UNION ALL SELECT * FROM ins
        ), s AS (
            INSERT INTO api_sessions (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent)
            SELECT :s_id, u.id, :now, :s_expires_at, :now, :s_ip, :s_user_agent FROM u
        ), e AS (
            INSERT INTO login_events (created_at, appid, openid, user_id, outcome, upstream_ms, is_new_user,
                                      ip, user_agent, request_id)
            SELECT :now, u.appid, u.openid, u.id, 'success', :e_upstream_ms, u.created_at = :now,
                   :s_ip, :s_user_agent, :e_request_id FROM u
        )
        SELECT {returning} FROM u
    """)  # noqa: S608 - column names come from the User table; every value is a bound parameter


def decrypt_failed(reason: str) -> AppError:
    hint = (
        " The session_key changed since the data was produced: do not call wx.login between getting the data and sending it."
        if reason in STALE_KEY_REASONS
        else ""
    )
    return AppError("decrypt_failed", f"Could not decrypt the data ({reason}).{hint}", 422)


def _upsert_user(app: MiniApp, openid: str, unionid: str | None, sealed: str, profile: dict, now: datetime) -> User:
    """Update the returning user, or create them with one race-free INSERT … ON CONFLICT.

    `sealed` is the user's session_key, already sealed. The user comes back as a plain
    User built from the row, outside the ORM's session (nothing writes through it).
    """
    changes = {"last_login_at": now, "session_key_ciphertext": sealed, "session_key_issued_at": now, **profile}
    # Most logins are by returning users. A plain UPDATE … RETURNING is compiled once and
    # then served from SQLAlchemy's statement cache, while INSERT … ON CONFLICT is compiled
    # anew on every call (SQLAlchemy 2.0 does not cache ON CONFLICT constructs): measured
    # 1.7 -> 0.55 ms of CPU per login on SQLite and 3.0 -> 1.3 ms on PostgreSQL. The
    # statement itself is built once per set of columns and takes the values as parameters
    # (building it per login was another 0.2 ms).
    stmt = _update_returning_user(tuple(changes), bool(unionid))
    params = {"w_appid": app.appid, "w_openid": openid, **{f"v_{k}": v for k, v in changes.items()}}
    if unionid:
        params["v_unionid"] = unionid
    row = db.session.execute(stmt, params).one_or_none()
    if row is None:
        # A first login, or several racing first logins of one openid: the upsert settles them.
        if unionid:
            changes["unionid"] = func.coalesce(User.__table__.c.unionid, unionid)
        values = {"appid": app.appid, "openid": openid, "gender": 0, "created_at": now, **changes, "unionid": unionid}
        stmt = upsert(db.session.get_bind().dialect.name, User, ["appid", "openid"], values, changes)
        row = db.session.execute(stmt.returning(*_returned_columns())).one()
    return User(**row._mapping)


@lru_cache(maxsize=64)
def _update_returning_user(columns: tuple[str, ...], with_unionid: bool):
    table = User.__table__
    values = {c: bindparam(f"v_{c}") for c in columns}
    if with_unionid:
        values["unionid"] = func.coalesce(table.c.unionid, bindparam("v_unionid"))  # keep a known one
    return (
        update(table)
        .where(table.c.appid == bindparam("w_appid"), table.c.openid == bindparam("w_openid"))
        .values(**values)
        .returning(*_returned_columns())
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
