"""Mini-program users: one row per (appid, openid)."""

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from wxauth.models.base import Base

# BIGINT on PostgreSQL, but plain INTEGER on SQLite so the key is a rowid alias.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("appid", "openid"),
        Index("ix_users_created_at", "created_at"),
        # The dashboard's lists: newest first within one app, and search by openid alone.
        Index("ix_users_appid_created_at", "appid", "created_at"),
        Index("ix_users_openid", "openid"),
        # Operators find a user by the last 4 digits of the phone; the query must spell the
        # expression exactly like this (see wxauth.dashboard.queries.PHONE_LAST4).
        Index("ix_users_phone_last4", text("substr(phone_number, length(phone_number) - 3)")),
        # Search by part of a nickname (lower(nickname) LIKE '%…%'): a trigram index on
        # PostgreSQL, where a million users otherwise cost a full scan per search. SQLite has
        # no such index; it scans.
        Index(
            "ix_users_nickname_trgm",
            text("lower(nickname) gin_trgm_ops"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
        # SQLite would reuse a deleted user's id for the next user (see the account_deletions migration).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    appid: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str] = mapped_column(String(64))
    unionid: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    nickname: Mapped[Optional[str]] = mapped_column(String(64))
    avatar_url: Mapped[Optional[str]] = mapped_column(String(512))
    gender: Mapped[int] = mapped_column(SmallInteger, default=0)
    phone_country_code: Mapped[Optional[str]] = mapped_column(String(8))
    phone_number: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    phone_bound_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime]
    # The current WeChat session_key, AES-GCM encrypted (see wxauth.security). Deferred so
    # that listing users never even loads the ciphertext.
    session_key_ciphertext: Mapped[Optional[str]] = deferred(mapped_column(Text))
    session_key_issued_at: Mapped[Optional[datetime]]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.appid}/{self.openid}>"


class ProvisionedPhone(Base):
    """A phone number an operator admitted to a mini-program whose sign-up is closed: the
    first login whose phone code yields it creates the user and claims the row."""

    __tablename__ = "provisioned_phones"
    __table_args__ = (UniqueConstraint("appid", "phone_number"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    appid: Mapped[str] = mapped_column(String(32))
    phone_number: Mapped[str] = mapped_column(String(20))  # the national number, as WeChat's purePhoneNumber
    created_at: Mapped[datetime]
    claimed_at: Mapped[Optional[datetime]]
    # No foreign key: the user may be deleted later; the claim stays as history.
    claimed_user_id: Mapped[Optional[int]] = mapped_column(BigIntId)
