"""Fill the database with simulated users, logins, failures, phone binds and sessions.

Activity follows a mini-program's usual shape: growing over the period, busier at weekends,
peaking at lunch and in the evening (China time). Rows go in with set-based inserts, a
batch of users and everything that happened to them at a time.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from wxauth import settings
from wxauth.demo import people
from wxauth.extensions import db
from wxauth.models import ApiSession, Failure, LoginEvent, PhoneBind, User, utcnow
from wxauth.wechat import crypto

BATCH = 500
CHINA = ZoneInfo("Asia/Shanghai")
# Share of activity per local hour: quiet nights, a lunch peak and an evening peak.
HOURS = [2, 1, 1, 1, 1, 2, 4, 7, 9, 9, 10, 12, 14, 12, 10, 10, 10, 11, 13, 16, 18, 17, 12, 6]
WEEKDAYS = [0.9, 0.9, 0.95, 1.0, 1.1, 1.35, 1.3]  # Monday first
# (outcome, errcode, weight) of failed logins
LOGIN_FAILURES = [
    ("invalid_code", 40029, 45),
    ("invalid_code", 40163, 20),
    ("wechat_unavailable", -1, 8),
    ("wechat_unavailable", None, 6),
    ("rate_limited", 45011, 5),
    ("user_blocked", 40226, 5),
    ("decrypt_failed", None, 7),
    ("invalid_signature", None, 4),
]
# (kind, reason, errcode, weight) of failed phone binds
PHONE_FAILURES = [
    ("phone_code", "wechat_errcode", 40029, 30),
    ("phone_code", "wechat_errcode", 45011, 4),
    ("phone_code", "wechat_unavailable", None, 5),
    ("phone_encrypted", crypto.BAD_PADDING, None, 25),
    ("phone_encrypted", crypto.NOT_JSON, None, 3),
    ("phone_encrypted", crypto.NO_SESSION_KEY, None, 6),
    ("phone_encrypted", crypto.WATERMARK_EXPIRED, None, 2),
    ("phone_encrypted", crypto.BAD_BASE64, None, 2),
]


@dataclass
class Counts:
    users: int = 0
    logins: int = 0
    failures: int = 0
    phone_binds: int = 0
    sessions: int = 0


@dataclass
class Batch:
    users: list[dict] = field(default_factory=list)
    logins: list[list[dict]] = field(default_factory=list)  # per user, user_id filled in later
    failures: list[list[dict]] = field(default_factory=list)
    binds: list[list[dict]] = field(default_factory=list)
    sessions: list[list[dict]] = field(default_factory=list)
    anonymous: list[tuple[dict, dict | None]] = field(
        default_factory=list
    )  # failed logins that never reached a user (event, failure)


class Simulation:
    def __init__(self, days: int, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.start = now - timedelta(days=days)
        self.apps = list(settings.apps().appids)
        self.ttl = timedelta(seconds=settings.current().token_ttl)
        first_day = self.start.astimezone(CHINA).date()
        self.days = [first_day + timedelta(days=i) for i in range(days + 1)]
        # Growth from half to one and a half times the average, times the weekday shape.
        self.day_weights = [(0.5 + i / max(1, days)) * WEEKDAYS[day.weekday()] for i, day in enumerate(self.days)]

    def moment(self) -> datetime:
        """A random moment in the period, shaped by day and hour."""
        rng = self.rng
        for _ in range(20):
            day = rng.choices(self.days, self.day_weights)[0]
            hour = rng.choices(range(24), HOURS)[0]
            local = datetime(
                day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), rng.randrange(10**6), CHINA
            )
            when = local.astimezone(self.now.tzinfo)
            if self.start <= when <= self.now:
                return when
        return self.now - timedelta(seconds=rng.randrange(3600))

    def later(self, after: datetime, mean_days: float = 2.0) -> datetime:
        """A moment after `after` (mean_days later on average), at a likely hour of the day."""
        rng = self.rng
        when = (after + timedelta(days=rng.expovariate(1 / mean_days))).astimezone(CHINA)
        when = when.replace(hour=rng.choices(range(24), HOURS)[0], minute=rng.randrange(60))
        return max(when.astimezone(self.now.tzinfo), after + timedelta(minutes=1))

    def returns(self, created: datetime) -> list[datetime]:
        """When a user came back: regulars every day or two, the rest now and then, and
        after each visit some never return (so recent users have fewer visits so far)."""
        rng = self.rng
        mean_days = rng.choice((1.0, 1.5, 3.0, 7.0, 14.0))
        times: list[datetime] = []
        when = created
        while rng.random() > 0.12 and len(times) < 60:
            when = self.later(when, mean_days)
            if when > self.now:
                break
            times.append(when)
        return times

    def client(self) -> dict:
        return {"ip": people.ip(self.rng), "user_agent": people.user_agent(self.rng)[:256]}

    def user(self, batch: Batch) -> None:
        rng = self.rng
        created = self.moment()
        appid = self.apps[0] if len(self.apps) == 1 or rng.random() < 0.7 else rng.choice(self.apps)
        openid = people.wechat_id(rng)
        device = self.client()
        returns = self.returns(created)
        logins = [self.login(created, appid, openid, device, new=True)] + [
            self.login(t, appid, openid, device if rng.random() < 0.9 else self.client()) for t in returns
        ]
        last_login = max(e["created_at"] for e in logins)
        binds, failures = self.phone(created, appid, device)
        bound = binds[-1]["created_at"] if binds else None
        country, number = people.mobile(rng) if bound else (None, None)
        batch.users.append(
            {
                "appid": appid,
                "openid": openid,
                "unionid": people.wechat_id(rng) if rng.random() < 0.6 else None,
                "nickname": people.nickname(rng),
                "avatar_url": people.avatar_url(rng),
                "gender": rng.choices((0, 1, 2), (80, 10, 10))[0],
                "phone_country_code": country,
                "phone_number": number,
                "phone_bound_at": bound,
                "created_at": created,
                "last_login_at": last_login,
                "session_key_ciphertext": None,
                "session_key_issued_at": last_login,
            }
        )
        batch.logins.append(logins)
        batch.binds.append(binds)
        batch.failures.append(failures)
        batch.sessions.append(self.sessions(logins, device))
        # Some attempts fail before WeChat names a user: a bad or reused code, WeChat down.
        for _ in range(int(rng.random() < 0.06) + int(rng.random() < 0.02)):
            when = self.later(created, 5.0)
            if when <= self.now:
                batch.anonymous.append(self.failed_login(when, appid, openid))

    def login(self, when: datetime, appid: str, openid: str, device: dict, new: bool = False) -> dict:
        latency = int(self.rng.lognormvariate(math.log(85), 0.45))
        return {
            "created_at": when,
            "appid": appid,
            "openid": openid,
            "outcome": "success",
            "wechat_errcode": None,
            "upstream_ms": latency,
            "is_new_user": new,
            **device,
        }

    def failed_login(self, when: datetime, appid: str, openid: str) -> tuple[dict, dict | None]:
        rng = self.rng
        outcome, errcode, _ = rng.choices(LOGIN_FAILURES, [w for *_, w in LOGIN_FAILURES])[0]
        device = self.client()
        reached = outcome in ("decrypt_failed", "invalid_signature")  # code2Session worked
        latency = 10000 if outcome == "wechat_unavailable" and errcode is None else int(rng.lognormvariate(math.log(85), 0.5))
        event = {
            "created_at": when,
            "appid": appid,
            "openid": openid if reached else None,
            "user_id": None,
            "outcome": outcome,
            "wechat_errcode": errcode,
            "upstream_ms": latency,
            "is_new_user": False,
            **device,
        }
        failure = None
        if reached:
            kind, reason = (
                ("signature", "signature_mismatch")
                if outcome == "invalid_signature"
                else ("userinfo_encrypted", rng.choice([crypto.BAD_PADDING, crypto.BAD_PADDING, crypto.NOT_JSON]))
            )
            failure = {
                "created_at": when,
                "appid": appid,
                "user_id": None,
                "kind": kind,
                "reason": reason,
                "wechat_errcode": None,
                "session_key_age_s": 0,
                **device,
            }
        return event, failure

    def phone(self, created: datetime, appid: str, device: dict) -> tuple[list[dict], list[dict]]:
        """The user's phone binds and failed attempts (user_id filled in later)."""
        rng = self.rng
        roll = rng.random()
        if roll > 0.52:
            return [], []
        when = created + timedelta(seconds=rng.randint(20, 900))
        if when > self.now:
            return [], []
        failures = []
        for _ in range(rng.choices((0, 1, 2), (80, 15, 5))[0]):
            kind, reason, errcode, _ = rng.choices(PHONE_FAILURES, [w for *_, w in PHONE_FAILURES])[0]
            # A stale key fails seconds after wx.login re-issued it; no key has no age.
            age = (
                None
                if reason == crypto.NO_SESSION_KEY
                else (rng.randint(0, 8) if reason in (crypto.BAD_PADDING, crypto.NOT_JSON) else rng.randint(30, 4000))
            )
            failures.append(
                {
                    "created_at": when,
                    "appid": appid,
                    "kind": kind,
                    "reason": reason,
                    "wechat_errcode": errcode,
                    "session_key_age_s": age if kind == "phone_encrypted" else None,
                    **device,
                }
            )
            when += timedelta(seconds=rng.randint(5, 120))
        if roll > 0.46 or when > self.now:
            return [], failures  # gave up
        method = "code" if rng.random() < 0.85 else "encrypted"
        return [{"created_at": when, "appid": appid, "method": method, **device}], failures

    def sessions(self, logins: list[dict], device: dict) -> list[dict]:
        """The sessions of the last one or two logins (older ones have long expired)."""
        rows = []
        for event in sorted(logins, key=lambda e: e["created_at"])[-2:]:
            started = event["created_at"]
            if started + self.ttl < self.now - timedelta(days=7):
                continue
            rows.append(
                {
                    "id": secrets.token_urlsafe(16),
                    "created_at": started,
                    "expires_at": started + self.ttl,
                    "last_seen_at": min(self.now, started + timedelta(minutes=self.rng.randint(1, 240))),
                    "revoked_at": started + timedelta(hours=1) if self.rng.random() < 0.08 else None,
                    "ip": event["ip"],
                    "user_agent": event["user_agent"],
                }
            )
        return rows


def _with_user(groups: list[list[dict]], ids: list[int]) -> list[dict]:
    return [{**row, "user_id": user_id} for user_id, rows in zip(ids, groups, strict=True) for row in rows]


def _insert(batch: Batch, counts: Counts) -> None:
    ids = list(db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), batch.users))
    logins = _with_user(batch.logins, ids) + [event for event, _ in batch.anonymous]
    failures = _with_user(batch.failures, ids) + [f for _, f in batch.anonymous if f is not None]
    binds = _with_user(batch.binds, ids)
    sessions = _with_user(batch.sessions, ids)
    for model, rows in ((LoginEvent, logins), (Failure, failures), (PhoneBind, binds), (ApiSession, sessions)):
        if rows:
            db.session.execute(insert(model), rows)
    db.session.commit()
    counts.users += len(ids)
    counts.logins += len(logins)
    counts.failures += len(failures)
    counts.phone_binds += len(binds)
    counts.sessions += len(sessions)


def has_users() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


def seed(users: int, days: int = 60, rng_seed: int | None = None, progress: Callable[[int], None] = lambda n: None) -> Counts:
    """Add `users` simulated users with `days` days of history; report progress per batch."""
    sim = Simulation(days, random.Random(rng_seed), utcnow())  # noqa: S311 - simulated data, no secret
    counts = Counts()
    for start in range(0, users, BATCH):
        batch = Batch()
        size = min(BATCH, users - start)
        for _ in range(size):
            sim.user(batch)
        _insert(batch, counts)
        progress(size)
    return counts
