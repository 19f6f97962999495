"""Dashboard operators: the people who sign in at /dashboard (not mini-program users)."""

from datetime import datetime
from typing import Optional, cast

from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wxauth.models.base import Base

DEFAULT_TIME_ZONE = "Asia/Shanghai"
# From least to most allowed (wxauth.dashboard.roles says what each may do).
ROLES = ("viewer", "support", "admin")


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
    # "viewer", "support" or "admin" (ROLES).
    role: Mapped[str] = mapped_column(String(16), default="support", server_default="support")
    # None: the deployment's WXAUTH_DASHBOARD_LOCALE.
    locale: Mapped[Optional[str]] = mapped_column(String(16))
    # Set for an account made with a one-time password: every page asks for a new one first.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The TOTP secret, sealed under SECRET_KEY (wxauth.security.seal); None until enrolled.
    mfa_secret: Mapped[Optional[str]] = mapped_column(String(256))
    mfa_enabled_at: Mapped[Optional[datetime]]
    # The last TOTP time step accepted: a code is good once, so a replay in its window fails.
    mfa_last_step: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    last_login_at: Mapped[Optional[datetime]]

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_enabled_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to sign in inactive accounts
        return not self.disabled

    # The dashboard session this object was loaded for (services.dashboard_sessions): what
    # Flask-Login keeps in the cookie. Not a column.
    dashboard_token = cast("str | None", None)

    def get_id(self) -> str | None:
        return self.dashboard_token

    def __repr__(self) -> str:
        return f"<Operator {self.id} {self.username}>"


class DashboardSession(Base):
    """One signed-in browser of an operator, kept server-side so that ending it here ends
    it on every instance at once (sign-out, disable, password change).

    The cookie carries a random token; the table holds only its SHA-256, so a copy of the
    table opens no session.
    """

    __tablename__ = "dashboard_sessions"
    __table_args__ = (Index("ix_dashboard_sessions_operator_id", "operator_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(token), hex
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[Optional[datetime]]
    ip: Mapped[Optional[str]] = mapped_column(String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(String(256))


class SignInThrottle(Base):
    """Failed sign-ins per attempted username, whether or not an operator has that name.

    Counting unknown names too is what keeps the lockout message from telling an attacker
    which usernames exist: both kinds lock after the same number of failures.
    """

    __tablename__ = "operator_sign_in_throttle"
    __table_args__ = (Index("ix_operator_sign_in_throttle_last_failed_at", "last_failed_at"),)

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts whose password is being checked right now: they count against the limit
    # before their outcome is known, so parallel guesses cannot all slip in.
    pending_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[Optional[datetime]]
    last_failed_at: Mapped[datetime]


class RecoveryCode(Base):
    """One of an operator's one-time recovery codes for the second factor, stored as its
    SHA-256 (each code has 60 random bits: a slow hash would add nothing)."""

    __tablename__ = "operator_recovery_codes"
    __table_args__ = (Index("ix_operator_recovery_codes_operator_id", "operator_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[Optional[datetime]]
