"""What the team's other services use: service clients, JWT signing keys, webhooks."""

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wxauth.models.base import Base
from wxauth.models.users import BigIntId


class ServiceClient(Base):
    """A service of the team that calls wxauth with HTTP Basic (client_id, client_secret)."""

    __tablename__ = "service_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    # SHA-256 of the secret: it is 32 random bytes, so a slow hash would add nothing but cost.
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(256))  # space-separated
    created_at: Mapped[datetime]
    revoked_at: Mapped[Optional[datetime]]
    last_used_at: Mapped[Optional[datetime]]

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class SigningKey(Base):
    """A JWT signing key pair, shared by every instance; the newest unretired one signs."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(32), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[str] = mapped_column(Text)
    private_ciphertext: Mapped[str] = mapped_column(Text)  # sealed under SECRET_KEY
    created_at: Mapped[datetime]
    retired_at: Mapped[Optional[datetime]]


class WebhookEndpoint(Base):
    """A receiver of signed webhook events."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    # ",user.created,user.deleted,": matched with LIKE '%,type,%' by the outbox's INSERT … SELECT.
    events: Mapped[str] = mapped_column(String(256))
    secret_ciphertext: Mapped[str] = mapped_column(Text)  # sealed: it must be read back to sign
    created_at: Mapped[datetime]
    removed_at: Mapped[Optional[datetime]]

    @property
    def event_list(self) -> list[str]:
        return [e for e in self.events.split(",") if e]


class WebhookDelivery(Base):
    """The outbox: one event for one endpoint, written in the transaction of the change it
    reports, then delivered (at least once) by whichever process claims it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "created_at"),
        Index("ix_webhook_deliveries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), index=True)  # shared by the event's deliveries
    type: Mapped[str] = mapped_column(String(32))
    appid: Mapped[Optional[str]] = mapped_column(String(32))
    user_id: Mapped[Optional[int]] = mapped_column(BigIntId)  # no foreign key: user.deleted outlives the user
    payload: Mapped[str] = mapped_column(Text)  # {"user": {column: value}, …} as written (see webhooks.outbox)
    created_at: Mapped[datetime]
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[Optional[str]] = mapped_column(String(32))
    claimed_until: Mapped[Optional[datetime]]
    delivered_at: Mapped[Optional[datetime]]
    last_status: Mapped[Optional[int]] = mapped_column(SmallInteger)


class WebhookAttempt(Base):
    """One try at a delivery: what the receiver answered, and how fast."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    status_code: Mapped[Optional[int]] = mapped_column(SmallInteger)
    latency_ms: Mapped[int]
    error: Mapped[Optional[str]] = mapped_column(String(256))
    response_excerpt: Mapped[Optional[str]] = mapped_column(String(512))
