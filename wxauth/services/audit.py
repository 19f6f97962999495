"""The operators' audit trail: what they did, when and from where. Entries are only added."""

from __future__ import annotations

from wxauth.extensions import db
from wxauth.models import AuditEvent, Operator, utcnow
from wxauth.services import ClientInfo

PHONE_SEARCH = "phone_search"
ACCOUNT_DELETE = "account_delete"
PROVISION = "provision"
CLIENT_CREATE = "client_create"
CLIENT_REVOKE = "client_revoke"
WEBHOOK_ADD = "webhook_add"
WEBHOOK_REMOVE = "webhook_remove"
WEBHOOK_TEST = "webhook_test"
WEBHOOK_REDELIVER = "webhook_redeliver"


def record(operator: Operator, action: str, detail: str | None, client: ClientInfo) -> None:
    """Add one audit entry; commits."""
    db.session.add(
        AuditEvent(created_at=utcnow(), operator_id=operator.id, action=action, detail=(detail or "")[:256] or None, ip=client.ip)
    )
    db.session.commit()
