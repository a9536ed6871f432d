from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wisesync.extensions import db
from wisesync.modelbase import utcnow

ROLES = ("account-admin", "user")
ROLE_LABELS = {"account-admin": "Account admin", "user": "User"}
PAYMENT_LINK_KINDS = {"proxy": "Wise-Pay proxy", "paynow": "PayNow link", "email": "Email link"}

user_companies = Table(
    "user_companies",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A Wise-Sync login. Never deleted: disabling keeps history and audit intact."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="user")
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    # Both stored lower-cased so the unique indexes are case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout-everywhere events (password change, disable): old sessions stop matching.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)

    account = relationship("Account")
    companies = relationship("Company", secondary=user_companies, order_by="Company.name")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.enabled

    @property
    def is_admin(self) -> bool:
        return self.role == "account-admin"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_id(self) -> str:
        # The session remembers the version too, so bumping it logs out every session.
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


class PaymentLink(db.Model):
    """A Wise-Pay link (proxy, PayNow link, email link) owned by a user."""

    __tablename__ = "payment_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(default=None)

    owner = relationship("User", backref="payment_links")

    @property
    def kind_label(self) -> str:
        return PAYMENT_LINK_KINDS.get(self.kind, self.kind)
