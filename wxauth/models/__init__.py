"""All models, imported here so Alembic and the app see one metadata."""

from wxauth.models.audit import AccountDeletion, AuditEvent, PhoneReveal
from wxauth.models.base import Base, utcnow
from wxauth.models.events import Failure, LoginEvent, PhoneBind
from wxauth.models.integrations import ServiceClient, SigningKey, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from wxauth.models.operators import DashboardSession, Operator, RecoveryCode, SignInThrottle
from wxauth.models.rollups import ActivityCount, ActivityRollup, OverviewTotals
from wxauth.models.sessions import ApiSession
from wxauth.models.tokens import AccessToken
from wxauth.models.users import ProvisionedPhone, User

__all__ = [
    "AccessToken",
    "AccountDeletion",
    "ActivityCount",
    "ActivityRollup",
    "ApiSession",
    "AuditEvent",
    "Base",
    "DashboardSession",
    "Failure",
    "LoginEvent",
    "Operator",
    "OverviewTotals",
    "PhoneBind",
    "PhoneReveal",
    "ProvisionedPhone",
    "RecoveryCode",
    "ServiceClient",
    "SignInThrottle",
    "SigningKey",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
]
