"""The simulated Xero Accounting API under ``/xero/api/api.xro/2.0/`` (the real one is
``https://api.xero.com/api.xro/2.0/``): Organisation, TaxRates, Accounts, TrackingCategories,
Contacts, Items, Invoices, CreditNotes, Payments — GET (list and by id), PUT (create), POST
(create or update).

Every call: faults (target ``xero``), ``Authorization: Bearer`` (401 as Xero words it),
``xero-tenant-id`` naming an organisation connected to that grant (403
``AuthenticationUnsuccessful`` otherwise), the scope the spec asks for (or its granular
successor: ``accounting.invoices`` for invoices and credit notes, ``accounting.payments`` for
payments), then the organisation's rate limits, whose headers come back on every answer.

Writes: bodies up to 3.5 MB (taken as 3.5 × 2^20 bytes; 413 beyond; both UNVERIFIED), ``summarizeErrors`` (the spec's
default ``false``: 200 with each element's ``ValidationErrors``; ``true``: 400
``ValidationException`` listing the refused elements, and then nothing is saved — UNVERIFIED
that Xero saves none), ``unitdp=4``, and ``Idempotency-Key`` (≤ 128 characters, "safely retry
requests without the risk of duplicate processing", per the spec). A key replayed with the
same request returns the stored answer and changes nothing; the same key with a different
request is refused with 400. UNVERIFIED (no public source): what Xero answers on a replay or a
reused key, how long it remembers (24 h here) and whether keys are per organisation (here).
Xero does not limit elements per call but recommends about 50; neither does this.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from functools import partial

from flask import Flask, Response, request

from wisesync.simulator.faults import find
from wisesync.simulator.xero_documents import CREDIT_NOTES, INVOICES, save_document
from wisesync.simulator.xero_format import loads, ms_date
from wisesync.simulator.xero_http import (
    bearer, faults_for, finish, forbidden, json_response, not_found, problem, transport_faults)
from wisesync.simulator.xero_records import save_contact, save_item, save_payment
from wisesync.simulator.xero_rules import ZERO_ID, Batch
from wisesync.simulator.xero_state import IDEMPOTENCY_LIFETIME, Remembered, attach
from wisesync.simulator.xero_views import RESOURCES, find_one, page, present, records, select
from wisesync.simulator.xero_where import QueryError

BASE = "/xero/api/api.xro/2.0"
MAX_BODY = int(3.5 * 1024 * 1024)
PROVIDER = "Wise-Sync simulator"

# Scopes that allow reading (and, without ".read", writing) each resource.
_SCOPES = {"Organisation": ("accounting.settings",), "TaxRates": ("accounting.settings",),
           "Accounts": ("accounting.settings",), "TrackingCategories": ("accounting.settings",),
           "Items": ("accounting.settings",), "Contacts": ("accounting.contacts",),
           "Invoices": ("accounting.transactions", "accounting.invoices"),
           "CreditNotes": ("accounting.transactions", "accounting.invoices"),
           "Payments": ("accounting.transactions", "accounting.payments")}

# Resource → (save function, id field, "has errors" flag or None).
_WRITERS = {
    "Contacts": (save_contact, "ContactID", "HasValidationErrors"),
    "Items": (save_item, "ItemID", None),
    "Invoices": (partial(save_document, kind=INVOICES), "InvoiceID", "HasErrors"),
    "CreditNotes": (partial(save_document, kind=CREDIT_NOTES), "CreditNoteID", "HasErrors"),
    "Payments": (save_payment, "PaymentID", "HasValidationErrors"),
}


def register(app: Flask, state) -> None:
    attach(state)
    app.add_url_rule(f"{BASE}/<path:sub>", "xero_accounting", partial(_api, state),
                     methods=["GET", "PUT", "POST"])


def _api(state, sub: str):
    faults = faults_for(state)
    early = transport_faults(faults, slow_now=False)
    if early is not None:
        return early
    access, refused = bearer(state, faults)
    if refused is not None:
        return refused
    tenant_id = request.headers.get("xero-tenant-id", "").strip().lower()
    if find(faults, "deny") or tenant_id not in access.grant.connections:
        return forbidden()
    parts = [p for p in sub.split("/") if p]
    resource = RESOURCES.get(parts[0].lower()) if parts else None
    if resource is None or len(parts) > 2 or (len(parts) == 2 and resource.id_field is None):
        return not_found()
    if not _scoped(access.grant.scope, resource.name, request.method != "GET"):
        return forbidden("AuthorizationUnsuccessful")
    org = state.xero.orgs[tenant_id]
    verdict = state.xero.limiter.enter(tenant_id, org.limits)
    if verdict.problem:
        return problem(429, "Too Many Requests", f"Rate limit exceeded: {verdict.problem}", {
            **verdict.headers, "Retry-After": str(verdict.retry_after),
            "X-Rate-Limit-Problem": verdict.problem})
    try:
        slow = find(faults, "slow")
        if slow:
            time.sleep(slow.seconds)  # inside the call slot, as a slow Xero would hold it
        key = parts[1] if len(parts) == 2 else None
        if request.method == "GET":
            response = _get(state, org, resource, key, access.grant.client_id)
        else:
            response = _write(state, org, tenant_id, resource, key, access.grant.client_id)
    finally:
        state.xero.limiter.leave(tenant_id)
    response.headers.update(verdict.headers)
    return finish(faults, response)


def _scoped(granted: str, resource: str, write: bool) -> bool:
    scopes = set(granted.split())
    return any(base in scopes or (not write and f"{base}.read" in scopes)
               for base in _SCOPES[resource])


def _envelope(state, key: str, rows: list, extra: dict | None = None) -> dict:
    return {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": PROVIDER,
            "DateTimeUTC": ms_date(state.xero.utcnow(), offset=False), **(extra or {}), key: rows}


def _query_error(message: str) -> Response:
    return json_response({"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}, 400)


def _bad_request(message: str, number: int = 10, kind: str = "ValidationException") -> Response:
    return json_response({"ErrorNumber": number, "Type": kind, "Message": message}, 400)


# -- reads ---------------------------------------------------------------------------------------

def _get(state, org, resource, key: str | None, client_id: str) -> Response:
    unitdp = 4 if request.args.get("unitdp") == "4" else 2
    with org.lock:
        views = records(org, resource)
        if key is not None:
            found = find_one(views, resource, key)
            if found is None:
                return not_found()
            rows = [present(found, resource, unitdp=unitdp)]
            return json_response(_envelope(state, resource.answer_key, rows))
        try:
            mine = {i for i, client in org.created_by.items() if client == client_id}
            views = select(views, resource, request.args, request.headers.get("If-Modified-Since"), mine)
            chosen, pagination = page(views, resource, request.args)
        except QueryError as exc:
            return _query_error(str(exc))
        summary = request.args.get("summaryOnly", "").lower() == "true" and resource.name in (
            "Contacts", "Invoices")
        lines = pagination is not None or resource.name not in ("Invoices", "CreditNotes")
        rows = [present(v, resource, unitdp=unitdp, lines=lines, summary=summary) for v in chosen]
    extra = {"pagination": pagination} if pagination else None
    return json_response(_envelope(state, resource.answer_key, rows, extra))


# -- writes ----------------------------------------------------------------------------------------

def _write(state, org, tenant_id: str, resource, key: str | None, client_id: str) -> Response:
    if resource.name not in _WRITERS or (request.method == "PUT" and key is not None):
        return problem(405, "Method Not Allowed", "The simulator does not support this write")
    length = request.content_length
    if length is not None and length > MAX_BODY:
        return problem(413, "Request Entity Too Large", "The request body exceeds 3.5 MB")
    body = request.get_data()
    if len(body) > MAX_BODY:
        return problem(413, "Request Entity Too Large", "The request body exceeds 3.5 MB")
    idem = request.headers.get("Idempotency-Key")
    if idem is not None and len(idem) > 128:
        return _bad_request("The Idempotency-Key header must be 128 characters or fewer")
    fingerprint = hashlib.sha256(b"\n".join((
        request.method.encode(), request.path.lower().encode(),
        "&".join(sorted(f"{k}={v}" for k, v in request.args.items(multi=True))).encode(),
        body))).hexdigest()
    with org.lock:
        if idem is not None:
            remembered = state.xero.idempotency.get((tenant_id, idem))
            if remembered and remembered.stored_at + IDEMPOTENCY_LIFETIME > state.xero.now():
                if remembered.fingerprint != fingerprint:
                    return _bad_request("This Idempotency-Key has already been used with a "
                                        "different request")
                return Response(remembered.body, status=remembered.status,
                                content_type="application/json; charset=utf-8")
        response = _save(state, org, resource, key, body, client_id)
        if idem is not None and response.status_code < 500:
            state.xero.idempotency[(tenant_id, idem)] = Remembered(
                fingerprint, state.xero.now(), response.status_code, response.get_data(as_text=True))
    return response


def _save(state, org, resource, key: str | None, body: bytes, client_id: str) -> Response:
    try:
        data = loads(body or b"null")
    except ValueError as exc:
        return _bad_request(f"JSON for post data was invalid, {exc}", 14, "PostDataInvalidException")
    name = resource.name
    if name == "Payments" and request.method == "POST" and isinstance(data, dict) and name not in data:
        # POST /Payments takes one Payment (spec: createPayment); POST /Payments/{id} one
        # PaymentDelete (deletePayment) — its schema is bare, its example wrapped in "Payments".
        data = {name: [data]}
    elements = data.get(name) if isinstance(data, dict) else None
    if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
        return _bad_request(f"JSON for post data was invalid, expected {{\"{name}\": [...]}}", 14,
                            "PostDataInvalidException")
    save, id_field, flag = _WRITERS[name]
    if key is not None:
        if len(elements) != 1:
            return _bad_request(f"Exactly one element is expected when updating {name}/{key}")
        elements = [{**elements[0], id_field: key}]
    unitdp = 4 if request.args.get("unitdp") == "4" else 2
    summarize = request.args.get("summarizeErrors", "false").lower() == "true"
    if summarize:
        trial = _run(Batch(org.clone(), state.xero.utcnow(), unitdp, request.method, client_id), save, elements)
        refused = [_refused(e, errors, id_field, flag) for e, (_, errors) in zip(elements, trial) if errors]
        if refused:
            return json_response({"ErrorNumber": 10, "Type": "ValidationException",
                                  "Message": "A validation exception occurred",
                                  "Elements": refused}, 400)
    batch = Batch(org, state.xero.utcnow(), unitdp, request.method, client_id)
    results = _run(batch, save, elements)
    rows = []
    for element, (record, errors) in zip(elements, results):
        if errors:
            rows.append(_refused(element, errors, id_field, flag))
            continue
        row = present(_view(org, name, record), resource, unitdp=unitdp)
        row["StatusAttributeString"] = "OK"
        if flag:
            row[flag] = False
        rows.append(row)
    return json_response(_envelope(state, name, rows))


def _run(batch: Batch, save, elements: list[dict]) -> list[tuple[dict | None, list[str]]]:
    return [save(batch, element) for element in elements]


def _view(org, name: str, record: dict) -> dict:
    from wisesync.simulator import xero_views

    if name in ("Invoices", "CreditNotes"):
        return xero_views.document(org, record)
    if name == "Payments":
        return xero_views.payment(org, record)
    return record


def _refused(element: dict, errors: list[str], id_field: str, flag: str | None) -> dict:
    """The element as sent, marked as Xero marks a refused one (all-zero id, ERROR)."""
    row = {**element, id_field: ZERO_ID, "StatusAttributeString": "ERROR",
           "ValidationErrors": [{"Message": message} for message in errors]}
    if flag:
        row[flag] = True
    return row
