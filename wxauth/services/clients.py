"""Service clients: the team's other services, calling wxauth with HTTP Basic.

A client has a name, a public client_id, a secret shown once (stored as its SHA-256: it is
32 random bytes, so a slow hash adds nothing) and scopes. Checking a client's credentials is
on the path of every introspection, which must cost one indexed lookup of the token and
nothing more, so a verified client is remembered in the process for CACHE_SECONDS: a revoked
client is refused on every instance within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select, update

from wxauth.errors import AppError
from wxauth.extensions import db
from wxauth.models import ServiceClient, utcnow

SCOPES = ("introspect", "wechat_token")
CACHE_SECONDS = 10.0
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ClientError(ValueError):
    """A client cannot be created or changed as asked (the message says why)."""


@dataclass(frozen=True)
class Credentials:
    """What `create` hands back once: the secret is never shown again."""

    name: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Caller:
    """An authenticated service client."""

    id: int
    name: str
    client_id: str
    scopes: frozenset[str]


_cache: dict[tuple[str, str], tuple[float, Caller]] = {}
_cache_lock = threading.Lock()


def forget() -> None:
    """Drop this process's remembered clients (after a revocation here, and between tests)."""
    with _cache_lock:
        _cache.clear()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(name: str, scopes: list[str] | tuple[str, ...]) -> Credentials:
    """Create a client; commits. ClientError for a bad name, unknown scope or a name in use."""
    if not NAME.match(name or ""):
        raise ClientError("A client name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ClientError(f"Unknown scope {', '.join(unknown)}: use {' or '.join(SCOPES)}.")
    if not scopes:
        raise ClientError(f"Give the client at least one scope ({', '.join(SCOPES)}).")
    if db.session.scalar(select(ServiceClient.id).where(ServiceClient.name == name)) is not None:
        db.session.rollback()
        raise ClientError(f"A client named {name} exists already.")
    ordered = tuple(s for s in SCOPES if s in scopes)
    client_id = "wxc_" + secrets.token_hex(10)
    secret = "wxs_" + secrets.token_urlsafe(32)
    db.session.add(
        ServiceClient(name=name, client_id=client_id, secret_hash=_hash(secret), scopes=" ".join(ordered), created_at=utcnow())
    )
    db.session.commit()
    return Credentials(name, client_id, secret, ordered)


def listed() -> list[ServiceClient]:
    """Every client, live ones first, then by name."""
    rows = db.session.scalars(select(ServiceClient).order_by(ServiceClient.revoked_at.is_not(None), ServiceClient.name)).all()
    db.session.commit()
    return list(rows)


def revoke(name: str) -> bool:
    """Revoke the client `name`; commits. False when there is no live client of that name."""
    result = db.session.execute(
        update(ServiceClient).where(ServiceClient.name == name, ServiceClient.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    db.session.commit()
    forget()  # this process at once; the others within CACHE_SECONDS
    return result.rowcount == 1  # type: ignore[attr-defined]


def invalid_client() -> AppError:
    """The answer to missing or wrong client credentials (401, WWW-Authenticate: Basic)."""
    return AppError("invalid_client", "Authenticate with HTTP Basic: your client_id and client_secret.", 401)


def authenticate(client_id: str | None, secret: str | None) -> Caller:
    """The live client with these credentials, or AppError invalid_client."""
    if not client_id or not secret or len(client_id) > 40 or len(secret) > 128:
        raise invalid_client()
    digest = _hash(secret)
    key = (client_id, digest)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = db.session.execute(
        select(ServiceClient.id, ServiceClient.name, ServiceClient.secret_hash, ServiceClient.scopes).where(
            ServiceClient.client_id == client_id, ServiceClient.revoked_at.is_(None)
        )
    ).first()
    if row is None or not hmac.compare_digest(row.secret_hash, digest):
        db.session.rollback()
        raise invalid_client()
    db.session.execute(update(ServiceClient).where(ServiceClient.id == row.id).values(last_used_at=utcnow()))
    db.session.commit()
    caller = Caller(row.id, row.name, client_id, frozenset(row.scopes.split()))
    with _cache_lock:
        if len(_cache) > 1000:
            _cache.clear()
        _cache[key] = (now + CACHE_SECONDS, caller)
    return caller


def require_scope(caller: Caller, scope: str) -> None:
    """AppError insufficient_scope (403) unless `caller` holds `scope`."""
    if scope not in caller.scopes:
        raise AppError("insufficient_scope", f"This client lacks the scope {scope}.", 403)
