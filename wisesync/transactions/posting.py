"""Posting in ConnectWise: one accounting batch per record already in Xero (DESIGN §10.3).

The batch identifier is deterministic (:func:`ledger.batch_identifier`) and stored before the
call, so a batch ConnectWise took whose answer was lost is refused as existing on the retry;
the record is then checked against the unposted list: gone means posted. A record whose
earlier batch was deleted in ConnectWise (un-posted) gets a fresh identifier. A missing right
stops the posting (every other batch would be refused the same way); other refusals fail that
record only, which stays in Xero and is only posted — never pushed — by the next run.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed

from wisesync.extensions import db
from wisesync.psa.errors import PsaBatchExists, PsaError, PsaPermissionError, PsaUnavailable
from wisesync.transactions import ledger
from wisesync.transactions.mapping import describe

log = logging.getLogger(__name__)
NOT_POSTED = ("{what} is in Xero as {number}, but ConnectWise refused its batch: {explanation}")
NOT_POSTED_FIX = "{fix} The next sync only posts it in ConnectWise; it is not sent to Xero again."
CHANGED = ("{what} changed in ConnectWise after it was synced; Xero keeps the version sent then ({number}). "
           "Posted in ConnectWise.")
CHANGED_FIX = "Make the same change to {number} in Xero (or void it there and enter it again)."
ADOPTED = "{what} was already in Xero as {number}: adopted, not sent again; posted in ConnectWise."
EXISTED = ("{what}: ConnectWise already had batch {identifier} and the record has left the unposted list, "
           "so it is posted.")
MAX_ATTEMPTS = 5
CONCURRENCY = 4  # batch calls in flight at once (ConnectWise takes them independently)


class Poster:
    """Posts a run's records. The ledger is written only from the run's own thread (before and
    after each batch); the batch calls themselves go out :data:`CONCURRENCY` at a time, since
    each record's batch is independent of the others."""

    def __init__(self, books, company, run_id: int):
        self.books, self.company, self.run_id = books, company, run_id
        self.stopped: tuple[str, str] | None = None  # a missing right: (explanation, fix)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict = {}  # future → (entry, identifier, changed)
        self._exists: list = []

    def post(self, entries: list, rows: dict | None = None, *, wait: bool = True) -> None:
        """Batch each entry (in Xero, not yet posted — or re-selected after an un-post);
        ``rows`` (``id(entry)`` → review row) carry fresh GL entry ids and the changed flag.
        ``wait=False`` returns once the calls are sent: the run pushes the next documents to
        Xero meanwhile and :meth:`collect` records the answers (:meth:`close` waits for all)."""
        for entry in entries:
            if entry is None or not entry.xero_id:
                continue
            row = (rows or {}).get(id(entry))
            if self.stopped is not None:
                self._failed(entry, *self.stopped)
                continue
            if row is not None and row.document is not None and row.document.gl_entry_ids:
                entry.gl_entry_ids = ",".join(str(int(i)) for i in row.document.gl_entry_ids)
            if not entry.gl_entry_id_list:
                self._failed(entry, f"{describe(entry.kind, entry.number or entry.psa_id)} has no GL entry ids "
                                    "stored, so it cannot be batched.", "Sync it again: the export gives its "
                                                                        "GL entries.")
                continue
            identifier = self._identifier(entry)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix=f"post-{self.run_id}")
            future = self._pool.submit(self._call, entry.kind, identifier, entry.gl_entry_id_list)
            self._pending[future] = (entry, identifier, row is not None and row.state == "changed")
        if wait:
            self.close()

    def collect(self, *, block: bool = False) -> None:
        """Record the answers that came back (all of them when ``block``), in one transaction."""
        if not self._pending:
            return
        if block:
            done = list(as_completed(self._pending))
        else:
            done = [f for f in self._pending if f.done()]
        notes = []
        for future in done:
            entry, identifier, changed = self._pending.pop(future)
            outcome = self._settle(entry, identifier, future.result())
            if outcome == "exists":
                self._exists.append(entry)
            elif outcome == "posted":
                notes.append((entry, changed))
        db.session.commit()  # the batches' answers, in one transaction (see ledger: commit=False)
        for entry, changed in notes:
            self._note(entry, changed)

    def close(self) -> None:
        """Wait for every batch sent, record the answers, settle refused-as-existing ones."""
        self.collect(block=True)
        if self._exists:
            exists, self._exists = self._exists, []
            self._settle_existing(exists)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _identifier(self, entry) -> str:
        """The identifier for this entry's batch, stored first (committed) unless it is the
        deterministic one a retry would compute anyway."""
        def numbered(attempt: int) -> str:
            return ledger.batch_identifier(entry.kind, entry.psa_id, entry.payload_hash or "0" * 10, attempt)

        if entry.state != "posted":
            identifier = entry.psa_batch_identifier or numbered(0)
        else:  # its batch was deleted in ConnectWise (un-posted): a fresh identifier
            attempt = 1
            while numbered(attempt) == entry.psa_batch_identifier:
                attempt += 1
            identifier = numbered(attempt)
        if identifier != numbered(0) and identifier != entry.psa_batch_identifier:
            ledger.begin_post(entry, identifier, run_id=self.run_id)
        return identifier

    def _call(self, kind: str, identifier: str, ids: list[int]):
        """One batch, retried once with the same identifier after a dropped connection (if
        ConnectWise took the first, it refuses the second as existing). Returns the batch or
        the PsaError; never touches the database (it runs on a pool thread)."""
        for attempt in (1, 2):
            try:
                return self.books.create_batch(identifier, ids, invoices=kind != "procurement",
                                               products=kind == "procurement", read_back=False)
            except PsaUnavailable as exc:
                if attempt == 2:
                    return exc
            except PsaError as exc:
                return exc
        return None  # not reached

    def _settle(self, entry, identifier: str, answer) -> str:
        what = describe(entry.kind, entry.number or entry.psa_id)
        if isinstance(answer, PsaBatchExists):
            if entry.psa_batch_identifier != identifier:
                ledger.begin_post(entry, identifier, run_id=self.run_id)
            return "exists"
        if isinstance(answer, PsaPermissionError):
            self.stopped = (f"{what} is in Xero as {entry.xero_number or entry.xero_id}, but ConnectWise "
                            f"refused its batch: {answer.explanation}", answer.fix)
            self._failed(entry, *self.stopped)
            return "failed"
        if isinstance(answer, PsaError):
            self._failed(entry, NOT_POSTED.format(what=what, number=entry.xero_number, explanation=answer.explanation),
                         NOT_POSTED_FIX.format(fix=answer.fix))
            return "failed"
        ledger.record_posted(entry, identifier, _int((answer or {}).get("id")), run_id=self.run_id,
                             commit=False)
        return "posted"

    def _settle_existing(self, entries: list) -> None:
        """Identifiers ConnectWise already has: posted if the record left the unposted list,
        else a fresh identifier (the old batch no longer holds it)."""
        try:
            invoices = {str(r["id"]) for r in self.books.unposted_invoices()}
            procurement = {str(r["id"]) for r in self.books.unposted_procurement()}
        except PsaError as exc:
            for entry in entries:
                self._failed(entry, f"{describe(entry.kind, entry.number)}: ConnectWise has its batch "
                                    f"{entry.psa_batch_identifier}, but the unposted list could not be read to "
                                    f"confirm it is posted: {exc.explanation}", exc.fix)
            return
        for entry in entries:
            still = entry.psa_id in (procurement if entry.kind == "procurement" else invoices)
            if not still:
                ledger.record_posted(entry, entry.psa_batch_identifier, None, run_id=self.run_id)
                ledger.record_outcome(self.run_id, entry.kind, entry.psa_id, "posted",
                                      EXISTED.format(what=describe(entry.kind, entry.number),
                                                     identifier=entry.psa_batch_identifier),
                                      number=entry.number)
                continue
            for attempt in range(1, MAX_ATTEMPTS + 1):
                identifier = ledger.batch_identifier(entry.kind, entry.psa_id, entry.payload_hash or "0" * 10,
                                                     attempt)
                if identifier == entry.psa_batch_identifier:
                    continue
                ledger.begin_post(entry, identifier, run_id=self.run_id)
                answer = self._call(entry.kind, identifier, entry.gl_entry_id_list)
                if self._settle(entry, identifier, answer) != "exists":
                    break
        db.session.commit()

    def _note(self, entry, changed: bool) -> None:
        what = describe(entry.kind, entry.number or entry.psa_id)
        number = entry.xero_number or entry.xero_id
        if changed:
            ledger.record_outcome(self.run_id, entry.kind, entry.psa_id, "posted",
                                  CHANGED.format(what=what, number=number), CHANGED_FIX.format(number=number),
                                  number=entry.number)
        elif entry.adopted:
            ledger.record_outcome(self.run_id, entry.kind, entry.psa_id, "posted",
                                  ADOPTED.format(what=what, number=number), number=entry.number)

    def _failed(self, entry, reason: str, fix: str) -> None:
        ledger.record_failed(entry, reason, fix, run_id=self.run_id)


def _int(value):
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
