"""Writes to the simulated Autotask invoices: ``PATCH`` and ``PUT /V1.0/Invoices``.

The sync marks an Autotask invoice as done by setting its ``webServiceDate`` (DESIGN §10.1) and
brings Xero payments back as its ``paidDate``; clearing ``webServiceDate`` makes it sync again.

State: ``state.at_invoices`` (``AtInvoiceWrites``) keeps, per invoice id, the fields written
since the seed. It lives in the simulator process only; ``POST /_sim/reset`` calls ``reset()``
and every invoice is the seed again. Reads (``{id}``, ``query``, ``query/count``, filters on
``webServiceDate``...) see the writes: ``autotask.py`` answers each request inside
``applied(state)``, which lays them over ``at_data``'s seed.

What is checked, like the real API (HTTP 500 with ``{"errors": [...]}`` for anything refused;
the wording of the messages is this simulator's, UNVERIFIED):
- the body is one JSON object with ``InvoiceModel`` properties only (names in any letter case,
  as Autotask reads them), each value of the model's type or ``null``; ``id`` is required and
  names an existing invoice;
- only the writable fields may be given (``at_fields``: ``invoiceNumber`` ≤ 100 characters,
  ``webServiceDate``, ``paidDate``); a read-only field is refused even with its current value,
  so a client that sends one is caught here rather than by a live tenant;
- ``PATCH`` changes only the fields given; ``PUT`` replaces the invoice: writable fields not
  given become ``null`` (read-only ones keep their values);
- ``paidDate`` keeps the date only ("invoice.paidDate ignores time stamp information and stores
  the date only", Autotask's Invoices entity page); ``webServiceDate`` is kept in UTC (a value
  without an offset is taken as UTC).
The answer is ``OperationResultModel`` ``{"itemId": id}``.

Limits on writes: once the database's requests this hour (``ThresholdInformation``'s
``currentTimeframeRequestCount``, kept by ``autotask.AtSimStats``) pass the 10,000 threshold, a
write is refused with HTTP 429 and the threshold wording ``autotask.py`` uses for its 429 fault
(the real hourly refusal's text and status have no public source; reads are not refused here).
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

from flask import Response, current_app, request

from wisesync.simulator import at_data
from wisesync.simulator.at_fields import INVOICE_TYPES

THRESHOLD = 10_000  # requests per hour per database (autotask.THRESHOLD)
HOURLY_REFUSAL = ("API request threshold exceeded: the 10000 requests per hour limit for this database has "
                  "been reached.")
WRITABLE = frozenset(name for name, (_, _, read_only) in INVOICE_TYPES.items() if not read_only)
_CANONICAL = {name.lower(): name for name in INVOICE_TYPES}


class WriteRefused(ValueError):
    """A write Autotask would refuse; the message is what goes into ``errors``."""


class AtInvoiceWrites:
    """Invoice fields written since the seed, by invoice id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            # id -> {field: value}; a write replaces the whole dict so readers never see half of it
            self.changes: dict[int, dict] = {}
            self.refusals: list[str] = []  # the next writes are refused with these messages

    def refuse_next(self, message: str, count: int = 1) -> None:
        """For tests: refuse the next ``count`` writes (HTTP 500, ``errors: [message]``), as
        Autotask refuses a write to an invoice it has locked or the API user may not edit."""
        with self.lock:
            self.refusals.extend([message] * count)

    def take_refusal(self) -> str | None:
        with self.lock:
            return self.refusals.pop(0) if self.refusals else None

    def apply(self, invoice_id: int, values: dict, *, replace: bool) -> None:
        with self.lock:
            changed = dict(self.changes.get(invoice_id, {}))
            if replace:
                changed.update({name: None for name in WRITABLE})
            changed.update(values)
            self.changes[invoice_id] = changed


def writes_for(state) -> AtInvoiceWrites:
    """``state.at_invoices``, created on first use."""
    writes = getattr(state, "at_invoices", None)
    if writes is None:
        writes = state.at_invoices = AtInvoiceWrites()
    return writes


def applied(state):
    """Context manager: reads inside it see the invoice writes of this simulator."""
    return at_data.writes_applied(writes_for(state).changes)


def write(state, entity: str, tail: list[str]) -> Response:
    """Answer a ``PATCH``/``PUT`` on ``/V1.0/<entity>[/...]`` (already authenticated)."""
    if entity != "Invoices" or tail:
        return _json({"Message": f"The requested resource does not support http method "
                                 f"'{request.method}'."}, status=405)
    refusal = writes_for(state).take_refusal()
    stats = current_app.extensions.get("at_sim")
    if refusal is None and stats is not None and stats.requests > THRESHOLD:
        return _json({"errors": [HOURLY_REFUSAL]}, status=429)
    if refusal is not None:
        return _json({"errors": [refusal]}, status=500)
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
        invoice_id, values = check(body, state.records)
    except ValueError as exc:  # WriteRefused, or a body that is not JSON
        message = str(exc) if isinstance(exc, WriteRefused) else "The request body is not valid JSON."
        return _json({"errors": [message]}, status=500)
    writes_for(state).apply(invoice_id, values, replace=request.method == "PUT")
    return _json({"itemId": invoice_id})


def check(body, records: int) -> tuple[int, dict]:
    """(invoice id, {field: stored value}) from a write body, or ``WriteRefused``."""
    if not isinstance(body, dict):
        raise WriteRefused("The request body must be an Invoice object.")
    values = {}
    for key, value in body.items():
        name = _CANONICAL.get(str(key).lower())
        if name is None:
            raise WriteRefused(f"Unable to find {key} in the Invoices entity.")
        values[name] = _typed(name, value)
    invoice_id = values.pop("id", None)
    if invoice_id is None:
        raise WriteRefused("id is required to update an Invoice.")
    if at_data.index_of("Invoices", invoice_id, records) is None:
        raise WriteRefused(f"Invoices with id {invoice_id} does not exist or you do not have "
                           "permission to update it.")
    read_only = sorted(set(values) - WRITABLE)
    if read_only:
        raise WriteRefused(f"The field(s) {', '.join(read_only)} of Invoices are read-only and "
                           "cannot be updated.")
    return invoice_id, values


def _typed(name: str, value):
    kind, length, _ = INVOICE_TYPES[name]
    if value is None:
        return None
    if kind in ("long", "integer"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise WriteRefused(f"The value '{value}' is not valid for {name}: a whole number is expected.")
        return value
    if kind == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise WriteRefused(f"The value '{value}' is not valid for {name}: a number is expected.")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise WriteRefused(f"The value '{value}' is not valid for {name}: true or false is expected.")
        return value
    if not isinstance(value, str):
        raise WriteRefused(f"The value '{value}' is not valid for {name}: a string is expected.")
    if kind == "string":
        if length and len(value) > length:
            raise WriteRefused(f"{name} is longer than {length} characters.")
        return value
    return _datetime(name, value)


def _datetime(name: str, value: str) -> str:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise WriteRefused(f"The value '{value}' is not valid for {name}: a date and time "
                           "(ISO 8601) is expected.") from None
    if name == "paidDate":  # the date only, as written
        return when.strftime("%Y-%m-%dT00:00:00.000Z")
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _json(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status=status,
                    content_type="application/json; charset=utf-8")
