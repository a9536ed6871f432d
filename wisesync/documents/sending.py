"""Sending kept documents to Xero, once each.

The job ``wisesync.documents.send`` (a company id) takes that company's attachments that are
``pending`` — or ``sending`` for longer than :data:`STALE` (a worker died mid-call) — whose
record has a Xero document, and for each:

1. claims it with a compare-and-swap (``state`` → ``sending``, committed before the call), so
   two workers never send the same file;
2. if an earlier attempt may have reached Xero (it was left ``sending``), asks Xero for the
   document's attachments first and adopts one of the same name and size instead of sending;
3. ``PUT``\\ s it with an ``Idempotency-Key`` derived from the attachment (a retried request is
   answered from Xero's memory, not stored twice), then records ``sent`` with Xero's id and
   drops the bytes.

Enqueued when a file is attached to a record already in Xero, after every sync run
(:func:`after_run`), and every five minutes for what waited on Xero (rate limit, an outage, a
connection to renew). What Xero refuses (the file itself) ends ``failed`` with the reason and
the fix; a connection problem leaves it ``pending`` with the reason, so it goes once the
connection is renewed.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from wisesync import jobs
from wisesync.accounting.errors import (XeroError, XeroForbidden, XeroGrantRevoked, XeroNotFound,
                                        XeroRateLimited, XeroUnavailable, XeroValidationError)
from wisesync.companies.models import Company
from wisesync.documents.models import TransactionAttachment
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.transactions.models import LedgerEntry, TransactionRun

log = logging.getLogger(__name__)
TASK = "wisesync.documents.send"
AFTER_RUN_TASK = "wisesync.documents.after-run"
STALE = timedelta(minutes=10)
_A = TransactionAttachment.__table__


def register() -> None:
    jobs.register_task(TASK, send_pending)
    jobs.register_task(AFTER_RUN_TASK, after_run)
    jobs.register_periodic("wisesync.documents.send-waiting", "*/5 * * * *", send_all_waiting)


def enqueue(company_id: int) -> None:
    jobs.enqueue(TASK, company_id)


def after_run(run_id: int) -> None:
    """Called when a sync run finishes: its records may just have reached Xero."""
    try:
        run = db.session.get(TransactionRun, run_id)
        if run is not None:
            send_pending(run.company_id)
    except Exception:  # never let documents disturb the run that just finished
        db.session.rollback()
        log.exception("Sending the documents of run %s failed; the periodic check tries again", run_id)


def send_all_waiting() -> None:
    ids = db.session.scalars(select(TransactionAttachment.company_id)
                             .where(TransactionAttachment.state.in_(("pending", "sending"))).distinct()).all()
    for company_id in ids:
        send_pending(company_id)


def _due(company_id: int):
    stale = utcnow() - STALE
    return (select(TransactionAttachment, LedgerEntry)
            .join(LedgerEntry, and_(LedgerEntry.account_id == TransactionAttachment.account_id,
                                    LedgerEntry.company_id == TransactionAttachment.company_id,
                                    LedgerEntry.psa == TransactionAttachment.psa,
                                    LedgerEntry.kind == TransactionAttachment.kind,
                                    LedgerEntry.psa_id == TransactionAttachment.psa_id))
            .where(TransactionAttachment.company_id == company_id, LedgerEntry.xero_id != "",
                   LedgerEntry.xero_type != "",
                   or_(TransactionAttachment.state == "pending",
                       and_(TransactionAttachment.state == "sending", TransactionAttachment.updated_at < stale)))
            .order_by(TransactionAttachment.id))


def send_pending(company_id: int) -> dict:
    """Send what is due for the company; returns ``{"sent", "adopted", "failed", "waiting"}``.
    Never raises for a Xero failure (each attachment keeps its own message)."""
    counts = {"sent": 0, "adopted": 0, "failed": 0, "waiting": 0}
    company = db.session.get(Company, company_id)
    if company is None:
        return counts
    due = db.session.execute(_due(company_id)).all()
    if not due:
        return counts
    from wisesync.companies.xero import XeroNotConnected, xero_client_for

    try:
        client = xero_client_for(company, limiter=_limiter(company))
    except (XeroNotConnected, XeroError) as exc:
        for att, _ in due:
            _wait(att.id, att.state, exc)
        counts["waiting"] = len(due)
        return counts
    for att, entry in due:
        counts[_send_one(client, att, entry)] += 1
    return counts


def _limiter(company):
    """The organisation's shared Xero call budget, the one the sync uses (60 a minute, 5 at once)."""
    from wisesync.transactions.limits import limiter_for

    connection = company.xero
    return limiter_for(connection.tenant_id) if connection is not None and connection.tenant_id else None


def _claim(att: TransactionAttachment, entry: LedgerEntry) -> bool:
    done = db.session.execute(update(_A).where(_A.c.id == att.id, _A.c.state == att.state,
                                               _A.c.updated_at == att.updated_at).values(
        state="sending", attempts=_A.c.attempts + 1, ledger_entry_id=entry.id, xero_document_id=entry.xero_id,
        reason="", fix="", updated_at=utcnow())).rowcount
    db.session.commit()
    return bool(done)


def _send_one(client, att: TransactionAttachment, entry: LedgerEntry) -> str:
    from wisesync.accounting.xero_attachments import list_attachments, put_attachment

    maybe_sent = att.state == "sending" or att.attempts > 0  # an earlier attempt may have reached Xero
    att_id, name, size, key = att.id, att.file_name, att.size, _key(att)
    content = att.content
    if not _claim(att, entry):
        return "waiting"  # another worker has it
    try:
        if maybe_sent:
            there = next((a for a in list_attachments(client, entry.xero_type, entry.xero_id)
                          if str(a.get("FileName", "")).lower() == name.lower()
                          and int(a.get("ContentLength") or -1) == size), None)
            if there is not None:
                _done(att_id, there, adopted=True)
                return "adopted"
        if content is None:
            raise XeroValidationError("The file's content is no longer kept here.", "Attach the file again.")
        answer = put_attachment(client, entry.xero_type, entry.xero_id, name, content, key)
    except (XeroRateLimited, XeroUnavailable) as exc:
        _wait(att_id, "sending", exc)
        return "waiting"
    except XeroGrantRevoked as exc:  # later tries fail fast here, without calling Xero
        _wait(att_id, "sending", exc)
        return "waiting"
    except (XeroValidationError, XeroNotFound, XeroForbidden) as exc:
        _fail(att_id, exc.explanation, exc.fix)
        return "failed"
    except XeroError as exc:
        _wait(att_id, "sending", exc)
        return "waiting"
    except Exception:
        log.exception("Sending attachment %s to Xero failed unexpectedly", att_id)
        _wait(att_id, "sending", XeroError("An unexpected error in Wise-Sync stopped the sending.",
                                           "It is tried again within five minutes."))
        return "waiting"
    _done(att_id, answer, adopted=False)
    return "sent"


def _key(att: TransactionAttachment) -> str:
    return f"wisesync-attachment-{att.account_id}-{att.id}-{att.sha256[:40]}"


def _done(att_id: int, answer: dict, *, adopted: bool) -> None:
    db.session.rollback()
    db.session.execute(update(_A).where(_A.c.id == att_id).values(
        state="sent", xero_attachment_id=str(answer.get("AttachmentID") or "")[:64], sent_at=utcnow(),
        content=None, reason="Found in Xero already (an earlier attempt had reached it)." if adopted else "",
        fix="", updated_at=utcnow()))
    db.session.commit()


def _fail(att_id: int, reason: str, fix: str) -> None:
    db.session.rollback()
    db.session.execute(update(_A).where(_A.c.id == att_id).values(
        state="failed", reason=(reason if reason.startswith("Xero") else f"Xero refused the attachment: {reason}")[:2000], fix=fix[:2000], updated_at=utcnow()))
    db.session.commit()


def _wait(att_id: int, seen_state: str, exc: XeroError) -> None:
    """Back to ``pending`` with the reason: it goes by itself once the cause is gone."""
    db.session.rollback()
    db.session.execute(update(_A).where(_A.c.id == att_id, _A.c.state.in_(("pending", "sending"))).values(
        state="pending", reason=f"Not sent to Xero yet: {exc.explanation}"[:2000],
        fix=(exc.fix or "It is tried again within five minutes.")[:2000], updated_at=utcnow()))
    db.session.commit()
