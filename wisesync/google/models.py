"""A person's connected Google account: which address, since when, and the grant's tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wisesync.extensions import db
from wisesync.modelbase import utcnow

STATUS_OK = "ok"
STATUS_RECONNECT = "reconnect"  # Google refused the refresh token: the person must connect again


class GoogleAccount(db.Model):
    """One per user: only that user connects, uses or disconnects it.

    ``access_token_enc`` / ``refresh_token_enc`` hold :func:`wisesync.crypto.encrypt` tokens (the
    ``_enc`` suffix puts them in ``flask rotate-secrets``); only :mod:`wisesync.google.services`
    decrypts them, and nothing renders them.
    """

    __tablename__ = "google_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")  # Google's stable account id ("sub")
    scope: Mapped[str] = mapped_column(Text, default="")
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]  # of the access token, naive UTC
    refreshed_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default=STATUS_OK)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def needs_reconnect(self) -> bool:
        return self.status == STATUS_RECONNECT

    def __repr__(self) -> str:  # never the tokens, not even their ciphertext
        return f"<GoogleAccount user={self.user_id} {self.status}>"
