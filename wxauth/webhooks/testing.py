"""A webhook.test event: queued like any other, then sent to its one endpoint at once."""

from __future__ import annotations

import secrets

from wxauth import database
from wxauth.extensions import db
from wxauth.models import WebhookDelivery, WebhookEndpoint, utcnow
from wxauth.webhooks import delivery
from wxauth.webhooks.outbox import TEST_EVENT, new_event_id, payload


def send_test(endpoint: WebhookEndpoint) -> delivery.Outcome:
    """Queue a webhook.test delivery to `endpoint` and try it now (recorded like the others)."""
    owner = secrets.token_hex(8)
    now = utcnow()
    with database.writing(db.engine):
        row = WebhookDelivery(
            event_id=new_event_id(),
            type=TEST_EVENT,
            appid=None,
            user_id=None,
            payload=payload(None, test=True),
            created_at=now,
            endpoint_id=endpoint.id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            claimed_by=owner,
            claimed_until=now + delivery.LEASE,
        )
        db.session.add(row)
        db.session.commit()
        delivery_id = row.id
    outcome = delivery.attempt(delivery_id, owner, final=True)
    if outcome is None:
        raise RuntimeError("the test delivery vanished")
    return outcome
