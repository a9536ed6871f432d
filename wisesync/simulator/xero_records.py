"""Contacts, items and payments: one element of a PUT/POST in, the stored record or the
validation errors out (``(record, [])`` or ``(None, [message, ...])``).

Real wording (fixtures README): "The contact name <name> is already assigned to another
contact. The contact name must be unique across all active contacts."; "Price List Item Code
must not be more than 30 characters long"; "Price List Item with Code ''<code>'' already
exists" (the spec's own example, doubled quotes and all); "Payment amount exceeds the amount
outstanding on this document" (the spec's Payments example); "Account could not be found"
(pyxero issue #43). UNVERIFIED where marked.

PUT creates; POST also updates: a contact found by ContactID or ContactNumber, an item by
ItemID or Code. Names compare case-insensitively (UNVERIFIED whether Xero's do).
"""
from __future__ import annotations

from wisesync.simulator.xero_format import decimal, money, parse_date
from wisesync.simulator.xero_rules import (
    Batch, find_item, line_account, lock_date_error, new_id, tax_error)

CONTACT_FIELDS = ("ContactNumber", "AccountNumber", "ContactStatus", "Name", "FirstName",
                  "LastName", "EmailAddress", "ContactPersons", "Addresses", "Phones",
                  "IsSupplier", "IsCustomer", "AccountsReceivableTaxType", "AccountsPayableTaxType",
                  "DefaultCurrency", "SalesDefaultAccountCode", "PurchasesDefaultAccountCode",
                  "TaxNumber", "CompanyNumber", "BankAccountDetails", "Website")
_LIMITS = {"Name": 255, "FirstName": 255, "LastName": 255, "EmailAddress": 255,
           "ContactNumber": 50, "AccountNumber": 50}


def _too_long(label: str, limit: int) -> str:  # UNVERIFIED: modelled on the item-code message
    return f"{label} must not be more than {limit} characters long"


# -- contacts ----------------------------------------------------------------------------------

def find_contact(org, *, contact_id=None, number=None, name=None) -> dict | None:
    if contact_id:
        return org.contacts.get(str(contact_id).lower())
    if number:
        return next((c for c in org.contacts.values() if c.get("ContactNumber") == number), None)
    if name:
        wanted = name.strip().lower()
        return next((c for c in org.contacts.values()
                     if c["ContactStatus"] == "ACTIVE" and c["Name"].strip().lower() == wanted), None)
    return None


def save_contact(batch: Batch, element: dict) -> tuple[dict | None, list[str]]:
    org, errors = batch.org, []
    existing = None
    if element.get("ContactID"):
        existing = find_contact(org, contact_id=element["ContactID"])
        if existing is None:  # UNVERIFIED wording
            return None, [f"The contact with ContactID '{element['ContactID']}' could not be found"]
    elif batch.method == "POST" and element.get("ContactNumber"):
        existing = find_contact(org, number=element["ContactNumber"])
    merged = {**(existing or {}), **{k: element[k] for k in CONTACT_FIELDS if k in element}}
    name = (merged.get("Name") or "").strip()
    if not name:  # UNVERIFIED wording
        errors.append("The contact name must be specified")
    for key, limit in _LIMITS.items():
        if isinstance(merged.get(key), str) and len(merged[key]) > limit:
            errors.append(_too_long({"ContactNumber": "Contact Number", "AccountNumber":
                                     "Account Number"}.get(key, key), limit))
    status = merged.get("ContactStatus") or "ACTIVE"
    if status not in ("ACTIVE", "ARCHIVED"):  # UNVERIFIED wording
        errors.append(f"ContactStatus '{status}' is not valid")
    if name and status == "ACTIVE":
        clash = find_contact(org, name=name)
        if clash is not None and clash is not existing:
            errors.append(f"The contact name {name} is already assigned to another contact. "
                          "The contact name must be unique across all active contacts.")
    for key in ("AccountsReceivableTaxType", "AccountsPayableTaxType"):
        if merged.get(key):
            problem = tax_error(org, merged[key], None)
            if problem:
                errors.append(problem)
    if errors:
        return None, errors
    record = {"ContactID": (existing or {}).get("ContactID") or new_id(), **merged,
              "Name": name, "ContactStatus": status,
              "IsSupplier": bool(merged.get("IsSupplier")), "IsCustomer": bool(merged.get("IsCustomer")),
              "UpdatedDateUTC": batch.now, "HasAttachments": False, "HasValidationErrors": False}
    record.setdefault("Addresses", [])
    record.setdefault("Phones", [])
    record.setdefault("ContactPersons", [])
    org.contacts[record["ContactID"]] = record
    return record, []


# -- items ---------------------------------------------------------------------------------------

ITEM_FIELDS = ("Code", "Name", "Description", "PurchaseDescription", "IsSold", "IsPurchased",
               "SalesDetails", "PurchaseDetails")


def save_item(batch: Batch, element: dict) -> tuple[dict | None, list[str]]:
    org, errors = batch.org, []
    code = element.get("Code")
    existing = None
    if element.get("ItemID"):
        existing = org.items.get(str(element["ItemID"]).lower())
        if existing is None:  # UNVERIFIED wording
            return None, [f"The item with ItemID '{element['ItemID']}' could not be found"]
    elif isinstance(code, str) and find_item(org, code) is not None:
        if batch.method == "PUT":
            return None, [f"Price List Item with Code ''{code}'' already exists"]
        existing = find_item(org, code)
    merged = {**(existing or {}), **{k: element[k] for k in ITEM_FIELDS if k in element}}
    code = merged.get("Code")
    if not isinstance(code, str) or not code.strip():  # UNVERIFIED wording
        errors.append("Price List Item Code must be specified")
    elif len(code) > 30:
        errors.append("Price List Item Code must not be more than 30 characters long")
    if isinstance(merged.get("Name"), str) and len(merged["Name"]) > 50:  # UNVERIFIED wording
        errors.append("Price List Item Name must not be more than 50 characters long")
    for key in ("SalesDetails", "PurchaseDetails"):
        details, problems = _details(batch, merged.get(key))
        merged[key] = details
        errors.extend(problems)
    if errors:
        return None, errors
    record = {"ItemID": (existing or {}).get("ItemID") or new_id(), **merged,
              "IsSold": merged.get("IsSold", True) is not False,
              "IsPurchased": merged.get("IsPurchased", True) is not False,
              "IsTrackedAsInventory": False, "UpdatedDateUTC": batch.now}
    org.items[record["ItemID"]] = record
    return record, []


def _details(batch: Batch, details) -> tuple[dict, list[str]]:
    if not details:
        return {}, []
    if not isinstance(details, dict):
        return {}, ["SalesDetails and PurchaseDetails must be objects"]
    out, errors = {}, []
    if details.get("UnitPrice") is not None:
        price = decimal(details["UnitPrice"])
        if price is None:
            errors.append("UnitPrice must be a number")
        else:
            out["UnitPrice"] = money(price, batch.unitdp)
    account = None
    if details.get("AccountCode"):
        account, problem = line_account(batch.org, str(details["AccountCode"]))
        out["AccountCode"] = str(details["AccountCode"])
        if problem:
            errors.append(problem)
    if details.get("TaxType"):
        out["TaxType"] = details["TaxType"]
        problem = tax_error(batch.org, details["TaxType"], account)
        if problem:
            errors.append(problem)
    return out, errors


# -- payments --------------------------------------------------------------------------------------

def save_payment(batch: Batch, element: dict) -> tuple[dict | None, list[str]]:
    """A payment against an AUTHORISED invoice: AmountPaid/AmountDue move, PAID when settled.
    With a ``PaymentID`` (``POST /Payments/{PaymentID}``, the spec's deletePayment) the element
    must be ``{"Status": "DELETED"}``: see :func:`delete_payment`."""
    org = batch.org
    if element.get("PaymentID"):
        return delete_payment(batch, element)
    target = element.get("Invoice") if isinstance(element.get("Invoice"), dict) else {}
    invoice = None
    if target.get("InvoiceID"):
        invoice = org.invoices.get(str(target["InvoiceID"]).lower())
    elif target.get("InvoiceNumber"):
        invoice = next((i for i in org.invoices.values()
                        if i.get("InvoiceNumber") == target["InvoiceNumber"]), None)
    if invoice is None:  # UNVERIFIED wording; credit-note payments are not simulated
        return None, ["Invoice could not be found"]
    errors = []
    if invoice["Status"] != "AUTHORISED":  # UNVERIFIED wording
        errors.append("Invoice not of valid status for payment")
    wanted = element.get("Account") if isinstance(element.get("Account"), dict) else {}
    account = next((a for a in org.accounts if a["Status"] == "ACTIVE" and (
        (wanted.get("Code") and a["Code"] == wanted["Code"])
        or (wanted.get("AccountID") and a["AccountID"] == str(wanted["AccountID"]).lower()))), None)
    if account is None:
        errors.append("Account could not be found")
    elif account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        errors.append("Account type is invalid for making a payment")  # UNVERIFIED wording
    amount = decimal(element.get("Amount"))
    if amount is None or amount <= 0:  # UNVERIFIED wording
        errors.append("Payment amount must be greater than zero")
    elif invoice["Status"] == "AUTHORISED" and money(amount) > invoice["AmountDue"]:
        errors.append("Payment amount exceeds the amount outstanding on this document")
    day = parse_date(element.get("Date")) if element.get("Date") else batch.today
    if day is None:  # UNVERIFIED wording
        errors.append("The payment date is not a valid date")
    problem = lock_date_error(org, day)
    if problem:
        errors.append(problem)
    if errors:
        return None, errors
    amount = money(amount)
    payment_id = new_id()
    invoice["AmountPaid"] += amount
    invoice["AmountDue"] -= amount
    invoice["UpdatedDateUTC"] = batch.now
    invoice["Payments"].append({"PaymentID": payment_id, "Date": day, "Amount": amount,
                                "Reference": element.get("Reference", ""), "CurrencyRate": 1,
                                "HasAccount": False, "HasValidationErrors": False})
    if invoice["AmountDue"] == 0:
        invoice["Status"], invoice["FullyPaidOnDate"] = "PAID", day
    record = {"PaymentID": payment_id, "Date": day, "Amount": amount, "BankAmount": amount,
              "CurrencyRate": 1, "Reference": element.get("Reference", ""),
              "IsReconciled": bool(element.get("IsReconciled")), "Status": "AUTHORISED",
              "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
              "UpdatedDateUTC": batch.now, "HasAccount": True, "HasValidationErrors": False,
              "Account": {"AccountID": account["AccountID"], "Code": account["Code"],
                          "Name": account["Name"]},
              "InvoiceID": invoice["InvoiceID"]}
    org.payments[payment_id] = record
    return record, []


def delete_payment(batch: Batch, element: dict) -> tuple[dict | None, list[str]]:
    """Delete a payment (spec: ``PaymentDelete`` ``{"Status": "DELETED"}``, the only change
    Xero allows to a payment): the invoice gets the amount back as due and is AUTHORISED again;
    the payment stays, ``Status`` DELETED with a new ``UpdatedDateUTC``, so a client reading
    ``GET /Payments`` with ``If-Modified-Since`` sees the deletion. Deleting a reconciled
    payment is refused, and so is a payment dated on or before the lock date. The wording
    of every refusal and whether deleting twice is refused are UNVERIFIED."""
    org = batch.org
    record = org.payments.get(str(element["PaymentID"]).lower())
    if record is None:
        return None, ["Payment could not be found"]
    if str(element.get("Status") or "").upper() != "DELETED":
        return None, ["Only the Status of a payment can be changed, to DELETED"]
    if record["Status"] == "DELETED":
        return None, ["Payment has already been deleted"]
    if record.get("IsReconciled"):
        return None, ["Payment cannot be deleted because it has been reconciled"]
    problem = lock_date_error(org, record["Date"])
    if problem:
        return None, [problem]
    invoice = org.invoices[record["InvoiceID"]]
    invoice["AmountPaid"] -= record["Amount"]
    invoice["AmountDue"] += record["Amount"]
    invoice["Payments"] = [p for p in invoice["Payments"] if p["PaymentID"] != record["PaymentID"]]
    if invoice["Status"] == "PAID":
        invoice["Status"] = "AUTHORISED"
        invoice.pop("FullyPaidOnDate", None)
    invoice["UpdatedDateUTC"] = batch.now
    record["Status"], record["UpdatedDateUTC"] = "DELETED", batch.now
    return record, []
