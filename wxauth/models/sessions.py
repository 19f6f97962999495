"""API sessions: the server side of every token we hand out."""

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wxauth.models.base import Base
from wxauth.models.users import BigIntId, User


class ApiSession(Base):
    __tablename__ = "api_sessions"
    __table_args__ = (Index("ix_api_sessions_user_id", "user_id", "created_at"),)

    # Random, unguessable; the signed token carries it.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[Optional[datetime]]
    last_seen_at: Mapped[datetime]
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(String(256))
    # JWT sessions only: the session is the refresh-token family. Its refresh token carries
    # the generation it was issued at; an older generation presented again is a reuse.
    refresh_generation: Mapped[Optional[int]]
    refresh_salt: Mapped[Optional[str]] = mapped_column(String(32))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
