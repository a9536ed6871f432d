"""Invoices (ACCREC sales invoices, ACCPAY bills) and credit notes: one element in, the stored
document or its validation errors out.

- ACCREC ``InvoiceNumber`` is unique in the organisation: "Invoice # must be unique." (fixtures
  README; compared ignoring case, and DELETED invoices free their number: both UNVERIFIED).
  Omitted, it is numbered ``INV-0001``, ``INV-0002``, ... ACCPAY numbers are the supplier's
  and need not be unique. Credit notes alike (``CN-0001``; uniqueness of ACCRECCREDIT numbers
  and its wording UNVERIFIED).
- The contact is found by ContactID (must exist), ContactNumber or Name; a Name Xero does not
  know creates that contact, as Xero does. "A Contact must be specified for this type of
  transaction" when there is none (wording UNVERIFIED).
- Status on creation DRAFT (default), SUBMITTED or AUTHORISED. POST updates a document found
  by id or (sales types) by number; PAID, VOIDED and DELETED documents cannot change, DELETED
  only from DRAFT/SUBMITTED, VOIDED only from an unpaid AUTHORISED one (wording UNVERIFIED).
- The document date (default today) must be after the lock dates; one currency per
  organisation (its base currency; UNVERIFIED wording).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from wisesync.simulator.xero_format import parse_date
from wisesync.simulator.xero_records import find_contact, save_contact
from wisesync.simulator.xero_rules import SALES_TYPES, Batch, build_lines, lock_date_error, new_id, totals

_ENDED = ("PAID", "VOIDED", "DELETED")


@dataclass(frozen=True)
class Kind:
    label: str            # in messages
    id_field: str
    number_field: str
    types: tuple[str, ...]
    store: str            # OrgBooks attribute
    prefix: str
    seq: str              # OrgBooks counter attribute
    unique_message: str


INVOICES = Kind("Invoice", "InvoiceID", "InvoiceNumber", ("ACCREC", "ACCPAY"), "invoices",
                "INV-", "invoice_seq", "Invoice # must be unique.")
CREDIT_NOTES = Kind("Credit Note", "CreditNoteID", "CreditNoteNumber", ("ACCRECCREDIT", "ACCPAYCREDIT"),
                    "credit_notes", "CN-", "credit_seq", "Credit Note # must be unique.")


def save_document(batch: Batch, element: dict, kind: Kind) -> tuple[dict | None, list[str]]:
    org = batch.org
    store: dict = getattr(org, kind.store)
    existing = _existing(batch, kind, store, element)
    if isinstance(existing, str):
        return None, [existing]
    doc_type = element.get("Type") or (existing or {}).get("Type")
    if doc_type not in kind.types:  # UNVERIFIED wording
        return None, [f"{kind.label} Type must be one of {', '.join(kind.types)}"]
    errors: list[str] = []
    status = element.get("Status") or (existing or {}).get("Status") or "DRAFT"
    errors += _status_errors(kind, existing, status, element)
    contact, problems = _contact(batch, element.get("Contact"), existing)
    errors += problems
    day = parse_date(element["Date"]) if element.get("Date") else (existing or {}).get("Date", batch.today)
    due = parse_date(element["DueDate"]) if element.get("DueDate") else (existing or {}).get("DueDate")
    if day is None or (element.get("DueDate") and due is None):  # UNVERIFIED wording
        errors.append("The date format is invalid")
    problem = lock_date_error(org, day)
    if problem:
        errors.append(problem)
    currency = element.get("CurrencyCode") or org.seed.currency
    if currency != org.seed.currency:  # UNVERIFIED wording
        errors.append(f"The currency code {currency} is not enabled for this organisation")
    amount_types = element.get("LineAmountTypes") or (existing or {}).get("LineAmountTypes") or "Exclusive"
    if "LineItems" in element or existing is None:
        lines, problems = build_lines(batch, element.get("LineItems"), doc_type, amount_types, status)
        errors += problems
    elif status != existing["Status"] or amount_types != existing["LineAmountTypes"]:
        lines, problems = build_lines(batch, existing["LineItems"], doc_type, amount_types, status)
        errors += problems  # approving a draft checks its lines again
    else:
        lines = existing["LineItems"]
    number = element.get(kind.number_field) or (existing or {}).get(kind.number_field)
    if doc_type in SALES_TYPES and number and _taken(store, kind, number, existing):
        errors.append(kind.unique_message)
    if errors:
        return None, errors
    if doc_type in SALES_TYPES and not number:
        number = _next_number(org, store, kind)
    if contact.get("_new"):
        contact.pop("_new")
        contact, _ = save_contact(batch, contact)
    contact["IsCustomer" if doc_type in SALES_TYPES else "IsSupplier"] = True
    record = {**(existing or {}), "Type": doc_type, kind.id_field: (existing or {}).get(kind.id_field) or new_id(),
              "ContactID": contact["ContactID"], "Date": day, "DueDate": due, "Status": status,
              "LineAmountTypes": amount_types, "LineItems": lines, "CurrencyCode": currency,
              "CurrencyRate": 1, "UpdatedDateUTC": batch.now, "HasAttachments": False, "HasErrors": False,
              "SentToContact": bool(element.get("SentToContact", (existing or {}).get("SentToContact")))}
    if number:
        record[kind.number_field] = number
    for key in ("Reference", "Url", "BrandingThemeID"):
        if key in element:
            record[key] = element[key]
    record.update(totals(lines, amount_types))
    paid = (existing or {}).get("AmountPaid", Decimal("0.00"))
    record.setdefault("Payments", [])
    if kind is INVOICES:
        record.update(AmountPaid=paid, AmountDue=record["Total"] - paid, AmountCredited=Decimal("0.00"),
                      IsDiscounted=False, Prepayments=[], Overpayments=[], CreditNotes=[])
    else:
        record.update(RemainingCredit=record["Total"], Allocations=[])
    store[record[kind.id_field]] = record
    org.created_by.setdefault(record[kind.id_field], batch.client_id)
    return record, []


def _existing(batch: Batch, kind: Kind, store: dict, element: dict):
    """The document this element updates, None for a new one, or a message."""
    if element.get(kind.id_field):
        found = store.get(str(element[kind.id_field]).lower())
        return found if found is not None else f"{kind.label} could not be found"  # UNVERIFIED
    if batch.method == "POST" and element.get(kind.number_field) and element.get("Type", "ACCREC") in SALES_TYPES:
        number = str(element[kind.number_field]).strip().lower()
        return next((d for d in store.values() if d.get("Type") in SALES_TYPES and d["Status"] != "DELETED"
                     and str(d.get(kind.number_field, "")).lower() == number), None)
    return None


def _status_errors(kind: Kind, existing: dict | None, status: str, element: dict) -> list[str]:
    label = kind.label
    if existing is None:
        if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):  # UNVERIFIED wording
            return [f"{label} not of valid status for creation"]
        return []
    before = existing["Status"]
    if before in _ENDED:  # UNVERIFIED wording
        return [f"{label} not of valid status for modification"]
    if status == "DELETED" and before not in ("DRAFT", "SUBMITTED"):
        return [f"{label} not of valid status for modification"]
    if status == "VOIDED" and (before != "AUTHORISED" or existing.get("AmountPaid")):
        return [f"{label} not of valid status for modification"]
    if before == "AUTHORISED" and status in ("DRAFT", "SUBMITTED"):
        return [f"{label} not of valid status for modification"]
    if existing.get("AmountPaid") and "LineItems" in element:  # UNVERIFIED wording
        return ["This document cannot be edited as it has a payment or credit note allocated to it."]
    return []


def _contact(batch: Batch, wanted, existing: dict | None) -> tuple[dict, list[str]]:
    org = batch.org
    if not wanted and existing is not None:
        return org.contacts[existing["ContactID"]], []
    if not isinstance(wanted, dict) or not any(wanted.get(k) for k in ("ContactID", "ContactNumber", "Name")):
        return {}, ["A Contact must be specified for this type of transaction"]
    if wanted.get("ContactID"):
        found = find_contact(org, contact_id=wanted["ContactID"])
        return (found, []) if found else ({}, ["Contact could not be found"])  # UNVERIFIED wording
    found = find_contact(org, number=wanted.get("ContactNumber")) or find_contact(org, name=wanted.get("Name"))
    if found:
        return found, []
    if not wanted.get("Name"):  # UNVERIFIED wording
        return {}, [f"No contact with ContactNumber '{wanted['ContactNumber']}' exists and no Name was given"]
    if len(str(wanted["Name"])) > 255:  # UNVERIFIED wording
        return {}, ["Name must not be more than 255 characters long"]
    fields = {k: wanted[k] for k in ("Name", "ContactNumber", "AccountNumber", "EmailAddress",
                                     "FirstName", "LastName") if wanted.get(k)}
    return {**fields, "_new": True}, []


def _taken(store: dict, kind: Kind, number: str, existing: dict | None) -> bool:
    wanted = str(number).strip().lower()
    return any(d is not existing and d.get("Type") in SALES_TYPES and d["Status"] != "DELETED"
               and str(d.get(kind.number_field, "")).strip().lower() == wanted for d in store.values())


def _next_number(org, store: dict, kind: Kind) -> str:
    while True:
        setattr(org, kind.seq, getattr(org, kind.seq) + 1)
        number = f"{kind.prefix}{getattr(org, kind.seq):04d}"
        if not _taken(store, kind, number, None):
            return number
