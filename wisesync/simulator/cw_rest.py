"""The simulated ConnectWise Manage REST API: ``login/companyinfo`` and the 3.0 subset.

Served under both ``/v4_6_release/apis/3.0`` and ``/{codebase}apis/3.0`` (``/v2025_1/apis/3.0``),
with ConnectWise's auth (Basic ``companyId+public:private`` plus a ``clientId`` header), paging,
``conditions``, error bodies ``{"code","message","errors"}`` and the faults of ``faults.py``.
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
from functools import partial

from flask import Flask, Response, request

from wisesync.simulator import cw_data, demo
from wisesync.simulator.cw_query import Collection, ConditionError, count, page
from wisesync.simulator.faults import denied_rights, dropped_response, find, request_faults

CODEBASES = ("v4_6_release", demo.CW_CODEBASE.rstrip("/"))
JSON = "application/json; charset=utf-8"


class _Store:
    """The only mutable data: accounting batches and the invoice ids they took."""

    def __init__(self):
        self.lock = threading.Lock()
        self.batched: set[int] = set()
        self.batches: list[dict] = []


def _body(code: str, message: str, errors: list | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or []}


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), status=status, content_type=JSON,
                    headers=headers or {})


def _error(status: int, code: str, message: str, errors=None, headers=None) -> Response:
    return _json(_body(code, message, errors), status, headers)


def register(app: Flask, state) -> None:
    store = _Store()
    app.extensions["cw_rest"] = store
    app.add_url_rule("/login/companyinfo/<company_id>", "cw_companyinfo",
                     partial(_companyinfo, state))
    app.add_url_rule(f"/<any({', '.join(CODEBASES)}):codebase>/apis/3.0/<path:sub>", "cw_rest",
                     partial(_api, state, store), methods=["GET", "POST"])


def _companyinfo(state, company_id: str):
    faults = request_faults(state.faults, "cw-rest", request)
    early = _transport_faults(faults)
    if early is not None:
        return early
    if company_id.lower() != demo.CW_COMPANY_ID:
        return _finish(faults, _json(None))
    return _finish(faults, _json({
        "CompanyName": "Wise-Sync Simulated MSP", "Codebase": demo.CW_CODEBASE,
        "VersionCode": "v2025.1", "VersionNumber": "v4.6.108271", "CompanyID": demo.CW_COMPANY_ID,
        "IsCloud": False, "SiteUrl": request.host}))


def _api(state, store: _Store, codebase: str, sub: str):
    faults = request_faults(state.faults, "cw-rest", request)
    early = _transport_faults(faults)
    if early is not None:
        return early
    if not request.headers.get("clientId"):
        return _error(400, "InvalidObject", "clientId is required. Register a clientId at "
                      "developer.connectwise.com and send it in the clientId header.",
                      [{"code": "Required", "message": "clientId is required", "resource": "header",
                        "field": "clientId"}])
    if find(faults, "auth") or not _authorized(request.headers.get("Authorization", "")):
        return _error(401, "Unauthorized", "Incorrect public/private key")
    route = _route(state, store, request.method, sub.strip("/"))
    if route is None:
        return _error(404, "NotFound", f"/{sub} was not found")
    right, handler = route
    if right in denied_rights(faults):
        return _error(403, "Security", "You do not have security permission to perform this action.")
    try:
        response = handler()
    except ConditionError as exc:
        response = _error(400, "InvalidObject", "conditions is invalid",
                          [{"code": "InvalidCondition", "message": str(exc), "resource": sub,
                            "field": "conditions"}])
    return _finish(faults, response)


def _transport_faults(faults):
    slow = find(faults, "slow")
    if slow:
        time.sleep(slow.seconds)
    limited = find(faults, "429")
    if limited:
        return _error(429, "TooManyRequests", "Too many requests, slow down.",
                      headers={"Retry-After": f"{limited.retry_after:g}"})
    if find(faults, "500"):
        return _error(500, "UnexpectedError", "An unexpected error occurred.")
    return None


def _finish(faults, response: Response) -> Response:
    if response.status_code >= 400:
        return response
    body = response.get_data()
    if find(faults, "malformed"):
        return Response(body[: max(1, len(body) // 2)], status=200, content_type=JSON)
    if find(faults, "drop"):
        return dropped_response(body, JSON)
    return response


def _authorized(header: str) -> bool:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, secret = base64.b64decode(token, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    company, _, public = user.partition("+")
    return (company.lower() == demo.CW_COMPANY_ID and public == demo.CW_PUBLIC_KEY
            and secret == demo.CW_PRIVATE_KEY)


def _collections(state, store: _Store) -> dict[str, tuple[str, Collection]]:
    companies, agreements, catalog = (state.size(k) for k in ("companies", "agreements", "catalog"))
    members = state.sizes.get("members", min(state.records, max(5, state.records // 10)))
    return {
        "company/companies": ("companies", Collection(companies, cw_data.company)),
        "company/contacts": ("contacts", Collection(state.size("contacts"), cw_data.contact)),
        "finance/agreements": ("agreements", Collection(
            agreements, partial(cw_data.agreement, companies=companies))),
        "procurement/catalog": ("catalog", Collection(catalog, cw_data.catalog_item)),
        "procurement/products": ("catalog", Collection(catalog, partial(
            cw_data.product, catalog_size=catalog, agreements=agreements))),
        "system/members": ("system", Collection(max(0, members), cw_data.member)),
        "finance/accounting/unpostedinvoices": ("invoicing", Collection(
            state.size("invoices"), partial(cw_data.unposted_invoice, companies=companies),
            excluded=store.batched)),
        "finance/accounting/batches": ("invoicing", Collection(
            len(store.batches), lambda i: store.batches[i - 1])),
    }


_ADDITIONS = re.compile(r"finance/agreements/(\d+)/additions(?:/(count|\d+))?")
_ITEM = re.compile(r"(.+?)(?:/(count|\d+))?")


def _route(state, store: _Store, method: str, sub: str):
    """(right, handler) for this path, or None. Rights match the fault ``right`` names."""
    if method == "POST":
        posts = {"finance/accounting/export": partial(_export, state, store),
                 "finance/accounting/batches": partial(_create_batch, state, store)}
        return ("invoicing", posts[sub]) if sub in posts else None
    if sub == "system/info":
        return "system", lambda: _json(cw_data.system_info())
    collections = _collections(state, store)
    match = _ADDITIONS.fullmatch(sub)
    if match:
        parent, tail = int(match[1]), match[2]
        if not 1 <= parent <= state.size("agreements"):
            return "agreements", lambda: _error(404, "NotFound", f"Agreement recId {parent} not found")
        first = (parent - 1) * cw_data.ADDITIONS_PER_AGREEMENT
        coll = Collection(cw_data.ADDITIONS_PER_AGREEMENT,
                          partial(cw_data.addition, parent, catalog_size=state.size("catalog")), id_is_index=False)
        if tail and tail != "count":
            tail = str(int(tail) - first) if 0 < int(tail) - first <= coll.size else "0"
        return "agreements", partial(_serve, coll, tail, "Addition")
    match = _ITEM.fullmatch(sub)
    if not match or match[1] not in collections:
        return None
    right, coll = collections[match[1]]
    return right, partial(_serve, coll, match[2], match[1].rsplit("/", 1)[-1])


def _serve(coll: Collection, tail: str | None, noun: str) -> Response:
    if tail == "count":
        return _json({"count": count(coll, request.args)})
    if tail is not None:
        index = int(tail)
        if not 1 <= index <= coll.size or index in coll.excluded:
            return _error(404, "NotFound", f"{noun} recId {tail} not found")
        return _json(coll.get(index))
    forward = request.headers.get("pagination-type", "").lower() == "forward-only"
    records, link = page(coll, request.args, forward, request.base_url)
    return _json(records, headers={"Link": link} if link else None)


def _request_object(required: tuple[str, ...] = ()) -> dict | Response:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(400, "InvalidObject", "The request body is not a JSON object")
    missing = [name for name in required if not data.get(name)]
    if missing:
        return _error(400, "InvalidObject", "batch object is invalid", [
            {"code": "NullObject", "message": f"{name} is required", "resource": "batch",
             "field": name} for name in missing])
    return data


def _export(state, store: _Store) -> Response:
    data = _request_object()
    if isinstance(data, Response):
        return data
    wanted = [i for i in (data.get("includedInvoiceIds") or []) if isinstance(i, int)]
    excluded = set(data.get("excludedInvoiceIds") or [])
    if not wanted:
        wanted = list(range(1, min(state.size("invoices"), 100) + 1))
    ids = [i for i in wanted
           if 1 <= i <= state.size("invoices") and i not in store.batched and i not in excluded]
    return _json(_gl_export(ids))


def _create_batch(state, store: _Store) -> Response:
    data = _request_object(("processedRecordIds",))
    if isinstance(data, Response):
        return data
    ids = [i for i in data["processedRecordIds"] if isinstance(i, int) and 1 <= i <= state.size("invoices")]
    with store.lock:
        ids = [i for i in ids if i not in store.batched]
        store.batched.update(ids)
        batch_id = len(store.batches) + 1
        store.batches.append({
            "id": batch_id, "batchIdentifier": data.get("batchIdentifier") or f"WS{batch_id:05d}",
            "closedFlag": False, "exportInvoicesFlag": data.get("exportInvoicesFlag", True),
            "exportExpensesFlag": data.get("exportExpensesFlag", False),
            "exportProductsFlag": data.get("exportProductsFlag", False),
            "_info": {"lastUpdated": cw_data.stamp(cw_data.BASE_TIME)}})
    return _json(_gl_export(ids), 201)


def _gl_export(ids: list[int]) -> dict:
    transactions, customers = [], {}
    for i in ids:
        inv = cw_data.unposted_invoice(i)
        customers.setdefault(inv["company"]["id"], {
            "company": inv["company"], "accountNumber": inv["accountNumber"],
            "billingTerms": inv["billingTerms"], "currency": inv["currency"], "taxable": True})
        transactions.append({
            "id": i, "documentNumber": inv["invoiceNumber"], "documentDate": inv["invoiceDate"],
            "documentType": "CM" if inv["invoiceType"] == "CreditMemo" else "IN",
            "company": inv["company"], "companyAccountNumber": inv["accountNumber"],
            "accountNumber": "1200", "billingTerms": inv["billingTerms"], "currency": inv["currency"],
            "dueDate": inv["dueDate"], "description": inv["description"], "glEntryIds": str(i),
            "salesTax": inv["salesTaxAmount"], "total": inv["total"], "taxable": True,
            "detail": [{"id": i, "accountNumber": "4000", "description": inv["description"],
                        "total": inv["subTotal"], "quantity": 1.0, "glTypeId": "IN"}],
        })
    return {"transactions": transactions, "customers": list(customers.values()), "exportSettings": {},
            "expenses": [], "vendors": [], "adjustmentTransactions": [], "expenseBills": [],
            "inventoryTransfers": [], "purchaseTransactions": []}
