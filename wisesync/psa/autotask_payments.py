"""Autotask's side of payments back from Xero: an invoice's paid date. Plain Python, no Flask.

Autotask has no payment records and no receivable balance ("Autotask does not have an Accounts
Receivable function", research/accounting-sync.md §3): an invoice is either paid — its
``paidDate`` set (``InvoiceModel.paidDate``, date-time in the Swagger; Autotask keeps the date
only) — or not. Wise-Sync's own Autotask payment sync sets that date (§1.5). So the write is
``PATCH /V1.0/Invoices {"id", "paidDate"}`` on the existing :class:`AutotaskRestClient` (its
zone, auth headers, per-endpoint slots and ``errors[]`` mapping); a refusal is the
``PsaError`` that client raises (Autotask answers 500 with ``errors[]`` for a missing right or
a locked invoice).

Setting the same paid date twice changes nothing, so the write is idempotent by itself; the
caller still reads the invoice first to learn whether someone already set a date by hand.
"""
from __future__ import annotations

from datetime import date, datetime

from wisesync.psa.autotask_rest import AutotaskRestClient
from wisesync.psa.errors import PsaBadResponse, PsaNotFound

ENTITY = "Invoices"


class AutotaskPayments:
    """Paid dates of one Autotask database's invoices. Every method may raise a ``PsaError``."""

    def __init__(self, rest: AutotaskRestClient):
        self.rest = rest

    def __repr__(self) -> str:
        return f"<AutotaskPayments {self.rest!r}>"

    def paid_date(self, invoice_id: int) -> date | None:
        """The invoice's ``paidDate`` (a date), None when unpaid; :class:`PsaNotFound` when
        Autotask has no such invoice."""
        invoice = self.rest.get(ENTITY, int(invoice_id))
        if invoice is None:
            raise PsaNotFound(f"Autotask has no invoice {invoice_id}.",
                              "It was deleted in Autotask after it was synced; check the invoice in Xero.")
        return _day(invoice.get("paidDate"))

    def set_paid_date(self, invoice_id: int, paid: date) -> None:
        """``PATCH /V1.0/Invoices`` with the invoice's ``paidDate`` (midnight, the date is what
        Autotask keeps). Autotask answers ``{"itemId": id}``."""
        if not isinstance(paid, date) or isinstance(paid, datetime):
            raise TypeError("paid must be a date")
        # _call is the client's one request path (auth, zone, slots, errors[] mapping); the
        # query helpers around it belong to the pull and are not needed for one PATCH.
        answer = self.rest._call("PATCH", ENTITY, ENTITY,
                                 json={"id": int(invoice_id), "paidDate": f"{paid.isoformat()}T00:00:00"})
        if answer.get("itemId") not in (int(invoice_id), str(invoice_id)):
            raise PsaBadResponse(f"Autotask answered the paid date of invoice {invoice_id} without its id.",
                                 "Open the invoice in Autotask to see whether the paid date was set.")


def _day(value) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        raise PsaBadResponse(f"Autotask sent a paid date Wise-Sync cannot read ({value!r}).",
                             "Check the invoice in Autotask.") from None


__all__ = ["AutotaskPayments"]
