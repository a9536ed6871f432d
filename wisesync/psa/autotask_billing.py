"""Autotask's side of the sync: invoices not yet synced, their billing items, marking an invoice
synced, and the hourly request budget. Plain Python, no Flask.

Built on :class:`~wisesync.psa.autotask_rest.AutotaskRestClient` (zone, auth headers, the three
per-endpoint slots, ``errors[]`` mapping). An invoice is *unsynced* while its ``webServiceDate``
is empty (DESIGN §10.1; Autotask's own accounting integrations mark exported invoices the same
way); the sync sets it with ``PATCH /V1.0/Invoices {"id", "webServiceDate"}`` (``InvoiceModel``:
``webServiceDate`` date-time, writable) and Autotask answers ``OperationResultModel {itemId}``.
Setting the same date again changes nothing, so the write is idempotent by itself.

Limits (DESIGN §7): 10,000 requests an hour per database, shared by every integration, and 3
concurrent requests per endpoint (the client's slots). :class:`Budget` reads
``/V1.0/ThresholdInformation`` and slows the caller down before Autotask refuses: past
:data:`SLOW_FROM` of the hour's threshold each call waits so the rest lasts the hour, and below
:data:`RESERVE` requests left it stops (:class:`~wisesync.psa.errors.PsaRateLimited`) so other
integrations of the database keep working. Autotask's own wording when it refuses is "Thread
Threshold Exceeded — The Autotask API thread threshold of 3 threads has been exceeded."
(msoukhomlinov/n8n-nodes-autotask PR #107, error Itgenatr005) for the threads; the hourly
refusal's text has no public source, and both are matched on "threshold" by
:mod:`~wisesync.psa.autotask_errors`.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Iterable

from wisesync.psa.autotask_rest import AutotaskRestClient
from wisesync.psa.errors import PsaBadResponse, PsaRateLimited

INVOICES, ITEMS, COMPANIES, CODES = "Invoices", "BillingItems", "Companies", "BillingCodes"
UNSYNCED = ({"op": "notExist", "field": "webServiceDate"}, {"op": "eq", "field": "isVoided", "value": False})
IN_CHUNK = 200  # ids per "in" filter
SLOW_FROM = 0.8  # share of the hourly threshold after which calls are spread over the hour
RESERVE = 250  # requests left for the database's other integrations: stop here
CHECK_EVERY = 50  # read ThresholdInformation again after this many calls
MAX_PAUSE = 5.0  # seconds at most between two calls when slowing down
SPENT = ("Autotask's hourly API limit is nearly spent: {used:,} of {limit:,} requests used this hour, "
         "and Wise-Sync leaves the last {reserve} to the database's other integrations.")
SPENT_FIX = ("Wait for the hour to pass (Autotask counts requests per rolling hour) and sync again; what "
             "was not done waits and is never sent twice. If it happens often, check which integrations "
             "use the API user's tracking identifier (Autotask: Admin > API Usage / Threshold and Usage).")


class Budget:
    """The database's hourly request budget as ThresholdInformation reports it, shared by the
    calls of one sync. ``sleep`` is replaceable for tests."""

    def __init__(self, rest: AutotaskRestClient, sleep=time.sleep):
        self.rest, self.sleep = rest, sleep
        self._lock = threading.Lock()
        self.used = self.limit = None
        self.timeframe = 60  # minutes
        self._since_check = CHECK_EVERY  # read it before the first call

    def read(self) -> dict:
        answer = self.rest.threshold_information()
        try:
            self.limit = int(answer["externalRequestThreshold"])
            self.used = int(answer["currentTimeframeRequestCount"])
            self.timeframe = int(answer.get("requestThresholdTimeframe") or 60)
        except (KeyError, TypeError, ValueError) as exc:
            raise PsaBadResponse("Autotask's ThresholdInformation answer had no request counts.",
                                 "Try again; if it persists, report it with Autotask's answer.") from exc
        self._since_check = 0
        return answer

    def spend(self, calls: int = 1) -> None:
        """Before ``calls`` requests: stop when the budget is spent, wait when it runs low."""
        with self._lock:
            if self._since_check >= CHECK_EVERY:
                self.read()
            self._since_check += calls
            self.used = (self.used or 0) + calls
            left = (self.limit or 0) - self.used
            if self.limit and left < RESERVE:
                raise PsaRateLimited(SPENT.format(used=self.used, limit=self.limit, reserve=RESERVE), SPENT_FIX,
                                     status=None)
            pause = 0.0
            if self.limit and self.used > SLOW_FROM * self.limit:
                pause = min(MAX_PAUSE, self.timeframe * 60 / max(left - RESERVE, 1))
        if pause:
            self.sleep(pause)


class AutotaskBilling:
    """What the sync reads and writes in one Autotask database. Every method may raise a
    ``PsaError``; ``budget`` (a :class:`Budget`) paces the calls when given."""

    def __init__(self, rest: AutotaskRestClient, budget: Budget | None = None):
        self.rest, self.budget = rest, budget

    def __repr__(self) -> str:
        return f"<AutotaskBilling {self.rest!r}>"

    def _query(self, entity: str, filters) -> list[dict]:
        self._spend()
        out = []
        for n, item in enumerate(self.rest.query(entity, filters), start=1):
            if n % 500 == 0:  # every further page is one more request
                self._spend()
            out.append(item)
        return out

    def _spend(self, calls: int = 1) -> None:
        if self.budget is not None:
            self.budget.spend(calls)

    def unsynced_invoices(self) -> list[dict]:
        """Every invoice with no ``webServiceDate`` that is not voided."""
        return self._query(INVOICES, list(UNSYNCED))

    def invoice(self, invoice_id: int) -> dict | None:
        self._spend()
        return self.rest.get(INVOICES, int(invoice_id))

    def billing_items(self, invoice_ids: Iterable[int]) -> dict[int, list[dict]]:
        """Invoice id → its billing items (the invoice's lines), by item id."""
        out: dict[int, list[dict]] = {}
        for chunk in _chunks(sorted({int(i) for i in invoice_ids})):
            for item in self._query(ITEMS, [{"op": "in", "field": "invoiceID", "value": chunk}]):
                out.setdefault(int(item["invoiceID"]), []).append(item)
        for items in out.values():
            items.sort(key=lambda item: (item.get("sortOrderID") or 0, item["id"]))
        return out

    def companies(self, company_ids: Iterable[int]) -> dict[int, dict]:
        out = {}
        for chunk in _chunks(sorted({int(i) for i in company_ids})):
            for company in self._query(COMPANIES, [{"op": "in", "field": "id", "value": chunk}]):
                out[int(company["id"])] = company
        return out

    def billing_codes(self) -> dict[int, dict]:
        return {int(code["id"]): code for code in self._query(CODES, [{"op": "gte", "field": "id", "value": 0}])}

    def mark_synced(self, invoice_id: int, when: str) -> None:
        """``PATCH /V1.0/Invoices`` setting the invoice's ``webServiceDate`` to ``when`` (ISO 8601 UTC)."""
        self._spend()
        answer = self.rest._call("PATCH", INVOICES, INVOICES, json={"id": int(invoice_id), "webServiceDate": when})
        if answer.get("itemId") not in (int(invoice_id), str(invoice_id)):
            raise PsaBadResponse(f"Autotask answered the web service date of invoice {invoice_id} without its id.",
                                 "Open the invoice in Autotask to see whether it is marked; the next sync checks.")


def service_date(moment: datetime | None = None) -> str:
    """A ``webServiceDate`` value: UTC, to the millisecond, as Autotask writes its dates."""
    moment = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _chunks(ids: list[int]):
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start:start + IN_CHUNK]


__all__ = ["AutotaskBilling", "Budget", "service_date"]
