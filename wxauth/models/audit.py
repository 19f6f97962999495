"""The audit trail of what operators did to users' private data."""

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wxauth.models.base import Base
from wxauth.models.users import BigIntId


class PhoneReveal(Base):
    """An operator looked at a user's full phone number."""

    __tablename__ = "phone_reveals"
    __table_args__ = (
        Index("ix_phone_reveals_created_at", "created_at"),
        Index("ix_phone_reveals_user_id", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    created_at: Mapped[datetime]
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"), index=True)
    # No foreign key on purpose: the record of who saw a number outlives the user's row.
    user_id: Mapped[int] = mapped_column(BigIntId)


class AuditEvent(Base):
    """Something an operator did, or tried: every sign-in attempt, reveal, export, revocation,
    deletion and change of accounts, clients, webhooks or settings (wxauth.services.audit).

    Rows are only ever added: nothing in the app edits one, and only the retention purge
    (`--audit-older-than`) deletes them.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_created_at", "created_at"),
        Index("ix_audit_events_action", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    created_at: Mapped[datetime]
    # None for a sign-in attempt at a name no operator has.
    operator_id: Mapped[Optional[int]] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"), index=True)
    # The name as the operator had it, or as it was typed at sign-in.
    username: Mapped[Optional[str]] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    # What it was about, never a secret and never a whole phone number (those are masked).
    detail: Mapped[Optional[str]] = mapped_column(String(256))
    ip: Mapped[Optional[str]] = mapped_column(String(64))


class AccountDeletion(Base):
    """A user account that was deleted: when, in which app and who asked. Nothing in it
    identifies the person: their row, profile, phone and openid are gone."""

    __tablename__ = "account_deletions"
    __table_args__ = (Index("ix_account_deletions_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    created_at: Mapped[datetime]
    appid: Mapped[str] = mapped_column(String(32))
    # The id the user had; no foreign key, since the row is deleted.
    user_id: Mapped[int] = mapped_column(BigIntId)
    requested_by: Mapped[str] = mapped_column(String(16))  # "user" or "operator"
    operator_id: Mapped[Optional[int]] = mapped_column(ForeignKey("operators.id", ondelete="RESTRICT"))
