"""From an Autotask invoice and its billing items to the Xero document that represents it
(DESIGN §10.4). Pure, like :mod:`wisesync.transactions.mapping`, whose helpers it uses: plain
data in (Autotask's ``InvoiceModel``, ``BillingItemModel``, ``CompanyModel`` and
``BillingCodeModel`` dicts, :class:`CompanySettings`, :class:`XeroCatalog`), :class:`Mapped` or
:class:`Blocked` out.

Rules, and the choices made where DESIGN leaves one open:

- **Kinds.** An invoice whose ``invoiceTotal`` is negative (or, at zero, whose billing items
  sum below zero) → ``credit`` (``ACCRECCREDIT``, positive amounts); the others → ``invoice``.
- **Lines.** One per billing item. Autotask keeps quantity and rate to 7 decimals and rounds the
  extended price to cents from them; Xero takes 4 (``unitdp=4``) and checks quantity × unit =
  line total ("The line total … does not match the expected line total"). So quantity and
  unit price are rounded half up to 4 places; when that no longer gives the item's
  ``extendedPrice``, the unit price is the extended price ÷ the quantity (4 places), and when
  even that misses, the line goes as quantity 1 at the extended price — the amount Xero books
  is always Autotask's (``mapping._amounts``).
- **Accounts.** A billing item's account is its billing code's ``externalNumber`` (what
  Autotask's accounting integrations read as the GL number); a code without one blocks the
  invoice, naming the code.
- **Tax.** A line Autotask charged tax on (``taxDollars`` not zero) gets the company's taxable
  sales code, others the exempt code; the invoice total (with tax) must come out the same in
  Xero, within the 0.05 a rounding line may cover (``mapping._finish``).
- **Items.** Billing items are charges (labour, services, contract periods), not catalog items:
  no ``ItemCode`` is sent, the item's description is.
- **Contacts.** The Autotask company: ``companyNumber`` (else its id) as ``ContactNumber``, its
  name, phone and (billing) address. Autotask's subset has no contacts entity, so no e-mail and
  no billing-contact check as for ConnectWise.
- **Dates**: ``invoiceDateTime`` and ``dueDate`` (midnight UTC is a date as is, see
  ``mapping.psa_date``); **currency** the organisation's (the subset has no currencies).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from wisesync.transactions.mapping import (XERO_TYPES, Blocked, CompanySettings, Mapped, XeroCatalog, _address,
                                           _amounts, _blocked, _contact_ref, _dates, _decimal, _finish,
                                           _orientation, _text, _Work, describe)

_ZERO = Decimal("0")
PSA = "Autotask"
ACCOUNT_FIX = ("Add account {code} to the chart of accounts in Xero, or correct the billing code's External "
               "Number in Autotask (Admin > Features & Settings > Finance, Accounting & Invoicing > Billing "
               "Codes), then sync again.")
TOTAL_FIX = ("Check the invoice's billing items and its tax region in Autotask against the Xero organisation's "
             "tax rates (the company's taxable sales code), correct them, then sync again.")
NO_ITEMS = "{name} has no billing items in Autotask, so there is nothing to send to Xero."
NO_ITEMS_FIX = ("Open the invoice in Autotask (Contracts > Invoices): void it and invoice its charges again, "
                "then review again.")
NO_CODE = "{name}: line {n} ({what}) has no billing code with an External Number, which names its Xero account."
NO_CODE_FIX = ("Give the billing code {code} the Xero account code as its External Number in Autotask (Admin > "
               "Features & Settings > Finance, Accounting & Invoicing > Billing Codes), then sync again.")


def invoice_kind(invoice: dict, items: Iterable[dict] = ()) -> str:
    total = _decimal(invoice.get("invoiceTotal")) or _ZERO
    if not total:
        total = sum((_decimal(i.get("extendedPrice")) or _ZERO for i in items), _ZERO)
    return "credit" if total < 0 else "invoice"


def customer_contact(company: dict | None, company_id=None) -> dict:
    """The Xero contact an Autotask company (``CompanyModel``) becomes."""
    company = company or {}
    number = company.get("companyNumber") or company.get("id") or company_id or ""
    contact = {"Name": _text(company.get("companyName") or f"Autotask company {company_id}", 255),
               "ContactNumber": _text(number, 50), "IsCustomer": True}
    if company.get("phone"):
        contact["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": _text(company["phone"], 50)}]
    billing = bool(company.get("billingAddress1"))
    address = {"line1": company.get("billingAddress1" if billing else "address1") or "",
               "line2": company.get("billingAddress2" if billing else "address2") or "",
               "city": company.get("billToCity" if billing else "city") or "",
               "region": company.get("billToState" if billing else "state") or "",
               "postal_code": company.get("billToZipCode" if billing else "postalCode") or ""}
    addresses = _address({"address": address})
    if addresses:
        contact["Addresses"] = addresses
    return contact


def _line(work: _Work, item: dict, factor: Decimal, n: int, codes: Mapping[int, dict]) -> dict:
    description = _text(item.get("description") or item.get("itemName") or item.get("lineItemFullDescription"),
                        4000)
    what = description[:60] or f"billing item {item.get('id')}"
    amount = (_decimal(item.get("extendedPrice")) or _ZERO) * factor
    quantity = _decimal(item.get("quantity"))
    quantity = quantity * factor if quantity is not None else None
    qty, unit, line_amount = _amounts(quantity, _decimal(item.get("rate")), amount)
    code_record = codes.get(item.get("billingCodeID")) or {}
    code = _text(code_record.get("externalNumber"))
    account = None
    if code:
        account = work.account(code, f"line {n} ({what})")
    else:
        work.problem(NO_CODE.format(name=work.name, n=n, what=what),
                     NO_CODE_FIX.format(code=repr(code_record.get("name") or item.get("billingCodeID"))))
    taxable = bool(_decimal(item.get("taxDollars")))
    tax_type = work.taxable_code if taxable else work.exempt_code
    rate = work.tax(tax_type, account, f"line {n}")
    line = {"Description": description or "(no description)", "Quantity": qty, "UnitAmount": unit,
            "AccountCode": code, "TaxType": tax_type, "LineAmount": line_amount}
    return line | {"_rate": rate.rate if rate else _ZERO}


def map_invoice(invoice: dict, items: list[dict], customer: dict | None, codes: Mapping[int, dict],
                settings: CompanySettings, catalog: XeroCatalog, *, contact_id: str | None = None) -> Mapped | Blocked:
    """An Autotask invoice with its billing items → an ACCREC invoice or ACCRECCREDIT credit note."""
    kind = invoice_kind(invoice, items)
    number = _text(invoice.get("invoiceNumber")) or str(invoice.get("id"))
    name = describe(kind, number, psa=PSA)
    if not items:
        return Blocked(NO_ITEMS.format(name=name), NO_ITEMS_FIX)
    work = _Work(name, settings, catalog, sales=True, psa=PSA, account_fix=ACCOUNT_FIX, total_fix=TOTAL_FIX)
    factor = _orientation([{"total": i.get("extendedPrice"), "quantity": i.get("quantity")} for i in items])
    lines = [_line(work, item, factor, n, codes) for n, item in enumerate(items, start=1)]
    psa_total = abs(_decimal(invoice.get("invoiceTotal")) or _ZERO)
    lines, total, tax = _finish(work, lines, psa_total)
    if work.problems:
        return _blocked(work)
    issued, due = _dates(invoice, settings, ("invoiceDateTime",))
    company_id = str(invoice.get("companyID") or "")
    contact = customer_contact(customer, company_id)
    document = {"Type": XERO_TYPES[kind], "Contact": _contact_ref(contact, contact_id),
                "LineAmountTypes": "Exclusive", "Status": settings.document_status, "LineItems": lines}
    document["CreditNoteNumber" if kind == "credit" else "InvoiceNumber"] = number
    reference = _text(invoice.get("orderNumber"), 255)
    if reference:
        document["Reference"] = reference
    if issued:
        document["Date"] = issued.isoformat()
    if due and kind == "invoice":
        document["DueDate"] = due.isoformat()
    if settings.currency:
        document["CurrencyCode"] = settings.currency
    return Mapped(kind=kind, psa_id=str(invoice.get("id")), number=number, xero_type=XERO_TYPES[kind],
                  endpoint="CreditNotes" if kind == "credit" else "Invoices", document=document, contact=contact,
                  counterparty_id=company_id, counterparty=contact["Name"], total=total, tax=tax, date=issued,
                  currency=settings.currency, warnings=tuple(work.warnings))
