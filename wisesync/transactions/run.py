"""The sync run: the background job that takes one company's selected (or all) unposted records
from ConnectWise into Xero, then posts each in ConnectWise (DESIGN §10.3–10.5). An Autotask
account's run is the same with Autotask's parts: its unsynced invoices
(:mod:`.autotask_review`), and a ``webServiceDate`` PATCH instead of a batch
(:mod:`.autotask_posting`); the ledger, the pusher and the exactly-once rules are shared.

Per run: read the unposted lists (routed by location), finish what an earlier run left in
Xero but not posted, export the selected records (lines, GL entry ids), map them, create the
items they need, match their contacts, push them in calls of ≤ 50 (:mod:`.push`), and post
each pushed record with one ConnectWise batch. Every state change is committed in the ledger
before and after each outside write, so a crash anywhere is finished by the next run without a
second document in Xero. One record's failure never stops the others; Xero's daily cap, a
revoked grant or a missing ConnectWise right stops the run with the message, and what was not
sent waits for the next run.
"""
from __future__ import annotations

import logging
import time

from sqlalchemy import update

from wisesync import jobs
from wisesync.accounting.errors import XeroError
from wisesync.accounts.models import Account
from wisesync.companies.models import Company
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psa.errors import PsaError
from wisesync.transactions import ledger
from wisesync.transactions import review as rv
from wisesync.transactions.models import TransactionRun
from wisesync.transactions.posting import Poster
from wisesync.transactions.push import CHUNK, Pending, Pusher, StopRun

log = logging.getLogger(__name__)
PSA_NAMES = {"connectwise": "ConnectWise", "autotask": "Autotask"}
TASK = "wisesync.transactions.sync"
UNEXPECTED = "The sync stopped because of an unexpected error in Wise-Sync."
UNEXPECTED_FIX = ("Sync again: records already in Xero are only posted, never pushed twice. If it happens "
                  "again, the server log has the details for support.")
GONE = "{what} {number} is no longer unposted for {company} in {psa}, so it was not synced."
GONE_FIX = "Reload the review page to see what is unposted now."
HEARTBEAT_EVERY = 10.0  # seconds; a run is taken for abandoned after services.STALE_AFTER (15 minutes)
WAITING = "{what} {number} was not sent: the run stopped first. It waits for the next sync."


def register_tasks(app) -> None:
    """The sync task, the schedule check and the worker-start hook (the registry is
    process-wide; registering again is a no-op)."""
    from wisesync.transactions import schedules, services

    jobs.register_task(TASK, execute)
    jobs.on_worker_start(services.mark_abandoned_runs)
    schedules.register()


def enqueue_sync(run_id: int) -> None:
    jobs.enqueue(TASK, run_id)


def execute(run_id: int, *, books=None, xero=None) -> TransactionRun | None:
    """Run the sync ``run_id`` if it is still queued (one failed meanwhile is skipped). Never
    raises for a PSA or Xero failure: the run ends ``failed`` with the explanation and fix.
    ``books`` / ``xero`` replace the clients built from the stored settings (benchmarks)."""
    claimed = db.session.execute(
        update(TransactionRun).where(TransactionRun.id == run_id, TransactionRun.status == "queued")
        .values(status="running", started_at=utcnow(), heartbeat_at=utcnow())).rowcount
    db.session.commit()
    if not claimed:
        run = db.session.get(TransactionRun, run_id)
        log.info("Sync %s is %s, not queued; skipped.", run_id, run.status if run else "gone")
        return run
    _finish(run_id, *_outcome_of(run_id, books, xero))
    return db.session.get(TransactionRun, run_id)


def _outcome_of(run_id: int, books, xero) -> tuple[str, str, str]:
    """Run the sync; ``(status, message, fix)``. The run's thread is the only writer of its
    records' ledger rows, so what it committed is what it holds: objects stay loaded over its
    many commits instead of being read again row by row after each one (a rollback still
    expires everything)."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        return "succeeded", Sync(db.session.get(TransactionRun, run_id), books, xero).run(), ""
    except StopRun as exc:
        return "failed", exc.explanation, exc.fix
    except (PsaError, XeroError) as exc:  # str() of both never holds a secret
        log.warning("Sync %s failed: %s", run_id, exc)
        return "failed", exc.explanation, exc.fix
    except Exception:
        log.exception("Sync %s failed unexpectedly", run_id)
        return "failed", UNEXPECTED, UNEXPECTED_FIX
    finally:
        session.expire_on_commit = expire


def _finish(run_id: int, status: str, message: str, fix: str) -> None:
    db.session.rollback()
    counts = ledger.run_counts(run_id)
    if status == "succeeded" and (counts["failed"] or counts["blocked"]):
        fix = fix or "See each record's message below; fix what it names, then sync those records again."
    db.session.execute(update(TransactionRun).where(TransactionRun.id == run_id).values(
        status=status, message=message, fix=fix, finished_at=utcnow(), heartbeat_at=utcnow(),
        counts_json=ledger.json.dumps(counts, sort_keys=True)))
    db.session.commit()
    jobs.enqueue("wisesync.documents.after-run", run_id)  # documents attached to its records (issue 15)


def heartbeat(run_id: int) -> None:
    db.session.execute(update(TransactionRun).where(TransactionRun.id == run_id).values(heartbeat_at=utcnow()))
    db.session.commit()


class Sync:
    """One run's work, top-down; see the module docstring."""

    def __init__(self, run: TransactionRun, books=None, xero=None):
        self.run_id = run.id
        self.selected = None if run.selected is None else set(run.selected)
        self.synced_by_id = None if run.scheduled else run.started_by_id
        self.company = db.session.get(Company, run.company_id)
        self.account = db.session.get(Account, run.account_id)
        self.psa = self.account.psa_type
        self.autotask = self.psa == "autotask"
        self._books, self._xero = books, xero

    # -- clients -------------------------------------------------------------------------------
    def books(self):
        if self._books is None:
            from wisesync.transactions.identity import choose
            from wisesync.transactions.reading import books_for

            user = None
            if self.synced_by_id:
                from wisesync.users.models import User

                user = db.session.get(User, self.synced_by_id)
            if self.autotask:
                from wisesync.transactions import autotask_review

                self._books = autotask_review.books_for(self.account, budget=True)
            else:
                self._books = books_for(self.account, choose(self.account, user), impersonate=True)
        return self._books

    def xero(self):
        if self._xero is None:
            from wisesync.companies.xero import xero_client_for

            db.session.commit()  # xero_client_for writes a refreshed token on its own connection
            self._xero = xero_client_for(self.company, _limiter(self.company))
        return self._xero

    # -- the run -------------------------------------------------------------------------------
    def run(self) -> str:
        from wisesync.transactions.reading import read_rows, router_for

        books = self.books()
        rows, _unmapped = router_for(self.account).split(read_rows(self.account, books), self.company)
        entries = ledger.entries_for_company(self.company.id, psa=self.psa)
        wanted, leftovers = self._choose(rows, entries)
        marked = self._marked(rows, entries)
        self._set_total(len(wanted) + len(leftovers) + len(marked))
        poster = self._poster(books)
        try:
            if marked:
                poster.settle_marked(marked)
            poster.post([entries[(r.kind, r.psa_id)] for r in leftovers])
            if wanted:
                try:
                    self._sync(books, self.xero(), poster, wanted)
                except (StopRun, XeroError, PsaError) as exc:
                    db.session.rollback()
                    poster.close()  # the batches already sent are recorded before the run stops
                    self._waiting(wanted, exc)
                    if isinstance(exc, XeroError) and _stops(exc):
                        raise StopRun(exc.explanation, exc.fix) from exc
                    raise
            poster.close()
        finally:
            poster.shutdown()
        return self._summary()

    def _poster(self, books):
        if self.autotask:
            from wisesync.transactions.autotask_posting import AutotaskPoster

            return AutotaskPoster(books, self.company, self.run_id)
        return Poster(books, self.company, self.run_id)

    def _marked(self, rows: list, entries: dict) -> list:
        """Autotask: rows in Xero, not yet posted, whose invoice left the unsynced list (a crash
        after its PATCH, or a person set or voided it): the poster reads each."""
        if not self.autotask:
            return []
        listed = {(r.kind, r.psa_id) for r in rows} | {("invoice" if r.kind == "credit" else "credit", r.psa_id)
                                                       for r in rows}
        return [e for key, e in sorted(entries.items()) if e.state == "pushed" and e.xero_id
                and e.kind in ("invoice", "credit") and key not in listed]

    def _sync(self, books, xero, poster: Poster, wanted: list) -> None:
        from wisesync.transactions.reading import xero_catalog

        catalog = xero_catalog(self.company, xero, with_items=True)
        pusher = Pusher(xero, self.company, self.run_id, self.synced_by_id,
                        links=ledger.contact_links(self.company.id, self.psa), psa=self.psa)
        if self.autotask:
            books.export_rows(wanted, self.company, catalog, contact_ids=pusher.links)
        else:
            billing = self._billing(books, wanted)
            pusher.update_linked = billing is not None
            billing = billing or {}
            rv.export_rows(books, wanted, self.company, catalog, contact_ids=pusher.links, billing=billing)
        in_xero = [r for r in wanted if r.entry is not None and r.entry.xero_id]
        already = {id(r) for r in in_xero}
        fresh = [Pending(r, self._ref(r)) for r in wanted if id(r) not in already and not r.blocked]
        for row in wanted:
            if row.blocked and id(row) not in already:
                ledger.record_blocked(self._ref(row), row.reason, row.fix, run_id=self.run_id)
        poster.post([r.entry for r in in_xero], rows={id(r.entry): r for r in in_xero})
        self._push(pusher, poster, fresh)

    def _choose(self, rows: list, entries: dict) -> tuple[list, list]:
        """``(rows to sync, rows an earlier run left in Xero but not posted)``. Selected records
        no longer unposted for the company get their outcome here."""
        by_key = {row.key: row for row in rows}
        for row in rows:
            row.entry = entries.get((row.kind, row.psa_id))
        wanted = [r for r in rows if self.selected is None or r.key in self.selected]
        chosen = {id(r) for r in wanted}
        leftovers = [r for r in rows if id(r) not in chosen and r.entry is not None and r.entry.xero_id
                     and r.entry.state == "pushed"]
        for key in sorted((self.selected or set()) - set(by_key)):
            kind, _, psa_id = key.partition(":")
            entry = entries.get((kind, psa_id))
            what = {"invoice": "Invoice", "credit": "Credit memo", "procurement": "Purchase order"}.get(kind, kind)
            number = entry.number if entry is not None and entry.number else psa_id
            if entry is not None and entry.state == "posted":
                ledger.record_outcome(self.run_id, kind, psa_id, "posted", f"{what} {number} was already posted.",
                                      number=number)
            else:
                ledger.record_outcome(self.run_id, kind, psa_id, "failed",
                                      GONE.format(what=what, number=number, company=self.company.name,
                                                  psa=PSA_NAMES[self.psa]), GONE_FIX, number=number)
        return wanted, leftovers

    def _set_total(self, total: int) -> None:
        db.session.execute(update(TransactionRun).where(TransactionRun.id == self.run_id).values(
            totals_json=ledger.json.dumps({"records": total}), heartbeat_at=utcnow()))
        db.session.commit()

    def _billing(self, books, rows: list) -> dict | None:
        """Billing contact details (e-mail, address) of the customers, for the contacts Xero
        creates and for updating linked ones (DESIGN §10.1); None when they could not be read
        (the documents still go, created contacts lack those details, linked ones are left as
        they are)."""
        ids = sorted({r.counterparty_id for r in rows if r.kind != "procurement" and r.counterparty_id
                      and r.counterparty_id.isdigit()})
        if not ids:
            return {}
        try:
            return books.billing_contacts([int(i) for i in ids])
        except PsaError as exc:
            log.warning("Sync %s: billing contacts not read: %s", self.run_id, exc)
            return None

    def _ref(self, row) -> ledger.RecordRef:
        mapped = row.document
        return ledger.RecordRef(
            account_id=self.account.id, company_id=self.company.id, psa=self.psa, kind=row.kind,
            psa_id=row.psa_id, payload_hash=row.payload_hash, number=row.number, counterparty=row.counterparty,
            document_date=row.date, total=mapped.total if mapped is not None else abs(row.total),
            currency=row.currency, gl_entry_ids=tuple(mapped.gl_entry_ids) if mapped is not None else ())

    def _push(self, pusher: Pusher, poster: Poster, pending: list[Pending]) -> None:
        pusher.ensure_items(pending)
        pusher.resolve_contacts(pending)
        for p in pending:
            if p.row.blocked:
                ledger.record_blocked(p.ref, p.row.reason, p.row.fix, run_id=self.run_id)
        pending = [p for p in pending if not p.row.blocked]
        groups = [[p for p in pending if p.mapped.xero_type == t] for t in ("ACCREC", "ACCRECCREDIT")]
        bills = [p for p in pending if p.mapped.xero_type == "ACCPAY"]
        groups.append(pusher.adopt_existing_bills(bills))
        poster.post([p.entry for p in bills if p.entry is not None])
        beat = time.monotonic()
        for group in groups:
            for start in range(0, len(group), CHUNK):
                done = pusher.push(group[start:start + CHUNK])
                # Batched in ConnectWise while the next call goes to Xero; answers recorded as they come.
                poster.post([p.entry for p in done], wait=False)
                poster.collect()
                if time.monotonic() - beat >= HEARTBEAT_EVERY:  # a commit of its own: not per call
                    heartbeat(self.run_id)
                    beat = time.monotonic()

    def _waiting(self, rows: list, exc: Exception) -> None:
        """The run stopped: every selected record it had not reached says so (and waits)."""
        reached = {(r.kind, r.psa_id) for r in ledger.run_records(self.run_id)}
        reason = getattr(exc, "explanation", str(exc))
        for row in rows:
            if (row.kind, row.psa_id) not in reached:
                ledger.record_outcome(self.run_id, row.kind, row.psa_id, "failed",
                                      WAITING.format(what=row.what, number=row.number) + f" ({reason})",
                                      getattr(exc, "fix", ""), number=row.number)

    def _summary(self) -> str:
        counts = ledger.run_counts(self.run_id)
        parts = [f"{counts['pushed']:,} pushed to Xero", f"{counts['adopted']:,} already there (adopted)",
                 f"{counts['posted']:,} {'marked synced in Autotask' if self.autotask else 'posted in ConnectWise'}"]
        if counts["blocked"]:
            parts.append(f"{counts['blocked']:,} blocked")
        if counts["failed"]:
            parts.append(f"{counts['failed']:,} failed")
        return ", ".join(parts) + "."


def _stops(exc: XeroError) -> bool:
    from wisesync.transactions.push import stop_for

    return stop_for(exc)


def _limiter(company):
    """The organisation's shared Xero call budget (60 a minute, 5 at once, across workers)."""
    try:
        from wisesync.transactions.limits import limiter_for
    except ImportError:  # the limiter lands separately; the Xero client works without one
        return None
    connection = company.xero
    return limiter_for(connection.tenant_id) if connection is not None and connection.tenant_id else None
