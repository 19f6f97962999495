"""WeChat access_tokens, one per appid, shared by every process through the database."""

from datetime import datetime
from typing import Optional

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wxauth.models.base import Base


class AccessToken(Base):
    __tablename__ = "wechat_access_tokens"

    appid: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Encrypted like session_key: a leaked database dump should not hand out API access.
    token_ciphertext: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    fetched_at: Mapped[datetime]
    # A short lease held by the one process refreshing the token (see wxauth.wechat.tokens).
    lease_owner: Mapped[Optional[str]] = mapped_column(String(32))
    lease_until: Mapped[Optional[datetime]]
