"""Dashboard operators: the people who sign in at /dashboard (not mini-program users)."""

from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wxauth.models.base import Base
from wxauth.security import fingerprint

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class Operator(UserMixin, Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased (see services.operators.normalize_username).
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # werkzeug.security's "scrypt:…" or "pbkdf2:…" string; never the password.
    password_hash: Mapped[str] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(default=False)
    # An IANA zone name; pages show every date in it.
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE)
    created_at: Mapped[datetime]
    last_login_at: Mapped[Optional[datetime]]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to sign in inactive accounts
        return not self.disabled

    def get_id(self) -> str:
        # What the session cookie stores: the id plus a tag of the password hash, so that a
        # password change signs the operator out of every browser.
        return f"{self.id}:{fingerprint(self.password_hash)}"

    def __repr__(self) -> str:
        return f"<Operator {self.id} {self.username}>"


class SignInThrottle(Base):
    """Failed sign-ins per attempted username, whether or not an operator has that name.

    Counting unknown names too is what keeps the lockout message from telling an attacker
    which usernames exist: both kinds lock after the same number of failures.
    """

    __tablename__ = "operator_sign_in_throttle"
    __table_args__ = (Index("ix_operator_sign_in_throttle_last_failed_at", "last_failed_at"),)

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]]
    last_failed_at: Mapped[datetime]
