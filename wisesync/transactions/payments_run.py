"""The payment run: Xero payments on synced invoices, recorded in the PSA exactly once.

A payment run is a :class:`TransactionRun` with ``purpose`` ``payments``: the same table, the
same progress page URL, the same one-active-run-per-company index as syncs (a payment run and
a sync of one company never run at once, so an invoice is never being posted and paid at the
same moment). Started by *Sync payments now* on ``/sync/<company>`` or by the company's sync
schedule (:mod:`wisesync.transactions.schedules`).

Per run:

1. Read the organisation's payments changed since the last successful payment run started
   (``GET /Payments`` with ``If-Modified-Since``, ten minutes of overlap for clock drift; the
   first run from the first invoice the portal put in Xero). A payment is matched to an invoice **by the ledger only**: the
   Xero InvoiceID of an invoice the portal synced for this company. Any other payment is listed
   as ``ignored`` with the reason (:func:`~wisesync.transactions.payments.ignored_reason`).
2. Add the synced invoices Xero changed since then (``GET /Invoices`` with ``If-Modified-Since``:
   a deleted payment or an allocated credit note changes the invoice), and those that need
   another look whatever Xero says changed: payment rows left
   ``pushing``/``failed``/``blocked``/``waiting``, and invoices synced since the last payment run
   (paid in Xero before the portal adopted them).
3. Read those invoices from Xero (by id) and apply the rules of
   :mod:`wisesync.transactions.payments` to each.

Exactly once, per invoice (the PSA takes one payment per invoice): the payment row is written
``pushing`` with the amount and committed **before** the PSA is touched; the PSA's existing
payments are read; then one POST (or PATCH for Autotask) and the row ``posted`` with the PSA's
payment id, committed. A row found ``pushing`` or ``failed`` on a later run (a crash, a lost
answer, a timeout) is settled first by reading the invoice's payments in the PSA: the amount it
was recording found there is taken as written (``adopted``), never posted again.
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from wisesync import jobs
from wisesync.accounting.errors import XeroError
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psa.errors import PsaError
from wisesync.transactions import payments as rules
from wisesync.transactions.ledger import record_outcome
from wisesync.transactions.models import LedgerEntry, TransactionRun
from wisesync.transactions.payments_progress import (KIND, PURPOSE, document_link, progress,  # noqa: F401
                                                     run_counts, run_links)
from wisesync.transactions.payments_psa import STOPPING, side_for

log = logging.getLogger(__name__)
TASK = "wisesync.transactions.payments"
OVERLAP = timedelta(minutes=10)
RECHECK = ("pushing", "failed", "blocked", "waiting")
UNEXPECTED = "The payment sync stopped because of an unexpected error in Wise-Sync."
UNEXPECTED_FIX = ("Sync payments again: a payment already recorded in the PSA is found there and never "
                  "recorded twice. If it happens again, the server log has the details for support.")


class StopPayments(Exception):
    def __init__(self, explanation: str, fix: str):
        super().__init__(explanation)
        self.explanation, self.fix = explanation, fix


def register_tasks(app) -> None:
    jobs.register_task(TASK, execute)


def enqueue_payments(run_id: int) -> None:
    jobs.enqueue(TASK, run_id)


# -- starting -----------------------------------------------------------------------------------

def start_payments(company, *, actor=None, scheduled: bool = False, ip: str = "") -> tuple[TransactionRun, bool]:
    """Queue a payment run of ``company``; ``(run, started)``. ``started`` is False when a run
    (sync or payments) of this company is already queued or running: that run is returned."""
    from wisesync.accounts.models import Account
    from wisesync.audit.services import record
    from wisesync.transactions import services
    from wisesync.transactions.payments_psa import identity_label

    running = services.active_run(company.id)
    if running is not None and utcnow() - running.heartbeat_at > services.STALE_AFTER:
        services._give_up(running, "The previous run stopped reporting progress and was given up.")
        db.session.commit()
        running = None
    if running is not None:
        return running, False
    account = db.session.get(Account, company.account_id)
    label = identity_label(account, actor)
    run = TransactionRun(account_id=company.account_id, company_id=company.id, psa=account.psa_type,
                         started_by_id=getattr(actor, "id", None), scheduled=scheduled, purpose=PURPOSE,
                         psa_identity=label[:255], status="queued")
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        winner = services.active_run(company.id)
        if winner is None:
            raise
        return winner, False
    record("sync.payments_scheduled" if scheduled else "sync.payments_started", account_id=company.account_id,
           actor=actor, ip=ip, detail=f"{'Scheduled payment' if scheduled else 'Payment'} sync {run.id} of "
                                      f"{company.name!r} queued, as {label}")
    db.session.commit()
    enqueue_payments(run.id)
    db.session.expire(run)
    return run, True


# -- running ------------------------------------------------------------------------------------

def execute(run_id: int, *, side=None, xero=None) -> TransactionRun | None:
    """Run the payment sync ``run_id`` if still queued. Never raises for a PSA or Xero failure:
    the run ends ``failed`` with the explanation and the fix."""
    claimed = db.session.execute(
        update(TransactionRun).where(TransactionRun.id == run_id, TransactionRun.status == "queued")
        .values(status="running", started_at=utcnow(), heartbeat_at=utcnow())).rowcount
    db.session.commit()
    if not claimed:
        return db.session.get(TransactionRun, run_id)
    try:
        message = PaymentSync(db.session.get(TransactionRun, run_id), side, xero).run()
        _finish(run_id, "succeeded", message, "")
    except StopPayments as exc:
        _finish(run_id, "failed", exc.explanation, exc.fix)
    except (PsaError, XeroError) as exc:  # str() of both never holds a secret
        log.warning("Payment sync %s failed: %s", run_id, exc)
        _finish(run_id, "failed", exc.explanation, exc.fix)
    except Exception:
        log.exception("Payment sync %s failed unexpectedly", run_id)
        _finish(run_id, "failed", UNEXPECTED, UNEXPECTED_FIX)
    return db.session.get(TransactionRun, run_id)


def _finish(run_id: int, status: str, message: str, fix: str) -> None:
    db.session.rollback()
    counts = run_counts(run_id)
    if status == "succeeded" and (counts["failed"] or counts["blocked"]):
        fix = "See each invoice's message below; fix what it names, then sync payments again."
    db.session.execute(update(TransactionRun).where(TransactionRun.id == run_id).values(
        status=status, message=message, fix=fix, finished_at=utcnow(), heartbeat_at=utcnow(),
        counts_json=json.dumps(counts, sort_keys=True)))
    db.session.commit()


def last_success(company_id: int):
    return db.session.scalar(select(func.max(TransactionRun.started_at)).where(
        TransactionRun.company_id == company_id, TransactionRun.purpose == PURPOSE,
        TransactionRun.status == "succeeded"))


class PaymentSync:
    """One payment run's work; see the module docstring."""

    def __init__(self, run: TransactionRun, side=None, xero=None):
        from wisesync.accounts.models import Account
        from wisesync.companies.models import Company

        self.run_id, self.psa = run.id, run.psa
        self.user_id = None if run.scheduled else run.started_by_id
        self.company = db.session.get(Company, run.company_id)
        self.account = db.session.get(Account, run.account_id)
        self.side, self._xero = side, xero

    def run(self) -> str:
        if self.side is None:
            from wisesync.users.models import User

            user = db.session.get(User, self.user_id) if self.user_id else None
            self.side, _ = side_for(self.account, user)
        invoices = {e.xero_id.lower(): e for e in db.session.scalars(select(LedgerEntry).where(
            LedgerEntry.company_id == self.company.id, LedgerEntry.psa == self.psa, LedgerEntry.kind == "invoice",
            LedgerEntry.xero_id != "", LedgerEntry.state.in_(("pushed", "posted"))))}
        if not invoices:
            return f"No invoice of {self.company.name} is in Xero yet, so there is no payment to bring back."
        xero = self._xero or self._xero_client()
        # The first run starts from the first invoice synced: older payments are on invoices the
        # portal never sent (each would only be listed as ignored); an invoice adopted later
        # with older payments is re-read by id below, as every invoice synced since then is.
        since = last_success(self.company.id) or min((e.pushed_at for e in invoices.values() if e.pushed_at),
                                                     default=None)
        since = since - OVERLAP if since else None
        rows = {e.psa_id: e for e in db.session.scalars(select(LedgerEntry).where(
            LedgerEntry.company_id == self.company.id, LedgerEntry.psa == self.psa, LedgerEntry.kind == KIND))}
        wanted = self._matched(xero.payments(modified_since=since), invoices)
        if since is not None:
            # Invoices changed too: a deleted payment, a credit note allocated — whether or not
            # Xero lists the deleted payment itself.
            changed = xero.invoices(modified_since=since, statuses=("AUTHORISED", "PAID", "VOIDED"))
            wanted |= {i for i in (str(x.get("InvoiceID") or "").lower() for x in changed) if i in invoices}
        wanted |= {r.xero_id.lower() for r in rows.values() if r.state in RECHECK and r.xero_id.lower() in invoices}
        if since is not None:
            wanted |= {i for i, e in invoices.items() if e.pushed_at and e.pushed_at >= since}
        self._set_total(len(wanted))
        found = {str(x.get("InvoiceID") or "").lower(): x for x in xero.invoices(ids=sorted(wanted))} if wanted else {}
        for n, xero_id in enumerate(sorted(wanted, key=lambda i: invoices[i].number)):
            entry = invoices[xero_id]
            self.one(entry, rows.get(entry.psa_id), found.get(xero_id) or {"Status": "DELETED"})
            if n % 20 == 19:
                _heartbeat(self.run_id)
        return self._summary()

    def _xero_client(self):
        from wisesync.companies.xero import xero_client_for
        from wisesync.transactions.limits import limiter_for

        db.session.commit()  # xero_client_for writes a refreshed token on its own connection
        connection = self.company.xero
        limiter = limiter_for(connection.tenant_id) if connection is not None and connection.tenant_id else None
        return xero_client_for(self.company, limiter)

    def _matched(self, changed: list[dict], invoices: dict) -> set[str]:
        """Xero invoice ids of the changed payments that are on synced invoices; the others are
        listed as ignored with the reason."""
        wanted = set()
        for payment in changed:
            target = payment.get("Invoice") if isinstance(payment.get("Invoice"), dict) else {}
            xero_id = str(target.get("InvoiceID") or "").lower()
            if str(payment.get("PaymentType") or "ACCRECPAYMENT") == "ACCRECPAYMENT" and xero_id in invoices:
                wanted.add(xero_id)
                continue
            record_outcome(self.run_id, KIND, f"xero:{payment.get('PaymentID')}"[:64], "ignored",
                           rules.ignored_reason(payment), number=str(target.get("InvoiceNumber") or ""))
        return wanted

    # -- one invoice ---------------------------------------------------------------------------
    def one(self, entry: LedgerEntry, row: LedgerEntry | None, invoice: dict) -> None:
        adopted = False
        try:
            if row is not None and row.state in ("pushing", "failed"):
                adopted = self._settle(row)
            recorded = row.total if row is not None and row.state == "posted" else None
            decision = rules.decide(invoice, psa=self.psa, number=entry.number, psa_total=entry.total,
                                    recorded=recorded, waiting=row is not None and recorded is None)
            if decision.action == rules.RECORD:
                self._record(entry, row, decision)
            else:
                self._other(entry, row, decision, adopted)
        except STOPPING as exc:
            self._failed(entry, row, exc)
            raise StopPayments(exc.explanation, exc.fix) from exc
        except PsaError as exc:
            self._failed(entry, row, exc)

    def _settle(self, row: LedgerEntry) -> bool:
        """A row whose write may have reached the PSA: the amount it was recording found on the
        invoice there means it did (``posted``, adopted); otherwise it did not."""
        mine = [f for f in self.side.existing(row.psa_id) if self.side.matches(f, row.total)]
        if not mine:
            return False
        row.state, row.psa_batch_id, row.posted_at, row.fix = "posted", mine[0].psa_payment_id, utcnow(), ""
        row.adopted = True
        db.session.commit()
        return True

    def _record(self, entry: LedgerEntry, row: LedgerEntry | None, decision: rules.Decision) -> None:
        row = row or self._new_row(entry)
        row.state, row.total, row.document_date = "pushing", decision.amount, decision.day
        row.reason, row.fix, row.last_run_id = "", "", self.run_id
        row.synced_by_id = self.user_id or row.synced_by_id
        record_outcome(self.run_id, KIND, row.psa_id, "pushing", number=entry.number, commit=False)
        db.session.commit()  # recorded before the PSA write
        existing = self.side.existing(row.psa_id)
        mine = [f for f in existing if self.side.matches(f, decision.amount)]
        if existing and not mine:
            held = self.side.holds(existing[0])
            row.state = "blocked"
            self._outcome(row, "blocked", f"{self.side.name} already holds {held} on invoice {entry.number} that "
                                          f"Wise-Sync did not record, so nothing was added (it takes one payment "
                                          f"per invoice). Xero shows {rules.fmt(decision.amount)} paid.",
                          f"Check the payment on invoice {entry.number} in {self.side.name} against Xero and "
                          f"correct it there by hand.")
            return
        psa_payment_id = mine[0].psa_payment_id if mine else self.side.write(row.psa_id, decision.amount,
                                                                              decision.day)
        row.state, row.psa_batch_id, row.posted_at, row.adopted = "posted", psa_payment_id, utcnow(), bool(mine)
        message = decision.message if not mine else decision.message + f" (it was already in {self.side.name}.)"
        self._outcome(row, "posted", message + (f" {decision.note}" if decision.note else ""), "",
                      reason=decision.note, pushed=not mine, adopted=bool(mine))

    def _other(self, entry: LedgerEntry, row: LedgerEntry | None, decision: rules.Decision, adopted: bool) -> None:
        if decision.action == rules.WAIT:
            row = row or self._new_row(entry)
            row.state, row.total = "waiting", decision.amount
            self._outcome(row, "waiting", decision.message, "", reason=decision.message)
        elif decision.action == rules.FLAG:
            self._outcome(row, "blocked", decision.message, decision.fix, reason=decision.message)
        elif decision.action == rules.FORGET and row is not None and row.state != "posted":
            record_outcome(self.run_id, KIND, row.psa_id, "ignored", decision.message, decision.fix,
                           number=entry.number, commit=False)
            db.session.delete(row)
            db.session.commit()
        elif row is not None and row.state == "posted":
            if not (row.fix or adopted or not decision.quiet):
                return  # recorded earlier and still what Xero shows: nothing to list
            if row.fix:  # flagged by an earlier run; Xero shows what was recorded again
                row.reason = row.fix = ""
            self._outcome(row, "posted", decision.message, "", adopted=adopted)
        elif not decision.quiet:
            record_outcome(self.run_id, KIND, entry.psa_id, "ignored", decision.message, decision.fix,
                           number=entry.number)

    def _new_row(self, entry: LedgerEntry) -> LedgerEntry:
        row = LedgerEntry(account_id=entry.account_id, company_id=entry.company_id, psa=entry.psa, kind=KIND,
                          psa_id=entry.psa_id, number=entry.number, counterparty=entry.counterparty,
                          currency=entry.currency, xero_id=entry.xero_id, xero_number=entry.xero_number,
                          xero_type=entry.xero_type, state="pushing")
        db.session.add(row)
        db.session.flush()  # the unique ledger key: no other run of this company is active
        return row

    def _outcome(self, row: LedgerEntry, state: str, message: str, fix: str, *, reason: str | None = None,
                 pushed: bool = False, adopted: bool = False) -> None:
        """Commit the row (``reason``/``fix`` for what a person must see) and the run's record."""
        if reason is not None:
            row.reason = reason
        if state != "posted" or fix:
            row.fix = fix
        row.last_run_id = self.run_id
        record_outcome(self.run_id, KIND, row.psa_id, state, message, fix, number=row.number, pushed=pushed,
                       adopted=adopted, commit=False)
        db.session.commit()

    def _failed(self, entry: LedgerEntry, row: LedgerEntry | None, exc: PsaError) -> None:
        db.session.rollback()
        row = payment_row(entry)  # as committed: a row this attempt only flushed is gone
        message = f"Invoice {entry.number}: {self.side.name} did not record the payment: {exc.explanation}"
        if row is None:
            record_outcome(self.run_id, KIND, entry.psa_id, "failed", message, exc.fix, number=entry.number)
            return
        if row.state != "posted":
            row.state = "failed"
        self._outcome(row, "failed", message, exc.fix, reason=message)

    def _set_total(self, total: int) -> None:
        db.session.execute(update(TransactionRun).where(TransactionRun.id == self.run_id).values(
            totals_json=json.dumps({"records": total}), heartbeat_at=utcnow()))
        db.session.commit()

    def _summary(self) -> str:
        counts = run_counts(self.run_id)
        name = self.side.name
        parts = [f"{counts['posted']:,} recorded in {name}", f"{counts['adopted']:,} found already there",
                 f"{counts['waiting']:,} partly paid (waiting)", f"{counts['ignored']:,} ignored"]
        parts += [f"{counts[k]:,} {k}" for k in ("blocked", "failed") if counts[k]]
        return ", ".join(parts) + "."


def payment_row(entry: LedgerEntry) -> LedgerEntry | None:
    """The payment row of ``entry``'s invoice, if one was written."""
    return db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.company_id == entry.company_id, LedgerEntry.psa == entry.psa, LedgerEntry.kind == KIND,
        LedgerEntry.psa_id == entry.psa_id))


def _heartbeat(run_id: int) -> None:
    db.session.execute(update(TransactionRun).where(TransactionRun.id == run_id).values(heartbeat_at=utcnow()))
    db.session.commit()
