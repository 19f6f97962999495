"""What happened: login attempts and failed decryptions / phone exchanges."""

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wxauth.models.base import Base
from wxauth.models.users import BigIntId


class LoginEvent(Base):
    """One row per login attempt, success or failure."""

    __tablename__ = "login_events"
    __table_args__ = (
        Index("ix_login_events_created_at", "created_at"),
        Index("ix_login_events_user_id", "user_id", "created_at"),
        Index("ix_login_events_outcome", "outcome", "created_at"),
        Index("ix_login_events_appid", "appid", "created_at"),
        Index("ix_login_events_openid", "openid", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    created_at: Mapped[datetime]
    appid: Mapped[Optional[str]] = mapped_column(String(32))
    openid: Mapped[Optional[str]] = mapped_column(String(64))
    user_id: Mapped[Optional[int]] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="SET NULL"))
    # "success" or our error code (invalid_code, wechat_unavailable, ...).
    outcome: Mapped[str] = mapped_column(String(32))
    wechat_errcode: Mapped[Optional[int]] = mapped_column(Integer)
    upstream_ms: Mapped[Optional[int]] = mapped_column(Integer)
    is_new_user: Mapped[bool] = mapped_column(default=False)
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(String(256))
    request_id: Mapped[Optional[str]] = mapped_column(String(64))


class Failure(Base):
    """One row per failed decryption, signature check or phone exchange.

    Never holds the key, the ciphertext or the plaintext: only what classifies the failure.
    """

    __tablename__ = "failures"
    __table_args__ = (
        Index("ix_failures_created_at", "created_at"),
        Index("ix_failures_user_id", "user_id", "created_at"),
        Index("ix_failures_kind_reason", "kind", "reason", "created_at"),
        # The overview's commonest phone-code failures of 30 days, read from the index alone.
        Index("ix_failures_kind_created_at", "kind", "created_at", "reason", "wechat_errcode"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    created_at: Mapped[datetime]
    appid: Mapped[Optional[str]] = mapped_column(String(32))
    user_id: Mapped[Optional[int]] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="SET NULL"))
    # phone_code | phone_encrypted | userinfo_encrypted | signature
    kind: Mapped[str] = mapped_column(String(32))
    # see wxauth.wechat.crypto.REASONS, plus "wechat_errcode"
    reason: Mapped[str] = mapped_column(String(32))
    wechat_errcode: Mapped[Optional[int]] = mapped_column(Integer)
    session_key_age_s: Mapped[Optional[int]] = mapped_column(Integer)
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(String(256))
    request_id: Mapped[Optional[str]] = mapped_column(String(64))


class PhoneBind(Base):
    """One row per phone number successfully bound to a user.

    With the phone_code failures this counts getuserphonenumber calls exactly: each
    successful call is billed to the mini-program's owner.
    """

    __tablename__ = "phone_binds"
    __table_args__ = (Index("ix_phone_binds_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    created_at: Mapped[datetime]
    appid: Mapped[Optional[str]] = mapped_column(String(32))
    user_id: Mapped[Optional[int]] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="SET NULL"))
    # "code" (getuserphonenumber, billed) or "encrypted" (legacy data, decrypted locally)
    method: Mapped[str] = mapped_column(String(16))
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(String(256))
    # The request that bound it, like the other event rows (set where requests carry an id).
    request_id: Mapped[Optional[str]] = mapped_column(String(64))
