"""QLinks: login-by-token URLs saved in a ConnectWise menu entry (DESIGN §5).

Only the SHA-256 of a token is stored. A user has at most one QLink (``user_id`` is unique):
generating replaces the hash in place, so the old token dies in the same commit; revoking
deletes the row. The account QLink works the same way, one per account.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from wisesync.extensions import db
from wisesync.modelbase import utcnow


class _UseTracking:
    """Last use: when, from where, and whether it was opened inside a frame (ConnectWise)."""

    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    last_used_framed: Mapped[bool | None] = mapped_column(default=None)


class QLink(_UseTracking, db.Model):
    """A user's QLink. The raw token exists only in the response that created it."""

    __tablename__ = "qlinks"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    user = relationship("User", foreign_keys=[user_id])
    created_by = relationship("User", foreign_keys=[created_by_id])

    def __repr__(self) -> str:  # never the hash: it identifies a bearer credential
        return f"<QLink {self.id} user={self.user_id}>"


class AccountQLink(_UseTracking, db.Model):
    """The account's QLink: opens that account's login page in embedded mode."""

    __tablename__ = "account_qlinks"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    account = relationship("Account")
    created_by = relationship("User")

    def __repr__(self) -> str:
        return f"<AccountQLink {self.id} account={self.account_id}>"


@event.listens_for(Session, "before_flush")
def _disabling_a_user_deletes_their_qlink(session: Session, flush_context, instances) -> None:
    """Disabling a user kills their QLink in the same transaction, whoever disables them.

    The users feature does not call into QLinks, so the rule rides on the flush. Use-time
    checks refuse a disabled user's QLink too; this makes the kill permanent (enabling the
    user again does not bring the old link back).
    """
    from wisesync.audit.services import record
    from wisesync.users.models import User

    disabled = []
    for obj in session.dirty:
        if isinstance(obj, User) and obj.enabled is False:
            history = inspect(obj).attrs.enabled.history
            if history.has_changes():
                disabled.append(obj)
    if not disabled:
        return
    with session.no_autoflush:
        links = session.scalars(select(QLink).where(QLink.user_id.in_([u.id for u in disabled])))
        for link in links:
            session.delete(link)
            record("qlink.revoked", account_id=link.account_id, target=link.user,
                   detail="QLink revoked because the user was disabled")
