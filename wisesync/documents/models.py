"""One file attached to one PSA record of one company, and what became of it in Xero."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wisesync.extensions import db
from wisesync.modelbase import utcnow

# pending: kept here, waiting for the record to be in Xero · sending: written before the Xero
# call · sent: Xero has it (content dropped) · failed: Xero refused it, with reason and fix.
STATES = ("pending", "sending", "sent", "failed")
SOURCES = ("upload", "drive")


class TransactionAttachment(db.Model):
    """Keyed like the ledger (account, company, psa, kind, psa_id) so a file can be attached on
    the review page before the record has a ledger row; ``ledger_entry_id`` is filled in once it
    has one. The same content is attached once per record (``sha256`` is unique per record)."""

    __tablename__ = "transaction_attachments"
    __table_args__ = (
        UniqueConstraint("company_id", "psa", "kind", "psa_id", "sha256", name="uq_transaction_attachments_content"),
        Index("ix_transaction_attachments_record", "company_id", "kind", "psa_id"),
        Index("ix_transaction_attachments_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    psa: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    psa_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64), default="")
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(10))
    drive_file_id: Mapped[str] = mapped_column(String(255), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    fix: Mapped[str] = mapped_column(Text, default="")
    xero_document_id: Mapped[str] = mapped_column(String(64), default="")
    xero_attachment_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<TransactionAttachment {self.id} {self.kind}:{self.psa_id} {self.file_name!r} {self.state}>"
