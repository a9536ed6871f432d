"""Attaching a document to a transaction: from the person's Google Drive or an upload.

The record is named like the sync names it (company, kind ``invoice``/``credit``/``procurement``,
PSA id); the person must be allowed to sync that company (the same rule as ``/sync/<id>``). The
file is checked (type from its content, size) and kept here until the record is in Xero; then
:mod:`wisesync.documents.sending` sends it, once.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from wisesync.accounts.models import Account
from wisesync.audit.services import record
from wisesync.documents.filetypes import ALLOWED_LABEL, MAX_LABEL, DocumentRefused, check, megabytes, too_large
from wisesync.documents.models import TransactionAttachment
from wisesync.extensions import db
from wisesync.google import services as google
from wisesync.google.client import DriveFile
from wisesync.google.errors import GoogleError, GoogleNotFound
from wisesync.transactions.models import KINDS, LedgerEntry

_PSA_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NUMBER = re.compile(r"^[\w./#-][\w ./#-]{0,63}$")
TYPE_FILTERS = {"": ("application/pdf", "image/"), "pdf": ("application/pdf",), "image": ("image/",)}


class UnknownRecord(Exception):
    """The URL names no record kind or id the sync knows (a 404)."""


@dataclass(frozen=True)
class Record:
    company: object
    kind: str
    psa_id: str
    entry: LedgerEntry | None
    psa: str  # the account's PSA type: part of the ledger's key
    hint: str = ""  # the number the review showed, for a record not in the ledger yet (display only)

    @property
    def number(self) -> str:
        return (self.entry.number if self.entry else "") or self.hint or self.psa_id

    @property
    def in_xero(self) -> bool:
        return bool(self.entry and self.entry.xero_id and self.entry.xero_type)


def record_for(company, kind: str, psa_id: str, number_hint: str = "") -> Record:
    """The record of ``company`` (already checked: the person may sync it). ``number_hint`` is
    the number the review page showed (kept only when it looks like a document number)."""
    if kind not in KINDS or not _PSA_ID.match(psa_id or ""):
        raise UnknownRecord(f"{kind}:{psa_id}")
    psa = db.session.get(Account, company.account_id).psa_type
    entry = db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.account_id == company.account_id, LedgerEntry.company_id == company.id,
        LedgerEntry.psa == psa, LedgerEntry.kind == kind, LedgerEntry.psa_id == psa_id))
    hint = number_hint if _NUMBER.match(number_hint or "") else ""
    return Record(company, kind, psa_id, entry, psa, hint)


def attachments_for(rec: Record) -> list[TransactionAttachment]:
    return list(db.session.scalars(select(TransactionAttachment).where(
        TransactionAttachment.company_id == rec.company.id, TransactionAttachment.psa == rec.psa,
        TransactionAttachment.kind == rec.kind, TransactionAttachment.psa_id == rec.psa_id)
        .order_by(TransactionAttachment.id)))


def _unique_name(rec: Record, name: str) -> str:
    """Xero replaces an attachment of the same name on a document: a second file called
    ``scan.pdf`` becomes ``scan (2).pdf``."""
    taken = {a.file_name.lower() for a in attachments_for(rec)}
    stem, ext = os.path.splitext(name)
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}){ext}"
    return candidate


def _store(rec: Record, user, *, name: str, content: bytes, source: str, drive_file_id: str = "",
           ip: str = "") -> TransactionAttachment:
    checked = check(name, content)
    digest = hashlib.sha256(content).hexdigest()
    same = next((a for a in attachments_for(rec) if a.sha256 == digest), None)
    if same is not None:
        raise DocumentRefused(f"This file is already attached to {rec.number} (as {same.file_name}).")
    att = TransactionAttachment(
        account_id=rec.company.account_id, company_id=rec.company.id, psa=rec.psa,
        kind=rec.kind, psa_id=rec.psa_id, number=rec.number[:64],
        ledger_entry_id=rec.entry.id if rec.entry else None, file_name=_unique_name(rec, checked.file_name),
        mime_type=checked.mime_type, size=checked.size, sha256=digest, content=content, source=source,
        drive_file_id=drive_file_id[:255], added_by_id=user.id, state="pending")
    db.session.add(att)
    record("document.attached", account_id=rec.company.account_id, actor=user, ip=ip,
           detail=f"{att.file_name} ({megabytes(att.size)}, {'from Google Drive' if source == 'drive' else 'uploaded'}) "
                  f"attached to {rec.kind} {rec.number} of {rec.company.name!r}")
    try:
        db.session.commit()
    except IntegrityError:  # the same file attached at the same moment in another tab
        db.session.rollback()
        raise DocumentRefused(f"This file is already attached to {rec.number}.") from None
    return att


def attach_upload(rec: Record, user, *, filename: str, content: bytes, ip: str = "") -> TransactionAttachment:
    """Keep an uploaded file for the record. Raises :class:`DocumentRefused`."""
    return _store(rec, user, name=filename, content=content, source="upload", ip=ip)


def attach_from_drive(rec: Record, user, *, file_id: str, ip: str = "") -> TransactionAttachment:
    """Fetch the picked file from the person's own Drive and keep it for the record. Raises
    :class:`DocumentRefused` (type, size) or :class:`GoogleError` ("Reconnect Google" …)."""
    if not file_id or len(file_id) > 255 or not re.match(r"^[A-Za-z0-9_-]+$", file_id):
        raise DocumentRefused("Pick a file from the list of your Drive files.")
    def fetch(drive):
        meta = drive.metadata(file_id)
        _check_drive_file(meta)
        return meta, drive.download(file_id)

    meta, content = google.with_drive(user, fetch)
    return _store(rec, user, name=meta.name, content=content, source="drive", drive_file_id=file_id, ip=ip)


def _check_drive_file(meta: DriveFile) -> None:
    if meta.mime_type.startswith("application/vnd.google-apps."):
        raise DocumentRefused(f"{meta.name} is a Google Docs file, which has no file to attach. In Drive, use "
                              f"File → Download → PDF, upload that PDF to Drive, and pick it here.")
    if too_large(meta.size):
        raise DocumentRefused(f"{meta.name} is {megabytes(meta.size)}; Xero takes attachments up to {MAX_LABEL}. "
                              "Attach a smaller file.")


def search_drive(user, *, name: str = "", kind: str = "", modified_after: datetime | None = None,
                 page_token: str = "") -> tuple[list[DriveFile], str]:
    """The person's Drive files that could be attached (PDFs and images), newest first."""
    return google.with_drive(user, lambda drive: drive.search(
        name=name, mime_types=TYPE_FILTERS.get(kind, TYPE_FILTERS[""]), modified_after=modified_after,
        page_token=page_token))


def retry(att: TransactionAttachment, user, *, ip: str = "") -> None:
    """Send a refused attachment again (after the fix was made)."""
    att.state, att.reason, att.fix = "pending", "", ""
    record("document.retried", account_id=att.account_id, actor=user, ip=ip,
           detail=f"{att.file_name} on {att.kind} {att.number}: to be sent to Xero again")
    db.session.commit()


__all__ = ["ALLOWED_LABEL", "DocumentRefused", "GoogleError", "GoogleNotFound", "Record", "UnknownRecord"]
