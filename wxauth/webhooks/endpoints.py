"""Webhook endpoints: where events go, which events, and the secret that signs them.

The secret is shown once, at creation, and stored sealed under SECRET_KEY: unlike a client
secret it must be read back, to sign each delivery.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select, update

from wxauth import settings
from wxauth.extensions import db
from wxauth.models import WebhookEndpoint, utcnow
from wxauth.security import seal, unseal
from wxauth.webhooks.outbox import EVENTS

PURPOSE = "webhook-secret"
URL_MAX = 2048


class EndpointError(ValueError):
    """An endpoint cannot be added as asked (the message says why)."""


@dataclass(frozen=True)
class Added:
    """A new endpoint and its secret (shown once)."""

    endpoint: WebhookEndpoint
    secret: str


def add(url: str, events: list[str] | tuple[str, ...]) -> Added:
    """Add an endpoint for `events`; commits. EndpointError for a bad URL or event, or a URL
    already subscribed."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > URL_MAX:
        raise EndpointError("The URL must be an absolute http:// or https:// URL.")
    if parts.username or parts.password:
        raise EndpointError("Put no credentials in the URL: receivers check the signature instead.")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise EndpointError(f"Unknown event {', '.join(unknown)}: use {', '.join(EVENTS)}.")
    if not events:
        raise EndpointError(f"Subscribe to at least one event ({', '.join(EVENTS)}).")
    if find(url) is not None:
        raise EndpointError(f"{url} is subscribed already; remove it first.")
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=url,
        events="," + ",".join(e for e in EVENTS if e in events) + ",",
        secret_ciphertext=seal(settings.current().secret_key, PURPOSE, secret),
        created_at=utcnow(),
    )
    db.session.add(endpoint)
    db.session.commit()
    return Added(endpoint, secret)


def find(url: str) -> WebhookEndpoint | None:
    """The live endpoint at `url`."""
    return db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.url == url, WebhookEndpoint.removed_at.is_(None)))


def get(endpoint_id: int) -> WebhookEndpoint | None:
    """The endpoint `endpoint_id`, live or removed."""
    return db.session.get(WebhookEndpoint, endpoint_id)


def listed(*, live_only: bool = True) -> list[WebhookEndpoint]:
    """Endpoints, oldest first."""
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    if live_only:
        query = query.where(WebhookEndpoint.removed_at.is_(None))
    rows = list(db.session.scalars(query).all())
    db.session.commit()
    return rows


def remove(url_or_id: str | int) -> bool:
    """Stop sending to an endpoint (its pending deliveries end as failed when next due);
    commits. False when no live endpoint matched."""
    where = WebhookEndpoint.id == url_or_id if isinstance(url_or_id, int) else WebhookEndpoint.url == url_or_id
    result = db.session.execute(
        update(WebhookEndpoint).where(where, WebhookEndpoint.removed_at.is_(None)).values(removed_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def secret_of(endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret, unsealed."""
    return unseal(settings.current().secret_key, PURPOSE, endpoint.secret_ciphertext)
