"""Delivering the outbox: claim due rows, sign and POST each, record every attempt.

Claiming is one UPDATE of rows picked with FOR UPDATE SKIP LOCKED on PostgreSQL (under the
writers' lock on SQLite), which sets a lease: several processes never send one row at the
same time, and a process killed mid-delivery leaves a lease that runs out, after which
another sends the row again (delivery is at least once; receivers dedupe on the event id).

A 2xx within TIMEOUT is delivered. Anything else is retried with exponential backoff and
full jitter, the first retry within FIRST_RETRY, until WXAUTH_WEBHOOK_RETRY_HOURS after the
event; then the row is failed. An operator can send any row again (`redeliver`).
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import or_, select, update

from wxauth import database, settings
from wxauth.api.serializers import iso, user_json
from wxauth.extensions import db
from wxauth.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from wxauth.models.base import table
from wxauth.webhooks import endpoints, signing
from wxauth.webhooks.outbox import typed_user

log = logging.getLogger("wxauth.webhooks")

TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
# Longer than the slowest attempt (connect, headers, an excerpt of the body), so a live
# sender never loses its lease mid-request.
LEASE = timedelta(seconds=30)
FIRST_RETRY = 10.0
MAX_DELAY = 3600.0
BATCH = 50
EXCERPT = 512
USER_AGENT = "wxauth-webhooks/1"

_http = requests.Session()
_http.mount("http://", HTTPAdapter(pool_maxsize=8, max_retries=0))
_http.mount("https://", HTTPAdapter(pool_maxsize=8, max_retries=0))
_http.trust_env = False  # receivers are the team's own services: never through an ambient proxy


@dataclass(frozen=True)
class Outcome:
    """What one attempt got."""

    delivered: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    excerpt: str | None


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try after `attempts` failed ones: full jitter over an
    exponential ceiling (FIRST_RETRY, 2×, 4×, … up to MAX_DELAY)."""
    ceiling = min(FIRST_RETRY * 2 ** (attempts - 1), MAX_DELAY)
    return (rng or random).uniform(ceiling / 2, ceiling)


def body(delivery: WebhookDelivery) -> bytes:
    """The JSON body of a delivery: {id, type, createdAt, appid, data: {user, …}}."""
    data = json.loads(delivery.payload)
    row = data.pop("user", None)
    user = user_json(typed_user(row)) if isinstance(row, dict) else None
    document = {
        "id": delivery.event_id,
        "type": delivery.type,
        "createdAt": iso(delivery.created_at),
        "appid": delivery.appid,
        "data": {"user": user, **data},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def send(url: str, secret: str, event_id: str, event_type: str, content: bytes) -> Outcome:
    """POST one signed body; never raises for the receiver's sake."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Wxauth-Event-Id": event_id,
        "Wxauth-Event-Type": event_type,
        "Wxauth-Signature": signing.signature(secret, content),
    }
    started = time.monotonic()
    try:
        with _http.post(
            url, data=content, headers=headers, timeout=(CONNECT_TIMEOUT, TIMEOUT), allow_redirects=False, stream=True
        ) as resp:
            answered = time.monotonic() - started
            excerpt = b""
            for chunk in resp.iter_content(EXCERPT):
                excerpt += chunk
                if len(excerpt) >= EXCERPT or time.monotonic() - started > TIMEOUT:
                    break
            ok = 200 <= resp.status_code < 300 and answered <= TIMEOUT
            error = None if ok else ("no answer within 10 s" if answered > TIMEOUT else f"HTTP {resp.status_code}")
            text = excerpt[:EXCERPT].decode("utf-8", "replace") or None
            return Outcome(ok, resp.status_code, _ms(started), error, text)
    except requests.RequestException as exc:
        return Outcome(False, None, _ms(started), _describe(exc), None)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "could not connect"
    return type(exc).__name__


def has_due(now: datetime) -> bool:
    """Whether any row is due (one indexed read, no lock: the poll of an idle process)."""
    d = table(WebhookDelivery)
    due = db.session.scalar(select(d.c.id).where(*_due(now)).limit(1))
    db.session.commit()
    return due is not None


def _due(now: datetime):
    d = table(WebhookDelivery)
    return (d.c.status == "pending", d.c.next_attempt_at <= now, or_(d.c.claimed_until.is_(None), d.c.claimed_until < now))


def claim(owner: str, now: datetime, limit: int = BATCH) -> list[int]:
    """Lease up to `limit` due rows to `owner`; returns their ids."""
    d = table(WebhookDelivery)
    picked = select(d.c.id).where(*_due(now)).order_by(d.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
    with database.writing(db.engine):
        ids = db.session.scalars(
            update(d)
            .where(d.c.id.in_(picked.scalar_subquery()))
            .values(claimed_by=owner, claimed_until=now + LEASE)
            .returning(d.c.id)
        ).all()
        db.session.commit()
    return list(ids)


def deliver_due(*, now: datetime | None = None, owner: str | None = None, limit: int = BATCH) -> int:
    """Send every due row this call claims (at most `limit`), then record them all in one
    transaction; returns how many it tried."""
    owner = owner or secrets.token_hex(8)
    now = now or utcnow()
    if not has_due(now):
        return 0
    ids = claim(owner, now, limit)
    rows = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id)).all()
    tried = [_try(row, final=False) for row in rows]
    _record(owner, tried, now)
    return len(ids)


def attempt(delivery_id: int, owner: str, *, final: bool = False) -> Outcome | None:
    """Try one claimed row now and record what happened (`final`: fail it rather than retry)."""
    row = db.session.get(WebhookDelivery, delivery_id)
    if row is None:
        db.session.rollback()
        return None
    tried = _try(row, final=final)
    _record(owner, [tried], None)
    return tried[1]


def _try(delivery: WebhookDelivery, *, final: bool) -> tuple[WebhookDelivery, Outcome, bool]:
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or endpoint.removed_at is not None:
        return delivery, Outcome(False, None, 0, "endpoint removed", None), True
    url, secret, content = endpoint.url, endpoints.secret_of(endpoint), body(delivery)
    db.session.commit()  # no transaction stays open across the HTTP call
    outcome = send(url, secret, delivery.event_id, delivery.type, content)
    if not outcome.delivered:
        log.info("webhook %s to %s failed: %s", delivery.event_id, url, outcome.error)
    return delivery, outcome, final


def _record(owner: str, tried: list[tuple[WebhookDelivery, Outcome, bool]], now: datetime | None) -> None:
    """Every attempt's row, and each delivery's new state, in one write transaction."""
    if not tried:
        return
    at = now or utcnow()
    retry_for = timedelta(hours=settings.current().webhook_retry_hours)
    d = table(WebhookDelivery)
    with database.writing(db.engine):
        for delivery, outcome, final in tried:
            attempts = delivery.attempts + 1
            values: dict = {"attempts": attempts, "last_status": outcome.status_code, "claimed_by": None, "claimed_until": None}
            if outcome.delivered:
                values.update(status="delivered", delivered_at=at)
            else:
                delay = timedelta(seconds=backoff(attempts))
                if final or at + delay > delivery.created_at + retry_for:
                    values.update(status="failed")
                else:
                    values.update(status="pending", next_attempt_at=at + delay)
            db.session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    created_at=at,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    error=(outcome.error or "")[:256] or None,
                    response_excerpt=outcome.excerpt,
                )
            )
            db.session.execute(update(d).where(d.c.id == delivery.id, d.c.claimed_by == owner).values(**values))
        db.session.commit()


def redeliver(delivery_id: int) -> bool:
    """Queue one row to be sent again now, whatever became of it; commits."""
    d = table(WebhookDelivery)
    with database.writing(db.engine):
        result = db.session.execute(
            update(d)
            .where(d.c.id == delivery_id)
            .values(status="pending", next_attempt_at=utcnow(), claimed_by=None, claimed_until=None)
        )
        db.session.commit()
    from wxauth.webhooks import dispatcher

    dispatcher.wake()
    return database.rowcount(result) == 1
