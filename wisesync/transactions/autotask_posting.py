"""Marking Autotask invoices synced: ``PATCH /V1.0/Invoices`` setting ``webServiceDate`` once the
invoice is in Xero (DESIGN §10.1). The Autotask counterpart of :class:`.posting.Poster`, with
the same interface for the run (``post``, ``collect``, ``close``, ``shutdown``).

Exactly once: the date about to be written is stored in the ledger row
(``psa_batch_identifier``) and committed before the PATCH, and ``posted`` is committed after.
A crash between the two leaves the row ``pushed`` with an invoice that already has its date:
it is no longer in the unsynced list, so :meth:`AutotaskPoster.settle_marked` reads it and
records it posted — nothing goes to Xero again. A refused PATCH fails that invoice only
(it stays in Xero and the next run only marks it); a missing right, a refused login or the
hourly budget stops the marking (every other PATCH would fail the same way). The PATCHes go
one at a time: the run's other calls share Autotask's three slots per endpoint.
"""
from __future__ import annotations

from wisesync.psa.autotask_billing import service_date
from wisesync.psa.errors import PsaAuthError, PsaError, PsaPermissionError, PsaRateLimited
from wisesync.transactions import ledger
from wisesync.transactions.mapping import describe

NOT_MARKED = "{what} is in Xero as {number}, but Autotask refused to mark it synced: {explanation}"
NOT_MARKED_FIX = "{fix} The next sync only marks it in Autotask; it is not sent to Xero again."
PERMISSION_FIX = ("In Autotask give the API user's security level the right to edit invoices (Contracts > "
                  "Billing: Invoices edit), then sync again: invoices already in Xero are only marked.")
CHANGED = ("{what} changed in Autotask after it was synced; Xero keeps the version sent then ({number}). "
           "Marked synced in Autotask.")
CHANGED_FIX = "Make the same change to {number} in Xero (or void it there and enter it again)."
ADOPTED = "{what} was already in Xero as {number}: adopted, not sent again; marked synced in Autotask."
ALREADY = "{what}: Autotask already had its web service date ({when}), so it is posted."
GONE = ("{what} is in Xero as {number}, but Autotask no longer lists it as waiting ({why}), so it was not "
        "marked.")
GONE_FIX = ("Check the invoice in Autotask: if it was voided or deleted, void {number} in Xero too; if its web "
            "service date was cleared to sync it again, sync again.")
STOPS = (PsaPermissionError, PsaAuthError, PsaRateLimited)


class AutotaskPoster:
    def __init__(self, books, company, run_id: int):
        self.billing, self.company, self.run_id = books.billing, company, run_id
        self.stopped: tuple[str, str] | None = None

    def post(self, entries: list, rows: dict | None = None, *, wait: bool = True) -> None:
        """Mark each entry's invoice synced (``rows``: ``id(entry)`` → review row, for the
        changed flag). ``wait`` is accepted for the run's sake; the PATCHes are sent in turn."""
        for entry in entries:
            if entry is None or not entry.xero_id:
                continue
            if self.stopped is not None:
                ledger.record_failed(entry, *self.stopped, run_id=self.run_id)
                continue
            row = (rows or {}).get(id(entry))
            self._mark(entry, changed=row is not None and row.state == "changed")

    def collect(self, *, block: bool = False) -> None:
        """Nothing outstanding: every PATCH was answered in :meth:`post`."""

    def close(self) -> None:
        """Nothing outstanding (see :meth:`collect`)."""

    def shutdown(self) -> None:
        """No pool to stop."""

    def _mark(self, entry, *, changed: bool) -> None:
        what = describe(entry.kind, entry.number or entry.psa_id)
        number = entry.xero_number or entry.xero_id
        # A row marked before (posted, then its date cleared in Autotask) gets a fresh date; one
        # that was about to be marked keeps the stored date, so a retry writes the same value.
        when = entry.psa_batch_identifier if entry.state != "posted" and entry.psa_batch_identifier else service_date()
        if entry.psa_batch_identifier != when:
            ledger.begin_post(entry, when, run_id=self.run_id)
        try:
            self.billing.mark_synced(int(entry.psa_id), when)
        except STOPS as exc:
            fix = PERMISSION_FIX if isinstance(exc, PsaPermissionError) else exc.fix
            self.stopped = (NOT_MARKED.format(what=what, number=number, explanation=exc.explanation), fix)
            ledger.record_failed(entry, *self.stopped, run_id=self.run_id)
            return
        except PsaError as exc:
            ledger.record_failed(entry, NOT_MARKED.format(what=what, number=number, explanation=exc.explanation),
                                 NOT_MARKED_FIX.format(fix=exc.fix), run_id=self.run_id)
            return
        ledger.record_posted(entry, when, None, run_id=self.run_id)
        if changed:
            ledger.record_outcome(self.run_id, entry.kind, entry.psa_id, "posted",
                                  CHANGED.format(what=what, number=number), CHANGED_FIX.format(number=number),
                                  number=entry.number)
        elif entry.adopted:
            ledger.record_outcome(self.run_id, entry.kind, entry.psa_id, "posted",
                                  ADOPTED.format(what=what, number=number), number=entry.number)

    def settle_marked(self, entries: list) -> None:
        """Rows left ``pushed`` whose invoice is no longer unsynced: read each invoice; one with
        a web service date was marked (a crash after the PATCH) and is posted, others fail
        with the reason."""
        for entry in entries:
            what = describe(entry.kind, entry.number or entry.psa_id)
            number = entry.xero_number or entry.xero_id
            try:
                invoice = self.billing.invoice(int(entry.psa_id))
            except PsaError as exc:
                ledger.record_failed(entry, f"{what}: Autotask could not be read to check it is marked synced: "
                                            f"{exc.explanation}", exc.fix, run_id=self.run_id)
                continue
            if invoice is not None and invoice.get("webServiceDate") and not invoice.get("isVoided"):
                ledger.record_posted(entry, entry.psa_batch_identifier or str(invoice["webServiceDate"])[:50], None,
                                     run_id=self.run_id)
                ledger.record_outcome(self.run_id, entry.kind, entry.psa_id, "posted",
                                      ALREADY.format(what=what, when=invoice["webServiceDate"]), number=entry.number)
                continue
            why = "deleted" if invoice is None else "voided" if invoice.get("isVoided") else "changed"
            ledger.record_failed(entry, GONE.format(what=what, number=number, why=why),
                                 GONE_FIX.format(number=number), run_id=self.run_id)
