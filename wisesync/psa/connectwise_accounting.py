"""The ConnectWise accounting calls the sync needs, on an existing ConnectWiseRestClient (its
session, keys, outbound guard and error mapping). Plain Python, no Flask.

Flow (DESIGN §10.3): :meth:`~ConnectWiseAccounting.unposted_invoices` /
:meth:`~ConnectWiseAccounting.unposted_procurement` list what is closed but not posted →
:meth:`~ConnectWiseAccounting.export_invoices` / :meth:`~ConnectWiseAccounting.export_procurement`
read the GL export (lines, GL entry ids; the export itself posts nothing) → push to Xero →
:meth:`~ConnectWiseAccounting.create_batch` marks the record posted, one batch per record.

Every JSON number with a fraction comes back as ``Decimal`` (``parse_float=Decimal``), and
amounts sent (payments) are written as JSON numbers from ``Decimal``, never through float.

Facts a caller must know about the GL export (research/accounting-sync.md §2.2):

- signs follow ConnectWise's legacy export: an invoice's revenue and sales-tax (``glTypeId``
  "ST") lines are negative with a positive header ``total``; a credit memo (``documentType``
  "CreditMemo", ``billingType`` "CreditMemo") the other way round; purchase detail negative.
  Whether REST keeps these signs is UNVERIFIED, so normalise by document type, not by the sign
  of the header (a zero invoice has none);
- a record's GL entries are the union of its header ``glEntryIds`` (a comma-separated string)
  and every ``detail[].id`` (``purchaseDetail[].id`` for procurement, whose header has no id
  list): :func:`gl_entry_ids` / :func:`purchase_entry_ids`. A record leaves the unposted lists
  once all of them are batched;
- ``POST /finance/accounting/batches`` answers 201 with a **GLExport** (the OpenAPI fixture,
  v2025.16 and v2025.8), not the batch, so :meth:`create_batch` reads the batch back by its
  identifier;
- ``GLExportCustomer`` carries the billing contact and site as references (id + name) only; the
  e-mail and postal address are on the company record (:meth:`billing_contacts`).
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal

from wisesync.psa.connectwise_rest import ConnectWiseRestClient, decode_json
from wisesync.psa.errors import PsaBadResponse, PsaBatchExists, PsaConfigError, PsaError

EXPORT_CHUNK = 200      # records per export call (the answers grow with the lines)
CONDITION_CHUNK = 50    # ids per ``id=… or id=…`` condition
_EXPORT_LISTS = ("transactions", "purchaseTransactions", "expenses", "expenseBills",
                 "adjustmentTransactions", "inventoryTransfers")
_BATCH_EXISTS_FIX = ("Nothing to do if the record already left ConnectWise's unposted list (it is "
                     "posted); otherwise pick another batch identifier, or delete the old batch in "
                     "Finance > Accounting Interface > Batches.")


class ConnectWiseAccounting:
    """Accounting interface of one ConnectWise company. Every method may raise a ``PsaError``;
    a missing security right is a ``PsaPermissionError`` whose fix names Finance > Accounting
    Interface (Finance > Invoicing for payments)."""

    def __init__(self, rest: ConnectWiseRestClient):
        self.rest = rest

    def __repr__(self) -> str:
        return f"<ConnectWiseAccounting {self.rest!r}>"

    # -- reading --------------------------------------------------------------------------
    def locations(self) -> list[dict]:
        """``/system/locations``, all pages: ``[{"id", "name", ...}]`` (billing locations)."""
        return list(self.rest.iterate("/system/locations", parse_float=Decimal))

    def unposted_invoices(self, location_ids: set[int] | None = None) -> list[dict]:
        """``UnpostedInvoice`` records (``id``, ``invoiceNumber``, ``invoiceType``,
        ``invoiceDate``, ``dueDate``, ``company{id,identifier,name}``, ``locationId``,
        ``currency{currencyCode}``, ``subTotal``, ``salesTaxAmount``, ``total`` as Decimal...).
        ``location_ids`` limits them to those locations (an empty set: nothing)."""
        return self._unposted("/finance/accounting/unpostedinvoices", location_ids)

    def unposted_procurement(self, location_ids: set[int] | None = None) -> list[dict]:
        """``UnpostedProcurement`` records (``id``, ``unpostedProductId`` — the string the
        export takes —, ``procurementType``, ``purchaseOrder{id,name}``, ``vendor{...}``,
        ``vendorInvoiceNumber``, ``locationId``, ``total``, ``taxTotal``...)."""
        return self._unposted("/finance/accounting/unpostedprocurement", location_ids)

    def _unposted(self, path: str, location_ids) -> list[dict]:
        if location_ids is not None and not location_ids:
            return []
        conditions = None
        if location_ids:
            conditions = " or ".join(f"locationId={int(i)}" for i in sorted(location_ids))
        return list(self.rest.iterate(path, conditions, parse_float=Decimal))

    def export_invoices(self, invoice_ids: list[int], location_id: int | None = None, thru=None) -> dict:
        """``POST /finance/accounting/export`` for these invoices → GLExport: ``transactions``
        (one per invoice that has GL entries; an invoice without any is simply absent),
        ``customers``. No ids → an empty GLExport, without a call (ConnectWise would export
        everything)."""
        ids = [int(i) for i in invoice_ids]
        return self._export(ids, {"exportInvoicesFlag": True}, "includedInvoiceIds", location_id, thru)

    def export_procurement(self, product_ids: list[str], location_id: int | None = None, thru=None) -> dict:
        """The export for these ``unpostedProductId``s → GLExport: ``purchaseTransactions``
        (``id`` = the unpostedProductId, ``documentNumber`` = PO number,
        ``vendorInvoiceNumber``, ``purchaseDetail[]``), ``vendors``."""
        ids = [str(p) for p in product_ids]
        return self._export(ids, {"exportProductsFlag": True}, "includedProductIds", location_id, thru)

    def _export(self, ids: list, flags: dict, field: str, location_id, thru) -> dict:
        merged: dict = {name: [] for name in _EXPORT_LISTS}
        merged.update(customers=[], vendors=[], exportSettings={})
        seen = {"customers": set(), "vendors": set()}
        for start in range(0, len(ids), EXPORT_CHUNK):
            body = {**flags, field: ids[start:start + EXPORT_CHUNK]}
            if location_id is not None:
                body["locationId"] = int(location_id)
            if thru is not None:
                body["thruDate"] = _thru_date(thru)
            part = self._post("/finance/accounting/export", body)
            if not isinstance(part, dict):
                raise PsaBadResponse("ConnectWise answered the GL export with something other than "
                                     "an object.", "Try again; if it persists, check the site address.")
            for name in _EXPORT_LISTS:
                merged[name] += part.get(name) or []
            for name in ("customers", "vendors"):
                for party in part.get(name) or []:
                    key = ((party.get("company") or party.get("vendor") or {}).get("id"),
                           party.get("accountNumber"))
                    if key not in seen[name]:
                        seen[name].add(key)
                        merged[name].append(party)
            merged["exportSettings"] = part.get("exportSettings") or merged["exportSettings"]
        return merged

    # -- posting --------------------------------------------------------------------------
    def create_batch(self, identifier: str, record_ids: list[int], *, invoices: bool, products: bool,
                     read_back: bool = True) -> dict:
        """``POST /finance/accounting/batches`` with these GL entry ids (see
        :func:`gl_entry_ids`), then the batch read back: ``AccountingBatch`` {``id``,
        ``batchIdentifier``, ``exportInvoicesFlag``, ``exportProductsFlag``, ``closedFlag``,
        ``_info``}. (Should the read-back find nothing, ``{"batchIdentifier": identifier}``:
        the POST succeeded, the records are posted.)

        ``read_back=False`` skips the read-back (one call fewer per record) and answers
        ``{"batchIdentifier": identifier}``: the identifier alone finds the batch later.

        Not retried on a 5xx: a batch that half-happened must be looked at, not sent twice.
        Raises :class:`PsaBatchExists` when ConnectWise refuses the identifier as used.
        """
        identifier = (identifier or "").strip()
        if not identifier or len(identifier) > 50:
            raise PsaConfigError("An accounting batch needs an identifier of 1 to 50 characters.",
                                 "This is a Wise-Sync bug: report it.")
        if not record_ids:
            raise PsaConfigError("No GL entries were given for the accounting batch.",
                                 "Export the record first: its GL entry ids go into the batch.")
        if not (invoices or products):
            raise PsaConfigError("An accounting batch must take invoices or procurement.",
                                 "This is a Wise-Sync bug: report it.")
        body = {"batchIdentifier": identifier, "exportInvoicesFlag": bool(invoices),
                "exportProductsFlag": bool(products), "exportExpensesFlag": False,
                "processedRecordIds": [int(i) for i in record_ids]}
        try:
            self._post("/finance/accounting/batches", body, retry_5xx=False)
        except PsaError as exc:
            if exc.status == 400 and _is_duplicate_identifier(exc.psa_message or ""):
                raise PsaBatchExists(
                    f"ConnectWise already has an accounting batch named {identifier!r}.",
                    _BATCH_EXISTS_FIX, identifier=identifier, status=exc.status,
                    psa_message=exc.psa_message) from exc
            raise
        if not read_back:
            return {"batchIdentifier": identifier}
        found = self.batches(identifier)
        return found[0] if found else {"batchIdentifier": identifier}

    def batches(self, identifier: str) -> list[dict]:
        """The batches named ``identifier`` (``conditions=batchIdentifier="…"``)."""
        quoted = (identifier or "").replace("\\", "\\\\").replace('"', '\\"')
        return list(self.rest.iterate("/finance/accounting/batches", f'batchIdentifier="{quoted}"',
                                      parse_float=Decimal))

    def batch(self, batch_id: int) -> dict:
        return self.rest.get_json(f"/finance/accounting/batches/{int(batch_id)}", parse_float=Decimal)

    def batch_entries(self, batch_id: int) -> list[dict]:
        """``BatchEntry`` rows: ``id`` (GL entry), ``accountNumber``, ``debit``, ``credit``,
        ``invoice{}`` / ``purchaseOrder{}``..."""
        return list(self.rest.iterate(f"/finance/accounting/batches/{int(batch_id)}/entries",
                                      parse_float=Decimal))

    def delete_batch(self, batch_id: int) -> None:
        """Un-post: ConnectWise puts the batch's records back in the unposted lists."""
        self.rest.request("DELETE", f"/finance/accounting/batches/{int(batch_id)}", retry_5xx=False)

    # -- payments (accounting → PSA) ------------------------------------------------------
    def post_payment(self, invoice_id: int, amount: Decimal, date, payment_type: str = "Check") -> dict:
        """``POST /finance/invoices/{invoice_id}/payments`` → 201 ``InvoicePayment`` {``id``,
        ``type``, ``amount``, ``paymentDate``, ``appliedBy``, ``invoiceBalance``...}.

        ConnectWise allows one payment per invoice (Zynk's documentation); a second is
        refused (a ``PsaError`` with status 400). ``payment_type`` must be one of the
        company's payment types (its names are site setup; "Check" is the simulator's default:
        UNVERIFIED for a real site). Not retried on a 5xx.
        """
        if not isinstance(amount, Decimal):
            raise TypeError("amount must be a Decimal")
        body = {"type": payment_type, "amount": amount, "paymentDate": _thru_date(date, end_of_day=False)}
        return self._post(f"/finance/invoices/{int(invoice_id)}/payments", body, retry_5xx=False)

    def payments(self, invoice_id: int) -> list[dict]:
        return list(self.rest.iterate(f"/finance/invoices/{int(invoice_id)}/payments", parse_float=Decimal))

    # -- customers ------------------------------------------------------------------------
    def billing_contacts(self, company_ids) -> dict[int, dict | None]:
        """Per company id: ``{"name", "email", "address": {"line1", "line2", "city",
        "region", "postal_code", "country"}}`` from ``/company/companies`` (``billingContact``,
        ``invoiceToEmailAddress``, the address fields), or None when the company has no
        billing contact. Companies ConnectWise does not return are left out."""
        ids = sorted({int(i) for i in company_ids})
        out: dict[int, dict | None] = {}
        for start in range(0, len(ids), CONDITION_CHUNK):
            chunk = ids[start:start + CONDITION_CHUNK]
            conditions = " or ".join(f"id={i}" for i in chunk)
            for company in self.rest.iterate("/company/companies", conditions):
                contact = company.get("billingContact") or {}
                if not contact.get("name"):
                    out[company["id"]] = None
                    continue
                out[company["id"]] = {
                    "name": contact["name"], "email": company.get("invoiceToEmailAddress") or "",
                    "address": {"line1": company.get("addressLine1") or "",
                                "line2": company.get("addressLine2") or "",
                                "city": company.get("city") or "", "region": company.get("state") or "",
                                "postal_code": company.get("zip") or "",
                                "country": (company.get("country") or {}).get("name") or ""}}
        return out

    # -- transport ------------------------------------------------------------------------
    def _post(self, path: str, body: dict, *, retry_5xx: bool = True):
        return decode_json(self.rest.request("POST", path, json=body, retry_5xx=retry_5xx), Decimal)


def gl_entry_ids(transaction: dict) -> list[int]:
    """Every GL entry id of an exported invoice: its header ``glEntryIds`` (comma-separated)
    and each ``detail[].id``, in order, without repeats. These go into ``create_batch``."""
    ids: list[int] = []
    for part in str(transaction.get("glEntryIds") or "").split(","):
        if part.strip().isdigit():
            ids.append(int(part))
    ids += [d["id"] for d in transaction.get("detail") or [] if isinstance(d.get("id"), int)]
    return list(dict.fromkeys(ids))


def purchase_entry_ids(purchase: dict) -> list[int]:
    """The GL entry ids of an exported purchase transaction (``purchaseDetail[].id``)."""
    return list(dict.fromkeys(d["id"] for d in purchase.get("purchaseDetail") or []
                              if isinstance(d.get("id"), int)))


def _is_duplicate_identifier(message: str) -> bool:
    text = message.lower()
    return ("batchidentifier" in text or "batch identifier" in text) and any(
        word in text for word in ("already", "exist", "duplicate", "unique", "in use"))


def _thru_date(value, *, end_of_day: bool = True) -> str:
    """A ``date`` (end of that day for ``thruDate``) or ``datetime`` (naive = UTC) or an ISO
    string, as ConnectWise's ``2026-01-31T23:59:59Z``."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59) if end_of_day else time(0, 0)).isoformat() + "Z"
    raise TypeError(f"expected a date or datetime, not {type(value).__name__}")


__all__ = ["ConnectWiseAccounting", "gl_entry_ids", "purchase_entry_ids"]
