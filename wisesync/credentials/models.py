"""One row per user and credential kind: the public login, the encrypted secret, the last test."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wisesync.extensions import db
from wisesync.modelbase import utcnow

# kind → (title, the account psa_type that shows it)
KINDS = {
    "connectwise": ("ConnectWise Member", "connectwise"),
    "connectwise-api": ("ConnectWise API Member", "connectwise"),
    "autotask": ("Autotask user account", "autotask"),
}


class PsaCredential(db.Model):
    """A user's credentials for one kind of PSA login.

    ``login`` is the public half (member ID, API public key, Autotask username) and may be shown;
    ``secret_enc`` holds a :func:`wisesync.crypto.encrypt` token (member password, API private
    key, Autotask password) and is never shown. Columns ending in ``_enc`` are what
    ``flask rotate-secrets`` re-encrypts. ``last_test`` is a ``ConnectionReport.as_dict()``.
    """

    __tablename__ = "psa_credentials"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", name="uq_psa_credentials_user_kind"),
        # At most one primary API account per account, even under concurrent saves: the
        # service clears the others in the same transaction, and the index makes the loser
        # of a race fail instead of leaving two primaries.
        Index("uq_psa_credentials_one_primary", "account_id", unique=True,
              sqlite_where=text("is_primary"), postgresql_where=text("is_primary")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    login: Mapped[str] = mapped_column(String(254), default="")
    secret_enc: Mapped[str | None] = mapped_column(Text, default=None)
    secret_set_at: Mapped[datetime | None] = mapped_column(default=None)
    # The PSA address the secret was saved for; it is sent nowhere else (a site change asks
    # for it again). See wisesync.integrations.services.secret_destination.
    secret_host: Mapped[str | None] = mapped_column(String(255), default=None)
    is_primary: Mapped[bool] = mapped_column(default=False)
    last_test: Mapped[dict | None] = mapped_column(JSON, default=None)
    last_tested_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user = relationship("User")

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_enc)

    def __repr__(self) -> str:  # the login is public; the secret is never shown, not even its token
        return f"<PsaCredential {self.id} user={self.user_id} {self.kind} login={self.login!r}>"
