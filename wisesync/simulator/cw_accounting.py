"""The simulated ConnectWise accounting side (REST 3.0), routed from ``cw_rest``:

- ``GET /system/locations[/count,/{id}]`` — the billing locations (owner levels);
- ``GET /finance/accounting/unpostedinvoices[/count,/{id}]`` and ``…/unpostedprocurement[…]``
  — closed records not yet batched (``conditions`` such as ``locationId=1 or locationId=2``);
- ``POST /finance/accounting/export`` — ``ExportAccountingBatchRequest`` → ``GLExport``
  (reads, batches nothing);
- ``GET,POST /finance/accounting/batches`` (+ ``/count``), ``GET,DELETE /batches/{id}``,
  ``GET /batches/{id}/entries[/count,/{id}]``, ``POST /batches/{id}/export``;
- ``GET,POST /finance/invoices/{parentId}/payments`` (+ ``/{id}``);
- ``POST /system/members/{memberIdentifier}/tokens`` — a member impersonation token.

``POST /batches`` answers **201 with a GLExport** of the batched records, as the fixture says
(v2025.16 and v2025.8 both); the batch itself is read back with ``GET /batches``.

Member tokens: PowerShell's ConnectWiseManageAPI (``New-CWMMemberToken``, ``Connect-CWM``)
POSTs ``/system/members/{memberIdentifier}/tokens`` (header ``x-cw-usertype: member``; older
versions sent ``integrator`` and a body ``{"memberIdentifier": …}``) and reads
``{"publicKey", "privateKey", "expiration"}`` (pyconnectwise ``TokenModel`` has the same three
fields); the caller then signs as the member with Basic ``company+publicKey:privateKey``. The
endpoint is not in the OpenAPI fixture; its status (200 here) and the token lifetime are
UNVERIFIED. Calls signed with a token record that member (batches' ``_info.enteredBy`` /
``updatedBy``, payments' ``appliedBy``); the API keys record ``cw_books.API_MEMBER``.

Rights (fault ``deny;right=…``): ``accounting`` or ``invoicing`` deny every
``/finance/accounting`` path (ConnectWise: Finance > Accounting Interface); ``payments`` or
``invoicing`` deny invoice payments; ``system`` denies locations; ``members`` or ``system``
deny tokens.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import partial

from flask import Response, g, request

from wisesync.simulator import cw_data
from wisesync.simulator import cw_ledger_data as ledger
from wisesync.simulator.cw_books import API_MEMBER, BooksError, books_for, invalid
from wisesync.simulator.cw_query import Collection, count, page

ACCOUNTING = ("accounting", "invoicing")
PAYMENTS = ("payments", "invoicing")
EXPORT_FLAGS_MESSAGE = "Batch export must include invoices, expenses, or products (procurement)."

_LIST = re.compile(r"(system/locations|finance/accounting/unpostedinvoices|"
                   r"finance/accounting/unpostedprocurement)(?:/(count|\d+))?")
_BATCH = re.compile(r"finance/accounting/batches/(\d+)(?:/(entries|export)(?:/(count|\d+))?)?")
_PAYMENTS = re.compile(r"finance/invoices/(\d+)/payments(?:/(\d+))?")
_TOKENS = re.compile(r"system/members/([^/]+)/tokens")


def route(state, method: str, sub: str):
    """``(rights, handler)`` for an accounting path, or None (``cw_rest`` routes the rest)."""
    books = books_for(state)
    if method == "POST":
        if sub == "finance/accounting/export":
            return ACCOUNTING, partial(_export, books)
        if sub == "finance/accounting/batches":
            return ACCOUNTING, partial(_create_batch, books)
        match = _BATCH.fullmatch(sub)
        if match and match[2] == "export" and not match[3]:
            return ACCOUNTING, partial(_batch_export, books, int(match[1]))
        match = _PAYMENTS.fullmatch(sub)
        if match and not match[2]:
            return PAYMENTS, partial(_post_payment, books, int(match[1]))
        match = _TOKENS.fullmatch(sub)
        if match:
            return ("members", "system"), partial(_token, state, books, match[1])
        return None
    if method == "DELETE":
        match = _BATCH.fullmatch(sub)
        if match and not match[2]:
            return ACCOUNTING, partial(_delete_batch, books, int(match[1]))
        return None
    if sub in ("finance/accounting/batches", "finance/accounting/batches/count"):
        return ACCOUNTING, partial(_serve_list, lambda: [b.as_json() for b in books.batch_list()],
                                   "count" if sub.endswith("count") else None, "AccountingBatch")
    match = _BATCH.fullmatch(sub)
    if match and match[2] != "export":
        batch_id, tail = int(match[1]), match[3]
        if match[2] == "entries":
            return ACCOUNTING, partial(_entries, books, batch_id, tail)
        return ACCOUNTING, partial(_batch, books, batch_id)
    match = _PAYMENTS.fullmatch(sub)
    if match:
        parent, tail = int(match[1]), match[2]
        return PAYMENTS, partial(_payments, books, parent, tail)
    match = _LIST.fullmatch(sub)
    if match:
        return _list_route(books, match[1], match[2])
    return None


# -- helpers shared with cw_rest (imported late: cw_rest imports this module) -------------------
def _json(data, status: int = 200, headers=None) -> Response:
    from wisesync.simulator.cw_rest import _json as json_response

    return json_response(data, status, headers)


def _error(status: int, code: str, message: str, errors=None) -> Response:
    from wisesync.simulator.cw_rest import _error as error_response

    return error_response(status, code, message, errors)


def _refusal(exc: BooksError) -> Response:
    return _error(exc.status, exc.code, exc.message, exc.errors)


def _actor() -> str:
    return getattr(g, "cw_actor", None) or API_MEMBER


def _serve(coll: Collection, tail: str | None, noun: str) -> Response:
    from wisesync.simulator.cw_rest import _serve as serve

    return serve(coll, tail, noun)


def _serve_list(records_now, tail: str | None, noun: str) -> Response:
    """A list held in memory (batches, entries, payments): ids are not indexes."""
    records = records_now()
    coll = Collection(len(records), lambda i: records[i - 1], id_is_index=False)
    if tail == "count":
        return _json({"count": count(coll, request.args)})
    forward = request.headers.get("pagination-type", "").lower() == "forward-only"
    rows, link = page(coll, request.args, forward, request.base_url)
    return _json(rows, headers={"Link": link} if link else None)


def _list_route(books, path: str, tail: str | None):
    companies = books.companies
    posted_invoices, posted_procurement = books.posted()
    if path == "system/locations":
        coll = Collection(len(ledger.LOCATIONS), ledger.location)
        return "system", partial(_serve, coll, tail, "Location")
    if path.endswith("unpostedinvoices"):
        coll = Collection(books.invoice_count, partial(ledger.unposted_invoice, companies=companies),
                          excluded=set(posted_invoices))
        return ACCOUNTING, partial(_serve, coll, tail, "UnpostedInvoice")
    coll = Collection(books.procurement_count, partial(ledger.unposted_procurement, companies=companies),
                      excluded=set(posted_procurement))
    return ACCOUNTING, partial(_serve, coll, tail, "UnpostedProcurement")


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BooksError(400, "InvalidObject", "The request body is not a JSON object")
    return data


def _int_list(data: dict, name: str) -> list[int]:
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise invalid("batch", name, "InvalidField", f"{name} must be a list of whole numbers.")
    return value


def _str_list(data: dict, name: str) -> list[str]:
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid("batch", name, "InvalidField", f"{name} must be a list of strings.")
    return value


def _thru(data: dict) -> str | None:
    """``thruDate`` as a comparable ``YYYY-MM-DDTHH:MM:SS`` (the records carry ``…Z`` stamps)."""
    raw = data.get("thruDate")
    if raw in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise invalid("batch", "thruDate", "InvalidField", "thruDate must be a date-time.") from None
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


# -- export -----------------------------------------------------------------------------------
def _export(books) -> Response:
    try:
        data = _body()
        invoices, expenses, products = (data.get(f) is True for f in (
            "exportInvoicesFlag", "exportExpensesFlag", "exportProductsFlag"))
        if not (invoices or expenses or products):
            raise invalid("batch", "exportInvoicesFlag", "InvalidField", EXPORT_FLAGS_MESSAGE)
        location = data.get("locationId")
        if location is not None and (not isinstance(location, int) or isinstance(location, bool)):
            raise invalid("batch", "locationId", "InvalidField", "locationId must be a whole number.")
        thru = _thru(data)
        invoice_ids = _int_list(data, "includedInvoiceIds")
        skip_invoices = set(_int_list(data, "excludedInvoiceIds"))
        product_ids = _str_list(data, "includedProductIds")
        skip_products = set(_str_list(data, "excludedProductIds"))
        _int_list(data, "includedExpenseIds"), _int_list(data, "excludedExpenseIds")
    except BooksError as exc:
        return _refusal(exc)
    posted_invoices, posted_procurement = books.posted()
    chosen_invoices, chosen_procurement = [], []
    if invoices:
        wanted = sorted(set(invoice_ids)) if invoice_ids else range(1, books.invoice_count + 1)
        for i in wanted:
            if (books.invoice_exists(i) and i not in posted_invoices and i not in skip_invoices
                    and ledger.has_gl_entries(i) and (location is None or ledger.location_id(i) == location)
                    and (thru is None or ledger.unposted_invoice(i)["invoiceDate"][:19] <= thru)):
                chosen_invoices.append(i)
    if products:
        if product_ids:
            wanted = sorted({j for j in map(ledger.procurement_index, product_ids) if j is not None})
        else:
            wanted = range(1, books.procurement_count + 1)
        for j in wanted:
            if (books.procurement_exists(j) and j not in posted_procurement
                    and ledger.unposted_product_id(j) not in skip_products
                    and (location is None or ledger.location_id(j) == location)
                    and (thru is None or cw_data.stamp(ledger.purchase_date(j))[:19] <= thru)):
                chosen_procurement.append(j)
    return _json(gl_export(books, chosen_invoices, chosen_procurement))


def gl_export(books, invoice_ids, procurement_ids) -> dict:
    companies = books.companies
    transactions = [ledger.invoice_transaction(i, companies) for i in invoice_ids]
    purchases = [ledger.purchase_transaction(j, companies) for j in procurement_ids]
    customers, vendors = {}, {}
    for i, tx in zip(invoice_ids, transactions):
        customers.setdefault(tx["company"]["id"], ledger.customer(tx["company"]["id"], ledger.location_id(i)))
    for j, tx in zip(procurement_ids, purchases):
        vendors.setdefault(tx["company"]["id"], ledger.vendor(tx["company"]["id"], ledger.location_id(j)))
    return {"transactions": transactions, "customers": list(customers.values()),
            "vendors": list(vendors.values()), "purchaseTransactions": purchases, "expenses": [],
            "expenseBills": [], "adjustmentTransactions": [], "inventoryTransfers": [],
            "exportSettings": {}}


# -- batches ----------------------------------------------------------------------------------
def _create_batch(books) -> Response:
    try:
        data = _body()
        identifier = data.get("batchIdentifier")
        if identifier in (None, ""):
            identifier = datetime.now().strftime("%Y%m%d%H%M%S%f")  # ConnectWise: a timestamp
        if not isinstance(identifier, str) or len(identifier) > 50:
            raise invalid("accountingBatch", "batchIdentifier", "MaxLengthField",
                          "The field batchIdentifier must be a string with a maximum length of 50.")
        if "processedRecordIds" not in data or data["processedRecordIds"] in (None, []):
            raise invalid("accountingBatch", "processedRecordIds", "MissingRequiredField",
                          "processedRecordIds is required.")
        batch = books.create_batch(identifier, data["processedRecordIds"],
                                   invoices=data.get("exportInvoicesFlag") is True,
                                   expenses=data.get("exportExpensesFlag") is True,
                                   products=data.get("exportProductsFlag") is True, actor=_actor())
    except BooksError as exc:
        return _refusal(exc)
    return _json(gl_export(books, sorted(batch.invoices), sorted(batch.procurement)), 201)


def _batch(books, batch_id: int) -> Response:
    batch = books.batch(batch_id)
    if batch is None:
        return _error(404, "NotFound", f"AccountingBatch recId {batch_id} not found")
    return _json(batch.as_json())


def _delete_batch(books, batch_id: int) -> Response:
    if not books.delete_batch(batch_id):
        return _error(404, "NotFound", f"AccountingBatch recId {batch_id} not found")
    return Response(status=204)


def _batch_export(books, batch_id: int) -> Response:
    batch = books.batch(batch_id)
    if batch is None:
        return _error(404, "NotFound", f"AccountingBatch recId {batch_id} not found")
    return _json(gl_export(books, sorted(batch.invoices), sorted(batch.procurement)))


def _entries(books, batch_id: int, tail: str | None) -> Response:
    batch = books.batch(batch_id)
    if batch is None:
        return _error(404, "NotFound", f"AccountingBatch recId {batch_id} not found")

    def rows():
        out = []
        for i in sorted(batch.invoices):
            out += ledger.batch_entries("invoice", i, batch.entries, books.companies)
        for j in sorted(batch.procurement):
            out += ledger.batch_entries("procurement", j, batch.entries, books.companies)
        for row in out:
            row["_info"] = {"lastUpdated": cw_data.stamp(batch.when), "updatedBy": batch.actor}
        return out

    if tail not in (None, "count"):
        found = next((r for r in rows() if r["id"] == int(tail)), None)
        return _json(found) if found else _error(404, "NotFound", f"BatchEntry recId {tail} not found")
    return _serve_list(rows, tail, "BatchEntry")


# -- payments ---------------------------------------------------------------------------------
def _payments(books, invoice_id: int, tail: str | None) -> Response:
    if not books.invoice_exists(invoice_id):
        return _error(404, "NotFound", f"Invoice recId {invoice_id} not found")
    if tail is not None:
        found = next((p for p in books.payments_for(invoice_id) if p["id"] == int(tail)), None)
        return _json(found) if found else _error(404, "NotFound", f"Payment recId {tail} not found")
    return _serve_list(lambda: books.payments_for(invoice_id), None, "InvoicePayment")


def _post_payment(books, invoice_id: int) -> Response:
    if not books.invoice_exists(invoice_id):
        return _error(404, "NotFound", f"Invoice recId {invoice_id} not found")
    try:
        data = _body()
        try:
            amount = Decimal(str(data.get("amount")))
        except InvalidOperation:
            raise invalid("payment", "amount", "MissingRequiredField", "amount is required.") from None
        payment_type = data.get("type") or "Check"
        date = data.get("paymentDate") or cw_data.stamp(datetime.now().astimezone())
        record = books.add_payment(invoice_id, amount, str(payment_type), str(date), _actor())
    except BooksError as exc:
        return _refusal(exc)
    return _json(record, 201)


# -- member tokens ------------------------------------------------------------------------------
def _token(state, books, identifier: str) -> Response:
    from wisesync.simulator.cw_rest import member_count

    wanted = identifier.lower()
    member = next((m for m in map(cw_data.member, range(1, member_count(state) + 1))
                   if m["identifier"].lower() == wanted), None)
    if member is None or member.get("inactiveFlag"):
        return _error(404, "NotFound", f"Member {identifier} was not found.")
    token = books.issue_token(member["identifier"])
    return _json({"publicKey": token.public_key, "privateKey": token.private_key,
                  "expiration": cw_data.stamp(token.expires)})
