"""How the simulated Xero answers GETs: each stored record as the API shows it, and the list
parameters the spec declares (``where``, ``order``, ``IDs``, ``InvoiceNumbers``, ``ContactIDs``,
``Statuses``, ``includeArchived``, ``searchTerm``, ``summaryOnly``, ``page``/``pageSize``,
``unitdp``, ``If-Modified-Since``).

Paging: ``page`` gives 100 records (``pageSize`` up to 1,000 where the spec declares it) plus a
``pagination`` block; without ``page`` every match comes back, and invoices and credit notes
then come without their line items, as Xero's Invoices documentation describes (so a client
that needs lines must page or fetch one by id). ``If-Modified-Since`` keeps records whose
``UpdatedDateUTC`` is at or after it (UNVERIFIED: at, or strictly after). Contacts and tracking
categories that are ARCHIVED appear only with ``includeArchived=true``. ``searchTerm``
searches contacts' Name, FirstName, LastName, ContactNumber and EmailAddress, and invoices'
InvoiceNumber and Reference (the spec's words); ``createdByMyApp=true`` keeps the invoices this
app created.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone

from wisesync.simulator import xero_where
from wisesync.simulator.xero_format import money, parse_datetime, render
from wisesync.simulator.xero_where import QueryError

MAX_PAGE_SIZE = 1000
SUMMARY_DROPS = ("Addresses", "Phones", "ContactPersons", "LineItems", "Payments", "CreditNotes",
                 "Prepayments", "Overpayments", "Allocations")


@dataclass(frozen=True)
class Resource:
    name: str                    # path segment and answer key (Organisation answers "Organisations")
    id_field: str | None
    alt_field: str | None = None  # Xero also finds by this in /Resource/{...}
    pageable: bool = False
    page_size_param: bool = False
    modified_since: bool = False
    updated_twin: bool = False

    @property
    def answer_key(self) -> str:
        return "Organisations" if self.name == "Organisation" else self.name


RESOURCES = {r.name.lower(): r for r in (
    Resource("Organisation", None),
    Resource("TaxRates", "TaxType"),
    Resource("Accounts", "AccountID", modified_since=True),
    Resource("TrackingCategories", "TrackingCategoryID"),
    Resource("Contacts", "ContactID", "ContactNumber", True, True, True),
    Resource("Items", "ItemID", "Code", modified_since=True),
    Resource("Invoices", "InvoiceID", "InvoiceNumber", True, True, True, True),
    Resource("CreditNotes", "CreditNoteID", "CreditNoteNumber", True, True, True, True),
    Resource("Payments", "PaymentID", None, True, True, True, True),
)}


def records(org, resource: Resource) -> list[dict]:
    """Every record of this resource, as Python values in Xero's shape (contacts embedded)."""
    if resource.name == "Organisation":
        return [org.organisation()]
    if resource.name in ("TaxRates", "Accounts", "TrackingCategories"):
        return [dict(r) for r in getattr(org, _attr(resource))]
    source = getattr(org, _attr(resource)).values()
    if resource.name in ("Invoices", "CreditNotes"):
        return [document(org, d) for d in source]
    if resource.name == "Payments":
        return [payment(org, p) for p in source]
    return [dict(r) for r in source]


def _attr(resource: Resource) -> str:
    return {"TaxRates": "tax_rates", "TrackingCategories": "tracking_categories",
            "CreditNotes": "credit_notes"}.get(resource.name, resource.name.lower())


def contact_summary(contact: dict) -> dict:
    keep = ("ContactID", "ContactNumber", "AccountNumber", "ContactStatus", "Name", "FirstName",
            "LastName", "EmailAddress", "IsSupplier", "IsCustomer", "DefaultCurrency",
            "HasValidationErrors")
    return {k: contact[k] for k in keep if k in contact}


def document(org, stored: dict) -> dict:
    view = {k: v for k, v in stored.items() if k != "ContactID"}
    view["Contact"] = contact_summary(org.contacts[stored["ContactID"]])
    return view


def payment(org, stored: dict) -> dict:
    view = {k: v for k, v in stored.items() if k != "InvoiceID"}
    invoice = org.invoices[stored["InvoiceID"]]
    view["Invoice"] = {"Type": invoice["Type"], "InvoiceID": invoice["InvoiceID"],
                       "InvoiceNumber": invoice.get("InvoiceNumber"),
                       "Contact": contact_summary(org.contacts[invoice["ContactID"]])}
    return view


def present(view: dict, resource: Resource, *, unitdp: int = 2, lines: bool = True,
            summary: bool = False) -> dict:
    """The wire form of one view: unit amounts at the asked precision, lines when wanted."""
    view = dict(view)
    if summary:
        for key in SUMMARY_DROPS:
            view.pop(key, None)
    elif not lines:
        view.pop("LineItems", None)
    if "LineItems" in view:
        view["LineItems"] = [_unit(line, "UnitAmount", unitdp) for line in view["LineItems"]]
    for key in ("SalesDetails", "PurchaseDetails"):
        if isinstance(view.get(key), dict):
            view[key] = _unit(view[key], "UnitPrice", unitdp)
    return render(view, resource.updated_twin)


def _unit(record: dict, key: str, unitdp: int) -> dict:
    if record.get(key) is None or unitdp == 4:
        return record
    return {**record, key: money(record[key], 2)}


def select(views: list[dict], resource: Resource, args, modified_since: str | None,
           created_by_me: set[str] = frozenset()) -> list[dict]:
    """Apply every filter the request asks for; raises ``QueryError`` for what cannot be read."""
    name = resource.name
    lists = {"IDs": resource.id_field, "InvoiceNumbers": "InvoiceNumber", "ContactIDs": "Contact.ContactID",
             "Statuses": "Status"}
    allowed = {"Contacts": ("IDs",), "Invoices": ("IDs", "InvoiceNumbers", "ContactIDs", "Statuses")}
    for param in allowed.get(name, ()):
        if args.get(param):
            wanted = {v.strip().strip('"').lower() for v in args[param].split(",") if v.strip()}
            views = [v for v in views if str(_get(v, lists[param]) or "").lower() in wanted]
    if name in ("Contacts", "TrackingCategories") and args.get("includeArchived", "").lower() != "true":
        views = [v for v in views if v.get("ContactStatus", v.get("Status")) != "ARCHIVED"]
    searched = {"Contacts": ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress"),
                "Invoices": ("InvoiceNumber", "Reference")}.get(name)
    if searched and args.get("searchTerm"):
        term = args["searchTerm"].lower()
        views = [v for v in views if any(term in str(v.get(k) or "").lower() for k in searched)]
    if name == "Invoices" and args.get("createdByMyApp", "").lower() == "true":
        views = [v for v in views if v["InvoiceID"] in created_by_me]
    if modified_since and resource.modified_since:
        since = _since(modified_since)
        views = [v for v in views if v.get("UpdatedDateUTC") and v["UpdatedDateUTC"] >= since]
    if args.get("where"):
        keep = xero_where.parse(args["where"], name)
        views = [v for v in views if keep(v)]
    if args.get("order"):
        views = xero_where.sort(views, xero_where.order_key(args["order"], name))
    return views


def page(views: list[dict], resource: Resource, args) -> tuple[list[dict], dict | None]:
    if not resource.pageable or "page" not in args:
        return views, None
    number = _whole(args["page"], "page")
    size = 100
    if resource.page_size_param and "pageSize" in args:
        size = min(MAX_PAGE_SIZE, max(1, _whole(args["pageSize"], "pageSize")))
    number = max(1, number)
    chosen = views[(number - 1) * size: number * size]
    count = len(views)
    return chosen, {"page": number, "pageSize": size, "pageCount": -(-count // size),
                    "itemCount": count}


def _whole(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise QueryError(f"{name} must be a whole number") from None


def _since(value: str):
    from email.utils import parsedate_to_datetime

    moment = parse_datetime(value)
    if moment is None:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            raise QueryError("If-Modified-Since is not a date and time") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _get(view: dict, dotted: str):
    value = view
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def find_one(views: list[dict], resource: Resource, key: str) -> dict | None:
    wanted = key.strip().lower()
    for field in (resource.id_field, resource.alt_field):
        if field is None:
            continue
        found = next((v for v in views if str(v.get(field) or "").lower() == wanted), None)
        if found is not None:
            return found
    return None
