"""Test controls for the simulated Xero (``/_sim/xero/...``, no authentication, like ``/_sim``).

- ``GET /_sim/xero/<tenant-id>/documents``: everything the organisation holds, by type:
  ``{"tenant_id", "invoices" (ACCREC), "bills" (ACCPAY), "credit_notes", "contacts", "items",
  "payments"}``, each record in Xero's JSON shape (full precision, line items included).
- ``GET /_sim/xero/<tenant-id>/documents/<xero-id>``: one of them (any type), 404 if none.
- ``GET|POST /_sim/xero/<tenant-id>/settings``: ``period_lock_date``, ``end_of_year_lock_date``
  (``YYYY-MM-DD`` or null), ``minute_limit``, ``day_limit``, ``concurrent_limit``.
- ``GET|POST /_sim/xero/settings``: ``app_minute_limit``.
- ``POST /_sim/xero/clock`` ``{"advance": seconds}``: move the Xero clock (token expiry,
  rate-limit windows, idempotency memory); answers ``{"offset": seconds}``.
- ``POST /_sim/xero/reset``: ``state.xero.reset()`` (``POST /_sim/reset`` does it for everything).
- ``POST /_sim/xero/<tenant-id>/pay`` ``{"invoice_id" | "invoice_number", "amount", "date"
  (YYYY-MM-DD, default today), "account_code" (default the bank account 090), "reference"}``:
  a customer pays an invoice, through the same rules as ``PUT /Payments`` (AUTHORISED invoices
  only, never more than the amount due, lock dates); answers ``{"payment": ...}`` or 400
  ``{"errors": [...]}``.
- ``POST /_sim/xero/<tenant-id>/payments/<payment-id>/delete``: the payment is deleted, as
  ``POST /Payments/{PaymentID}`` ``{"Status": "DELETED"}`` does (the invoice is due again).
"""
from __future__ import annotations

from datetime import date

from flask import Flask, jsonify, request

from wisesync.simulator import xero_views
from wisesync.simulator.xero_attachments import attachments
from wisesync.simulator.xero_http import json_response
from wisesync.simulator.xero_records import save_payment
from wisesync.simulator.xero_rules import Batch
from wisesync.simulator.xero_state import attach
from wisesync.simulator.xero_views import RESOURCES, present

def register(app: Flask, state) -> None:
    attach(state)

    def documents(tenant_id: str):
        org = state.xero.orgs.get(tenant_id)
        if org is None:
            return {"error": f"no organisation {tenant_id}"}, 404
        with org.lock:
            return json_response({"tenant_id": tenant_id, **_by_kind(org)})

    def document(tenant_id: str, xero_id: str):
        org = state.xero.orgs.get(tenant_id)
        if org is None:
            return {"error": f"no organisation {tenant_id}"}, 404
        with org.lock:
            for kind, records in _by_kind(org).items():
                for record in records:
                    if xero_id in (record.get("InvoiceID"), record.get("CreditNoteID"),
                                   record.get("ContactID"), record.get("ItemID"),
                                   record.get("PaymentID")):
                        return json_response({"kind": kind, "document": record})
        return {"error": f"no document {xero_id}"}, 404

    def org_settings(tenant_id: str):
        org = state.xero.orgs.get(tenant_id)
        if org is None:
            return {"error": f"no organisation {tenant_id}"}, 404
        if request.method == "POST":
            try:
                _apply(org, request.get_json(force=True) or {})
            except (TypeError, ValueError) as exc:
                return {"error": str(exc)}, 400
        return jsonify(org.settings())

    def app_settings():
        if request.method == "POST":
            value = (request.get_json(force=True) or {}).get("app_minute_limit")
            if value is not None:
                if not isinstance(value, int) or value < 0:
                    return {"error": "app_minute_limit must be a whole number"}, 400
                state.xero.limiter.app_minute = value
        return jsonify({"app_minute_limit": state.xero.limiter.app_minute})

    def clock():
        seconds = (request.get_json(force=True) or {}).get("advance", 0)
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            return {"error": "advance must be a number of seconds"}, 400
        state.xero.advance(seconds)
        return jsonify({"offset": state.xero.offset})

    def reset():
        state.xero.reset()
        return jsonify({"ok": True})

    def pay(tenant_id: str):
        body = request.get_json(force=True, silent=True) or {}
        target = {"InvoiceID": body["invoice_id"]} if body.get("invoice_id") else {
            "InvoiceNumber": body.get("invoice_number")}
        element = {"Invoice": target, "Account": {"Code": body.get("account_code") or "090"},
                   "Amount": body.get("amount"), "Reference": body.get("reference") or ""}
        if body.get("date"):
            element["Date"] = body["date"]
        return _payment_write(tenant_id, element)

    def delete_payment(tenant_id: str, payment_id: str):
        return _payment_write(tenant_id, {"PaymentID": payment_id, "Status": "DELETED"})

    def _payment_write(tenant_id: str, element: dict):
        org = state.xero.orgs.get(tenant_id)
        if org is None:
            return {"error": f"no organisation {tenant_id}"}, 404
        with org.lock:
            record, errors = save_payment(Batch(org, state.xero.utcnow(), 2, "POST", "simulator"), element)
            if errors:
                return {"errors": errors}, 400
            view = present(xero_views.payment(org, record), RESOURCES["payments"], unitdp=4)
        return json_response({"payment": view})

    app.add_url_rule("/_sim/xero/<tenant_id>/pay", "xero_sim_pay", pay, methods=["POST"])
    app.add_url_rule("/_sim/xero/<tenant_id>/payments/<payment_id>/delete", "xero_sim_delete_payment",
                     delete_payment, methods=["POST"])
    app.add_url_rule("/_sim/xero/<tenant_id>/documents", "xero_sim_documents", documents)
    app.add_url_rule("/_sim/xero/<tenant_id>/documents/<xero_id>", "xero_sim_document", document)
    app.add_url_rule("/_sim/xero/<tenant_id>/settings", "xero_sim_org_settings", org_settings,
                     methods=["GET", "POST"])
    app.add_url_rule("/_sim/xero/settings", "xero_sim_settings", app_settings,
                     methods=["GET", "POST"])
    app.add_url_rule("/_sim/xero/clock", "xero_sim_clock", clock, methods=["POST"])
    app.add_url_rule("/_sim/xero/reset", "xero_sim_reset", reset, methods=["POST"])


def _by_kind(org) -> dict[str, list]:
    def show(name: str, views) -> list:
        return [present(v, RESOURCES[name.lower()], unitdp=4) for v in views]

    invoices = [xero_views.document(org, i) for i in org.invoices.values()]
    return {
        "invoices": show("Invoices", [i for i in invoices if i["Type"] == "ACCREC"]),
        "bills": show("Invoices", [i for i in invoices if i["Type"] == "ACCPAY"]),
        "credit_notes": show("CreditNotes", [xero_views.document(org, c)
                                             for c in org.credit_notes.values()]),
        "contacts": show("Contacts", org.contacts.values()),
        "items": show("Items", org.items.values()),
        "payments": show("Payments", [xero_views.payment(org, p) for p in org.payments.values()]),
        "attachments": attachments(org),  # what PUT …/Attachments/{FileName} stored (xero_attachments)
    }


def _apply(org, settings: dict) -> None:
    unknown = set(settings) - {"period_lock_date", "end_of_year_lock_date", "minute_limit",
                               "day_limit", "concurrent_limit"}
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}")
    for key in ("period_lock_date", "end_of_year_lock_date"):
        if key in settings:
            value = settings[key]
            setattr(org, key, date.fromisoformat(value) if value else None)
    for key in ("minute_limit", "day_limit", "concurrent_limit"):
        if key in settings:
            value = settings[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{key} must be a whole number")
            setattr(org.limits, key.split("_")[0], value)
