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


class Poster:
    def __init__(self, books, company, run_id: int):
        self.books, self.company, self.run_id = books, company, run_id
        self.stopped: tuple[str, str] | None = None  # a missing right: (explanation, fix)

    def post(self, entries: list, rows: dict | None = None) -> None:
        """Batch each entry (in Xero, not yet posted — or re-selected after an un-post);
        ``rows`` (``id(entry)`` → review row) carry fresh GL entry ids and the changed flag."""
        exists = []
        for entry in entries:
            if entry is None or not entry.xero_id:
                continue
            row = (rows or {}).get(id(entry))
            if self.stopped is not None:
                self._failed(entry, *self.stopped)
                continue
            changed = row is not None and row.state == "changed"
            if row is not None and row.document is not None and row.document.gl_entry_ids:
                entry.gl_entry_ids = ",".join(str(int(i)) for i in row.document.gl_entry_ids)
            identifier = self._identifier(entry)
            outcome = self._batch(entry, identifier)
            if outcome == "exists":
                exists.append(entry)
            elif outcome == "posted":
                self._note(entry, changed)
        if exists:
            self._settle_existing(exists)

    def _identifier(self, entry) -> str:
        def numbered(attempt: int) -> str:
            return ledger.batch_identifier(entry.kind, entry.psa_id, entry.payload_hash or "0" * 10, attempt)

        if entry.state != "posted":
            return entry.psa_batch_identifier or numbered(0)
        attempt = 1  # its batch was deleted in ConnectWise (un-posted): a fresh identifier
        while numbered(attempt) == entry.psa_batch_identifier:
            attempt += 1
        return numbered(attempt)

    def _batch(self, entry, identifier: str) -> str:
        ids = entry.gl_entry_id_list
        what = describe(entry.kind, entry.number or entry.psa_id)
        if not ids:
            self._failed(entry, f"{what} has no GL entry ids stored, so it cannot be batched.",
                         "Sync it again: the export gives its GL entries.")
            return "failed"
        ledger.begin_post(entry, identifier, run_id=self.run_id)
        for attempt in (1, 2):
            try:
                batch = self.books.create_batch(identifier, ids, invoices=entry.kind != "procurement",
                                                products=entry.kind == "procurement")
            except PsaBatchExists:
                return "exists"
            except PsaPermissionError as exc:
                self.stopped = (f"{what} is in Xero as {entry.xero_number or entry.xero_id}, but ConnectWise "
                                f"refused its batch: {exc.explanation}", exc.fix)
                self._failed(entry, *self.stopped)
                return "failed"
            except PsaUnavailable as exc:
                if attempt == 1:  # the same identifier again: ConnectWise refuses it if it took the first
                    continue
                self._failed(entry, NOT_POSTED.format(what=what, number=entry.xero_number,
                                                      explanation=exc.explanation),
                             NOT_POSTED_FIX.format(fix=exc.fix))
                return "failed"
            except PsaError as exc:
                self._failed(entry, NOT_POSTED.format(what=what, number=entry.xero_number,
                                                      explanation=exc.explanation),
                             NOT_POSTED_FIX.format(fix=exc.fix))
                return "failed"
            ledger.record_posted(entry, identifier, _int(batch.get("id")), run_id=self.run_id)
            return "posted"
        return "failed"

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
                outcome = self._batch(entry, identifier)
                if outcome != "exists":
                    break

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
