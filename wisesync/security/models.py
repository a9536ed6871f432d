"""Password-reset tokens, pending 2FA logins and the first-run claim. Only hashes of the
secrets are stored."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wisesync.extensions import db
from wisesync.modelbase import utcnow


class PasswordReset(db.Model):
    """One reset link sent by mail. ``token_hash`` is the SHA-256 of the 256-bit token."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    ip: Mapped[str] = mapped_column(String(64), default="")

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<PasswordReset {self.id} user={self.user_id}>"


class LoginChallenge(db.Model):
    """A login attempt waiting for its mailed code.

    ``public_id`` is kept in that browser's (signed) session, so the code only works for the
    attempt that passed the password step. ``code_hash`` is an HMAC of the code, keyed by
    SECRET_KEY, so a database copy alone does not reveal a live code.
    """

    __tablename__ = "login_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    code_expires_at: Mapped[datetime]
    last_sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sends: Mapped[int] = mapped_column(default=1)
    attempts: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)  # verified or given up

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<LoginChallenge {self.id} user={self.user_id}>"


class SetupClaim(db.Model):
    """The one row that says first-run setup happened (``id`` is always 1).

    ``/setup`` inserts it first in the transaction that creates the account and its admin, so
    of concurrent first runs the database lets exactly one commit: the others fail on the
    primary key, on SQLite and PostgreSQL alike, and get the 404 of a finished setup. It also
    keeps setup closed if the users table is ever emptied by hand.
    """

    __tablename__ = "setup_claims"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SetupClaim at {self.claimed_at}>"
