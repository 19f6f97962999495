"""The operators' audit trail: who did what, when and from where. Entries are only added.

`add` puts an entry in the current transaction, so that it commits with the change it
records (or not at all); `record` commits it on its own, for what changes nothing else
(a sign-in attempt, a denied request, an export).
"""

from __future__ import annotations

from wxauth.extensions import db
from wxauth.models import AuditEvent, Operator, utcnow
from wxauth.services import ClientInfo

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_LOCKED = "sign_in_locked"
MFA_FAILED = "mfa_failed"
SIGN_OUT = "sign_out"
FORBIDDEN = "forbidden"
PHONE_REVEAL = "phone_reveal"
PHONE_SEARCH = "phone_search"
SESSION_REVOKE = "session_revoke"
EXPORT = "export"
ACCOUNT_DELETE = "account_delete"
PROVISION = "provision"
CLIENT_CREATE = "client_create"
CLIENT_REVOKE = "client_revoke"
WEBHOOK_ADD = "webhook_add"
WEBHOOK_REMOVE = "webhook_remove"
WEBHOOK_TEST = "webhook_test"
WEBHOOK_REDELIVER = "webhook_redeliver"
OPERATOR_CREATE = "operator_create"
OPERATOR_ROLE = "operator_role"
OPERATOR_DISABLE = "operator_disable"
OPERATOR_ENABLE = "operator_enable"
MFA_ENABLE = "mfa_enable"
MFA_RESET = "mfa_reset"
PASSWORD_CHANGE = "password_change"  # noqa: S105 - an action's name
PASSWORD_RESET = "password_reset"  # noqa: S105 - an action's name
OWN_SESSION_END = "dashboard_session_end"
SETTINGS_CHANGE = "settings_change"

# Every action, in the order the audit page's filter lists them.
ACTIONS = (
    SIGN_IN,
    SIGN_IN_FAILED,
    SIGN_IN_LOCKED,
    MFA_FAILED,
    SIGN_OUT,
    FORBIDDEN,
    PHONE_REVEAL,
    PHONE_SEARCH,
    SESSION_REVOKE,
    EXPORT,
    ACCOUNT_DELETE,
    PROVISION,
    CLIENT_CREATE,
    CLIENT_REVOKE,
    WEBHOOK_ADD,
    WEBHOOK_REMOVE,
    WEBHOOK_TEST,
    WEBHOOK_REDELIVER,
    OPERATOR_CREATE,
    OPERATOR_ROLE,
    OPERATOR_DISABLE,
    OPERATOR_ENABLE,
    MFA_ENABLE,
    MFA_RESET,
    PASSWORD_CHANGE,
    PASSWORD_RESET,
    OWN_SESSION_END,
    SETTINGS_CHANGE,
)


def add(
    operator: Operator | None, action: str, detail: str | None, client: ClientInfo, *, username: str | None = None
) -> AuditEvent:
    """Put one entry in the current transaction (the caller's commit writes it)."""
    event = AuditEvent(
        created_at=utcnow(),
        operator_id=operator.id if operator is not None else None,
        username=(username if username is not None else operator.username if operator is not None else None),
        action=action,
        detail=(detail or "")[:256] or None,
        ip=client.ip,
    )
    db.session.add(event)
    return event


def record(
    operator: Operator | None, action: str, detail: str | None, client: ClientInfo, *, username: str | None = None
) -> None:
    """Add one entry and commit."""
    add(operator, action, detail, client, username=username)
    db.session.commit()
