"""The access_token cache, shared by every process and instance through the database.

WeChat invalidates an access_token when a new one is fetched (classic `/cgi-bin/token`), so
several processes each keeping their own token fight each other. Here one row per appid
holds the current token (encrypted). A process that finds it stale takes a short lease on
the row (an UPDATE that only one process can win), fetches, stores and releases; the others
wait for the new token to appear. No database lock is held across the HTTP call, so a slow
WeChat never blocks logins on SQLite.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from config import MiniApp
from wxauth.metrics import TOKEN_REFRESHES
from wxauth.models import AccessToken, utcnow
from wxauth.models.upsert import insert_ignore
from wxauth.security import SealError, seal, unseal
from wxauth.wechat.client import AccessTokenResult, WeChatClient
from wxauth.wechat.errors import WeChatUnavailable

log = logging.getLogger("wxauth.wechat.tokens")

PURPOSE = "access_token"
# Refresh this long before WeChat's expiry. stable_token rotates 5 minutes before expiry
# and keeps the old token valid meanwhile, so two minutes of margin is always safe.
REFRESH_MARGIN = timedelta(seconds=120)
LEASE = timedelta(seconds=15)
POLL_INTERVAL = 0.05
EPOCH = datetime(1970, 1, 1, tzinfo=utcnow().tzinfo)


@dataclass
class Cached:
    """An access_token and when WeChat said it expires."""

    token: str
    expires_at: datetime


class AccessTokenCache:
    """The access_token of each app, shared by every process through the database: fetched
    by one at a time, kept in memory until near expiry, sealed at rest.
    """

    def __init__(self, db, client: WeChatClient, secret_key: str, api: str = "stable", wait: float = 10.0):
        self.db = db
        self.client = client
        self.secret_key = secret_key
        self.api = api
        self.wait = wait
        self.owner = secrets.token_hex(8)
        self._memo: dict[str, Cached] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.fetches = 0  # fetched from WeChat by this process (observability and tests)

    # -- public ------------------------------------------------------------------------

    def get(self, app: MiniApp) -> str:
        """A valid access_token for `app`, fetching one only when none is fresh."""
        return self.current(app).token

    def current(self, app: MiniApp) -> Cached:
        """The valid access_token of `app` with its expiry, fetching one only when none is fresh."""
        cached = self._memo.get(app.appid)
        if cached and cached.expires_at - REFRESH_MARGIN > utcnow():
            return cached
        with self._lock(app.appid):
            fresh = self._read_fresh(app)
            if fresh:
                return fresh
            return self._refresh(app, stale=None)

    def replace(self, app: MiniApp, rejected: str) -> str:
        """WeChat rejected `rejected` (40001/40014/42001): get a newer one, fetching at most once."""
        return self.replaced(app, rejected).token

    def replaced(self, app: MiniApp, rejected: str) -> Cached:
        """`replace`, with the expiry: when `rejected` is no longer the current token (another
        caller refreshed already), the current one comes back without any fetch."""
        self._memo.pop(app.appid, None)
        with self._lock(app.appid):
            fresh = self._read_fresh(app)
            if fresh and fresh.token != rejected:
                return fresh
            return self._refresh(app, stale=rejected)

    # -- internals ---------------------------------------------------------------------

    def _lock(self, appid: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(appid, threading.Lock())

    def _read_fresh(self, app: MiniApp) -> Cached | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(AccessToken.token_ciphertext, AccessToken.expires_at).where(AccessToken.appid == app.appid)
            ).first()
        if row is None or not row.token_ciphertext or row.expires_at - REFRESH_MARGIN <= utcnow():
            return None
        try:
            token = unseal(self.secret_key, PURPOSE, row.token_ciphertext)
        except SealError:
            log.warning("stored access_token for %s cannot be opened (SECRET_KEY changed?)", app.appid)
            return None
        cached = self._memo[app.appid] = Cached(token, row.expires_at)
        return cached

    def _ensure_row(self, app: MiniApp) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(
                insert_ignore(
                    conn.dialect.name,
                    AccessToken,
                    ["appid"],
                    {"appid": app.appid, "token_ciphertext": "", "expires_at": EPOCH, "fetched_at": EPOCH},
                )
            )

    def _take_lease(self, app: MiniApp) -> bool:
        now = utcnow()
        with self.db.engine.begin() as conn:
            result = conn.execute(
                update(AccessToken)
                .where(AccessToken.appid == app.appid)
                .where((AccessToken.lease_until.is_(None)) | (AccessToken.lease_until < now))
                .values(lease_owner=self.owner, lease_until=now + LEASE)
            )
        return result.rowcount == 1

    def _release(self, app: MiniApp, result: AccessTokenResult | None) -> None:
        values: dict = {"lease_owner": None, "lease_until": None}
        if result is not None:
            now = utcnow()
            values.update(
                token_ciphertext=seal(self.secret_key, PURPOSE, result.token),
                expires_at=now + timedelta(seconds=result.expires_in),
                fetched_at=now,
            )
        with self.db.engine.begin() as conn:
            conn.execute(
                update(AccessToken).where(AccessToken.appid == app.appid, AccessToken.lease_owner == self.owner).values(**values)
            )

    def _refresh(self, app: MiniApp, stale: str | None) -> Cached:
        self._ensure_row(app)
        deadline = time.monotonic() + self.wait
        while True:
            if self._take_lease(app):
                break
            # Another process is fetching: wait for its token to land.
            time.sleep(POLL_INTERVAL)
            fresh = self._read_fresh(app)
            if fresh and fresh.token != stale:
                return fresh
            if time.monotonic() > deadline:
                raise WeChatUnavailable("access_token refresh by another process did not finish", "/cgi-bin/stable_token")
        result = None
        try:
            # Someone may have finished a refresh between our read and our lease.
            fresh = self._read_fresh(app)
            if fresh and fresh.token != stale:
                return fresh
            result = self._fetch(app, stale)
            log.info("access_token for %s refreshed, expires in %d s", app.appid, result.expires_in)
        finally:
            self._release(app, result)
        cached = self._memo[app.appid] = Cached(result.token, utcnow() + timedelta(seconds=result.expires_in))
        return cached

    def _fetch(self, app: MiniApp, stale: str | None) -> AccessTokenResult:
        self.fetches += 1
        try:
            if self.api == "token":
                result = self.client.classic_token(app)
            else:
                result = self.client.stable_token(app)
                if stale is not None and result.token == stale:
                    # Normal mode handed back the token WeChat just rejected: force a new one.
                    result = self.client.stable_token(app, force_refresh=True)
        except Exception:
            TOKEN_REFRESHES.labels("failure").inc()
            raise
        TOKEN_REFRESHES.labels("success").inc()
        return result
