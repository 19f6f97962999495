"""API tokens, in two formats, both checked against the stored session.

Opaque (the default): `sign([session_id, expires_at])` with itsdangerous. JWT
(`WXAUTH_TOKEN_FORMAT=jwt`): an EdDSA access token living WXAUTH_JWT_TTL whose `sid` claim
names the session, plus a refresh token; the session is the refresh token's family. Either
way a forged, garbled or expired token fails without touching the database, and a
well-signed one must still match a stored session that is neither revoked nor expired, so
logout really ends it here at once (an offline verifier of a JWT accepts it until `exp`).

A refresh token is `rt_<session id>.<generation>.<mac>`: the MAC (under a key derived from
SECRET_KEY and the session's salt) proves wxauth issued it, the generation says which one it
was. Refreshing advances the session's generation; presenting an older genuine one is a
reuse (RFC 9700): the whole family is revoked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, insert, select, update

from wxauth import database, settings
from wxauth.errors import AppError, invalid_token
from wxauth.extensions import db
from wxauth.models import ApiSession, User, utcnow
from wxauth.models.base import table
from wxauth.services import ClientInfo, signing_keys

SALT = "wxauth.api-token.v1"
REFRESH_PURPOSE = b"wxauth.refresh-token.v1"
MAX_TOKEN_LENGTH = 2048
# last_seen_at is a hint for operators; writing it on every request would double the cost
# of an authenticated call, so it is refreshed at most once a minute per session.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


@lru_cache(maxsize=1)
def _insert_session():
    return insert(table(ApiSession))


@lru_cache(maxsize=1)
def _select_session():
    # Built once: the token check runs on every authenticated request.
    return select(ApiSession).where(ApiSession.id == bindparam("session_id"))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(settings.current().secret_key, salt=SALT)


@dataclass(frozen=True)
class Issued:
    """The tokens handed out for one session: the access token, and in JWT format the
    refresh token (which lives as long as the session)."""

    token: str
    expires_at: datetime
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None


@dataclass(frozen=True)
class Presented:
    """What a well-signed, unexpired access token says, before the session is looked up."""

    session_id: str
    issued_at: int | None  # JWT only
    expires_at: int
    user_id: int | None  # JWT only: its sub, which must be the session's user


def new_session(user: User, client: ClientInfo, now: datetime) -> tuple[ApiSession, Issued]:
    """Add a session for `user` to the current transaction; return it with its tokens.

    A plain INSERT, not Session.add(): nothing reads the row back through the ORM session,
    and the unit-of-work flush is a large share of a short request's CPU.
    """
    values = {**session_values(client, now), "user_id": user.id}
    db.session.execute(_insert_session(), values)
    return ApiSession(**values), issue(values, user)


def session_values(client: ClientInfo, now: datetime) -> dict:
    """The row of a new session, but for its user_id (the one source of its shape)."""
    jwt_format = settings.current().token_format == "jwt"  # noqa: S105 - a format's name
    return {
        "id": secrets.token_urlsafe(16),
        "created_at": now,
        "expires_at": now + timedelta(seconds=settings.current().token_ttl),
        "last_seen_at": now,
        "ip": client.ip,
        "user_agent": client.user_agent,
        "refresh_generation": 0 if jwt_format else None,
        "refresh_salt": secrets.token_hex(8) if jwt_format else None,
    }


def issue(values: dict, user: User) -> Issued:
    """The tokens for the session row `values` of `user`, in the session's format."""
    if values.get("refresh_generation") is None:
        token = _serializer().dumps([values["id"], int(values["expires_at"].timestamp())])
        return Issued(token, values["expires_at"])
    now = utcnow()
    lifetime = settings.current().jwt_ttl
    expires = min(now.replace(microsecond=0) + timedelta(seconds=lifetime), values["expires_at"])
    key = signing_keys.signer()
    claims = {
        "iss": settings.current().jwt_issuer,
        "sub": str(user.id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_urlsafe(12),
        "sid": values["id"],
        "appid": user.appid,
        "openid": user.openid,
        "unionid": user.unionid,
    }
    token = jwt.encode(claims, key.key, algorithm=signing_keys.ALG, headers={"kid": key.kid, "typ": "at+jwt"})
    refresh = refresh_token(values["id"], values["refresh_generation"], values["refresh_salt"])
    return Issued(token, expires, refresh, values["expires_at"])


def refresh_token(session_id: str, generation: int, salt: str) -> str:
    """The refresh token of generation `generation` of the session (see the module doc)."""
    return f"rt_{session_id}.{generation}.{_refresh_mac(session_id, generation, salt)}"


def _refresh_mac(session_id: str, generation: int, salt: str) -> str:
    key = hashlib.sha256(REFRESH_PURPOSE + settings.current().secret_key.encode()).digest()
    mac = hmac.new(key, f"{session_id}.{generation}.{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def looks_like_jwt(token: str) -> bool:
    """Whether `token` has a JWT's shape (three segments, a JSON header); opaque ones have two."""
    return token.count(".") == 2 and token.startswith("eyJ")


def presented(token: str | None) -> Presented:
    """Check a token's signature and expiry (no database); AppError invalid_token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise invalid_token()
    if looks_like_jwt(token):
        return _presented_jwt(token)
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise invalid_token() from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], str) and isinstance(payload[1], int)):
        raise invalid_token()
    session_id, expires = payload
    if expires <= utcnow().timestamp():
        raise invalid_token("The token has expired; log in again.")
    return Presented(session_id, None, expires, None)


def _presented_jwt(token: str) -> Presented:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = signing_keys.public_key(kid) if isinstance(kid, str) and len(kid) <= 64 else None
        if key is None:
            raise invalid_token()
        claims = jwt.decode(
            token,
            key,
            algorithms=[signing_keys.ALG],
            issuer=settings.current().jwt_issuer,
            options={"require": ["exp", "iat", "sub", "sid", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise invalid_token("The token has expired; refresh it or log in again.") from None
    except jwt.PyJWTError:
        raise invalid_token() from None
    sid, sub = claims.get("sid"), claims.get("sub")
    if not (isinstance(sid, str) and isinstance(sub, str) and sub.isdigit()):
        raise invalid_token()
    return Presented(sid, int(claims["iat"]), int(claims["exp"]), int(sub))


@dataclass(frozen=True)
class Live:
    """What introspection answers about a live token."""

    user_id: int
    appid: str
    openid: str
    unionid: str | None
    issued_at: int
    expires_at: int


@lru_cache(maxsize=1)
def _select_live():
    # Columns, not entities: the one read of an introspection, by the session's primary key.
    s, u = table(ApiSession), table(User)
    return (
        select(s.c.user_id, s.c.created_at, s.c.expires_at, s.c.revoked_at, u.c.appid, u.c.openid, u.c.unionid)
        .join_from(s, u, s.c.user_id == u.c.id)
        .where(s.c.id == bindparam("session_id"))
    )


def live(token: str | None) -> Live | None:
    """Whose `token` is, if it is live now; else None. One indexed read, no write."""
    try:
        seen = presented(token)
    except AppError:
        return None
    database.autocommit()
    row = db.session.execute(_select_live(), {"session_id": seen.session_id}).first()
    db.session.commit()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now or seen.user_id not in (None, row.user_id):
        return None
    issued = seen.issued_at if seen.issued_at is not None else int(row.created_at.timestamp())
    return Live(row.user_id, row.appid, row.openid, row.unionid, issued, seen.expires_at)


def authenticate(token: str | None) -> ApiSession:
    """The live session behind `token` (either format), or AppError invalid_token."""
    seen = presented(token)
    now = utcnow()
    # One read: no transaction (the rare last_seen_at write below then commits on its own).
    database.autocommit()
    session = db.session.scalar(_select_session(), {"session_id": seen.session_id})
    if session is None or not session.active_at(now) or (seen.user_id is not None and seen.user_id != session.user_id):
        db.session.rollback()
        raise invalid_token()
    if now - session.last_seen_at > LAST_SEEN_RESOLUTION:
        db.session.execute(update(ApiSession).where(ApiSession.id == session.id).values(last_seen_at=now))
        session.last_seen_at = now
    # End the read (and the last-seen write) here, so the view's own writes start a fresh
    # transaction: on SQLite that means they take the write lock first and never race a snapshot.
    db.session.commit()
    return session


def refresh(session: ApiSession, client: ClientInfo) -> tuple[ApiSession, Issued]:
    """Swap a live session for a new one (new token, new expiry); the old token dies.

    Exactly one of several concurrent refreshes of one token wins: the old session's
    revocation is a conditional write, and the losers answer invalid_token.
    """
    now = utcnow()
    with database.writing(db.engine):
        lock_user_sessions(session.user_id)
        if not revoke(session, now):
            db.session.rollback()
            raise invalid_token()
        new, issued = new_session(session.user, client, now)
        db.session.commit()
    return new, issued


class RefreshReused(Exception):
    """A refresh token was presented again: its family (the session) has been revoked."""

    def __init__(self, session: ApiSession):
        super().__init__("refresh token reused")
        self.session = session


def rotate(token: str | None) -> tuple[ApiSession, Issued]:
    """Trade a refresh token for a new access token and refresh token (same session).

    Exactly one of several concurrent uses of one refresh token wins (a conditional UPDATE
    of the generation); any later use of a genuine older token revokes the session and
    raises RefreshReused; anything else is AppError invalid_token.
    """
    parsed = _parse_refresh(token)
    if parsed is None:
        raise invalid_token("The refresh token is invalid.")
    session_id, generation, mac = parsed
    now = utcnow()
    with database.writing(db.engine):
        session = db.session.scalar(_select_session().with_for_update(of=table(ApiSession)), {"session_id": session_id})
        if (
            session is None
            or session.refresh_salt is None
            or session.refresh_generation is None
            or not hmac.compare_digest(mac, _refresh_mac(session_id, generation, session.refresh_salt))
        ):
            db.session.rollback()
            raise invalid_token("The refresh token is invalid.")
        if not session.active_at(now):
            db.session.rollback()
            raise invalid_token("The session has ended; log in again.")
        if generation != session.refresh_generation:
            revoke(session, now)
            _after_reuse(session)
            db.session.commit()
            raise RefreshReused(session)
        session.refresh_generation = generation + 1
        session.last_seen_at = now
        db.session.commit()
    values = {
        "id": session.id,
        "expires_at": session.expires_at,
        "refresh_generation": generation + 1,
        "refresh_salt": session.refresh_salt,
    }
    return session, issue(values, session.user)


def _after_reuse(session: ApiSession) -> None:
    """What a reuse reports, in its transaction (the webhook outbox)."""
    from wxauth.webhooks import outbox

    outbox.session_revoked(session.user, "refresh_reuse", 1)


def _parse_refresh(token: str | None) -> tuple[str, int, str] | None:
    if not isinstance(token, str) or not token.startswith("rt_") or len(token) > 256:
        return None
    parts = token[3:].split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 9 or not parts[0] or not parts[2]:
        return None
    return parts[0], int(parts[1]), parts[2]


def revoke(session: ApiSession, now: datetime | None = None) -> bool:
    """Mark one session revoked (in the current transaction); False if it already was."""
    result = db.session.execute(
        update(ApiSession).where(ApiSession.id == session.id, ApiSession.revoked_at.is_(None)).values(revoked_at=now or utcnow())
    )
    return database.rowcount(result) == 1


def revoke_all(user_id: int, now: datetime | None = None) -> int:
    """Revoke every live session of a user; returns how many (in the current transaction)."""
    lock_user_sessions(user_id)
    result = db.session.execute(
        update(ApiSession)
        .where(ApiSession.user_id == user_id, ApiSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return database.rowcount(result)


def lock_user_sessions(user_id: int) -> None:
    """Serialise changes to one user's set of sessions until the transaction ends.

    Without it, on PostgreSQL a revoke-all's UPDATE would not see the session that a racing
    refresh inserted but had not committed yet, and that session would outlive it. The
    user's row is the lock (SQLite has a single writer and needs none).
    """
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
