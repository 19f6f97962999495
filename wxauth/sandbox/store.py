"""The sandbox's state: simulated WeChat users, codes, access_tokens and pending faults.

Kept in its own small SQLite file (not the app's database), so that every worker process
of one machine sees the same codes and tokens, exactly as they would all see one WeChat.
"""

from __future__ import annotations

import base64
import os
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

SCHEMA = """
CREATE TABLE IF NOT EXISTS sim_users (
    appid TEXT NOT NULL, openid TEXT NOT NULL, unionid TEXT, phone TEXT, country_code TEXT,
    nickname TEXT, blocked INTEGER NOT NULL DEFAULT 0, session_key TEXT NOT NULL,
    created_at REAL NOT NULL, PRIMARY KEY (appid, openid));
CREATE TABLE IF NOT EXISTS codes (
    code TEXT PRIMARY KEY, kind TEXT NOT NULL, appid TEXT NOT NULL, openid TEXT NOT NULL,
    session_key TEXT, created_at REAL NOT NULL, used_at REAL);
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY, appid TEXT NOT NULL, kind TEXT NOT NULL,
    expires_at REAL NOT NULL, invalidated INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL, errcode INTEGER, status INTEGER,
    delay REAL NOT NULL DEFAULT 0, body TEXT, remaining INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS calls (endpoint TEXT PRIMARY KEY, count INTEGER NOT NULL);
"""

CODE_TTL = 300  # wx.login and getPhoneNumber codes live five minutes
TOKEN_TTL = 7200
STABLE_ROTATE_BEFORE = 300  # stable_token pre-rotates five minutes before expiry


@dataclass(frozen=True)
class Fault:
    errcode: int | None
    status: int | None
    delay: float
    body: str | None


def new_session_key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


class SandboxStore:
    def __init__(self, path: str):
        self.path = path
        self._local = threading.local()
        self._conn().executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self):
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    # -- users -----------------------------------------------------------------------------

    def create_user(
        self,
        appid: str,
        openid: str | None = None,
        *,
        unionid: str | None = None,
        phone: str | None = None,
        country_code: str = "86",
        nickname: str | None = None,
        blocked: bool = False,
    ) -> dict:
        openid = openid or "o" + secrets.token_urlsafe(20)[:27]
        with self._tx() as db:
            db.execute(
                "INSERT INTO sim_users (appid, openid, unionid, phone, country_code, nickname, blocked, session_key, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (appid, openid) DO UPDATE SET"
                " unionid=coalesce(excluded.unionid, unionid), phone=coalesce(excluded.phone, phone),"
                " nickname=coalesce(excluded.nickname, nickname), blocked=excluded.blocked",
                (appid, openid, unionid, phone, country_code, nickname, int(blocked), new_session_key(), time.time()),
            )
        return self.known_user(appid, openid)

    def user(self, appid: str, openid: str) -> dict | None:
        row = self._conn().execute("SELECT * FROM sim_users WHERE appid=? AND openid=?", (appid, openid)).fetchone()
        return dict(row) if row else None

    def known_user(self, appid: str, openid: str) -> dict:
        """A user that must exist (one a code was issued for); LookupError otherwise."""
        user = self.user(appid, openid)
        if user is None:
            raise LookupError(f"no simulated user {appid}/{openid}")
        return user

    def users(self, appid: str) -> list[dict]:
        rows = self._conn().execute("SELECT * FROM sim_users WHERE appid=? ORDER BY created_at DESC LIMIT 200", (appid,))
        return [dict(r) for r in rows]

    # -- codes -----------------------------------------------------------------------------

    def mint_login_code(self, appid: str, openid: str, *, rotate: bool = True, age: float = 0) -> str:
        """A wx.login code. Like WeChat, issuing a code may rotate the user's session_key."""
        code = secrets.token_hex(16)
        with self._tx() as db:
            user = db.execute("SELECT session_key FROM sim_users WHERE appid=? AND openid=?", (appid, openid)).fetchone()
            if user is None:
                raise KeyError(openid)
            key = new_session_key() if rotate else user["session_key"]
            db.execute("UPDATE sim_users SET session_key=? WHERE appid=? AND openid=?", (key, appid, openid))
            db.execute(
                "INSERT INTO codes (code, kind, appid, openid, session_key, created_at) VALUES (?,?,?,?,?,?)",
                (code, "login", appid, openid, key, time.time() - age),
            )
        return code

    def reset_session_key(self, appid: str, openid: str) -> str:
        """A new session_key for the user (resetusersessionkey): the old one no longer signs."""
        key = new_session_key()
        with self._tx() as db:
            db.execute("UPDATE sim_users SET session_key=? WHERE appid=? AND openid=?", (key, appid, openid))
        return key

    def mint_phone_code(self, appid: str, openid: str, *, age: float = 0) -> str:
        code = secrets.token_hex(32)
        with self._tx() as db:
            db.execute(
                "INSERT INTO codes (code, kind, appid, openid, created_at) VALUES (?,?,?,?,?)",
                (code, "phone", appid, openid, time.time() - age),
            )
        return code

    def redeem(self, code: str, kind: str, appid: str) -> tuple[dict | None, int]:
        """Consume a code: (the code row, 0) or (None, WeChat errcode)."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM codes WHERE code=?", (code,)).fetchone()
            if row is None or row["kind"] != kind or time.time() - row["created_at"] > CODE_TTL:
                return None, 40029
            if row["appid"] != appid:
                return None, 40029 if kind == "login" else 40013
            if row["used_at"] is not None:
                return None, 40163 if kind == "login" else 40029
            db.execute("UPDATE codes SET used_at=? WHERE code=?", (time.time(), code))
            return dict(row), 0

    # -- access tokens -----------------------------------------------------------------------

    def issue_token(self, appid: str, kind: str, *, force: bool = False) -> tuple[str, int]:
        now = time.time()
        with self._tx() as db:
            if kind == "stable" and not force:
                row = db.execute(
                    "SELECT token, expires_at FROM access_tokens WHERE appid=? AND kind='stable' AND invalidated=0"
                    " AND expires_at - ? > ? ORDER BY expires_at DESC LIMIT 1",
                    (appid, now, STABLE_ROTATE_BEFORE),
                ).fetchone()
                if row:
                    return row["token"], int(row["expires_at"] - now)
            # A new token invalidates the previous ones of its kind (classic: always; stable: on force).
            db.execute("UPDATE access_tokens SET invalidated=1 WHERE appid=? AND kind=?", (appid, kind))
            token = "SBX_" + secrets.token_urlsafe(96)
            db.execute(
                "INSERT INTO access_tokens (token, appid, kind, expires_at, created_at) VALUES (?,?,?,?,?)",
                (token, appid, kind, now + TOKEN_TTL, now),
            )
            self._count(db, f"issued:{kind}")
        return token, TOKEN_TTL

    def check_token(self, token: str | None) -> tuple[str | None, int]:
        """(appid, 0) for a usable token, else (None, errcode)."""
        if not token:
            return None, 41001
        row = self._conn().execute("SELECT * FROM access_tokens WHERE token=?", (token,)).fetchone()
        if row is None or row["invalidated"]:
            return None, 40001
        if row["expires_at"] <= time.time():
            return None, 42001
        return row["appid"], 0

    def expire_tokens(self, appid: str | None, *, invalidate: bool = False) -> int:
        column = "invalidated=1" if invalidate else "expires_at=0"
        with self._tx() as db:
            if appid:
                return db.execute(f"UPDATE access_tokens SET {column} WHERE appid=?", (appid,)).rowcount  # noqa: S608 - fixed text
            return db.execute(f"UPDATE access_tokens SET {column}").rowcount  # noqa: S608 - fixed text

    # -- faults and counters -----------------------------------------------------------------

    def add_fault(
        self, endpoint: str, *, errcode: int | None, status: int | None, delay: float, body: str | None, count: int
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO faults (endpoint, errcode, status, delay, body, remaining) VALUES (?,?,?,?,?,?)",
                (endpoint, errcode, status, delay, body, count),
            )

    def clear_faults(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM faults")

    def take_fault(self, endpoint: str) -> Fault | None:
        with self._tx() as db:
            self._count(db, endpoint)
            row = db.execute(
                "SELECT * FROM faults WHERE (endpoint=? OR endpoint='*') AND remaining>0 ORDER BY id LIMIT 1", (endpoint,)
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE faults SET remaining=remaining-1 WHERE id=?", (row["id"],))
            return Fault(row["errcode"], row["status"], row["delay"], row["body"])

    @staticmethod
    def _count(db: sqlite3.Connection, name: str) -> None:
        db.execute(
            "INSERT INTO calls (endpoint, count) VALUES (?, 1) ON CONFLICT (endpoint) DO UPDATE SET count=count+1", (name,)
        )

    def stats(self) -> dict[str, int]:
        return {r["endpoint"]: r["count"] for r in self._conn().execute("SELECT * FROM calls")}

    def reset(self) -> None:
        with self._tx() as db:
            for table in ("sim_users", "codes", "access_tokens", "faults", "calls"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
