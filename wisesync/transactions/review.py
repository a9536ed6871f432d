"""Review: read the PSA live, route each unposted record to its company by location, and give
every row its state — *new*, *changed since synced*, *already in Xero*, or *blocked* with the
reason and the fix (DESIGN §10.3).

Reading is two list calls (unposted invoices, unposted procurement) and one export call per
kind and location; mapping is :mod:`wisesync.transactions.mapping` (pure). The run
(:mod:`wisesync.transactions.run`) reads the same way, so what the review shows is what a sync
of it would do.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from wisesync.transactions.ledger import entries_for_company, payload_hash

UNMAPPED = "ConnectWise location {location} is not ticked on any company, and no company takes the rest."
UNMAPPED_FIX = ("An account administrator ticks {location} under PSA locations on the company that "
                "takes its transactions (Companies > edit), or leaves one company with no locations "
                "ticked so it takes every location no other company names.")
AMBIGUOUS = ("ConnectWise location {location} is not ticked on any company, and {count} companies have "
             "no locations ticked, so Wise-Sync cannot tell which one takes it.")
AMBIGUOUS_FIX = ("Tick locations on all but one of {names} (Companies > edit > PSA locations): only one "
                 "company may take the locations no other company names.")
NO_GL = ("{what} {number} is unposted in ConnectWise but has no GL entries, so the export does not "
         "include it and it cannot be posted.")
NO_GL_FIX = ("In ConnectWise open the {what_lower}, set its status to one that generates GL entries "
             "(the GL Reload billing status, then closed again) and check its GL accounts are mapped "
             "(Setup Tables > GL Accounts); then review again.")
NOT_ROUTED_HERE = "{what} {number} belongs to {owner} (ConnectWise location {location}), not to {company}."


@dataclass
class Row:
    """One unposted PSA record as the review and the run see it."""

    kind: str  # invoice | credit | procurement
    psa_id: str
    number: str
    counterparty: str
    counterparty_id: str
    date: date | None
    total: Decimal
    tax: Decimal
    currency: str
    location_id: int | None
    export_id: object = None  # what the export request names: invoice id (int) / unpostedProductId (str)
    state: str = "new"  # new | changed | in_xero | blocked
    reason: str = ""
    fix: str = ""
    entry: object = None  # LedgerEntry when there is one
    document: object = None  # mapping's Mapped (its Xero document), None when blocked
    payload_hash: str = ""
    unmapped: bool = False  # its location goes to no company
    psa: str = "connectwise"  # Autotask has no credit memos: its negative invoices (kind credit)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.psa_id}"

    @property
    def blocked(self) -> bool:
        return self.state == "blocked"

    @property
    def what(self) -> str:
        credit = "Negative invoice" if self.psa == "autotask" else "Credit memo"
        return {"invoice": "Invoice", "credit": credit, "procurement": "Purchase order"}[self.kind]

    def block(self, reason: str, fix: str) -> None:
        self.state, self.reason, self.fix = "blocked", reason, fix


def _decimal(value) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _ref_name(ref) -> str:
    return (ref or {}).get("name") or (ref or {}).get("identifier") or "" if isinstance(ref, dict) else ""


def invoice_row(record: dict) -> Row:
    total = _decimal(record.get("total"))
    kind = "credit" if record.get("invoiceType") == "CreditMemo" or total < 0 else "invoice"
    company = record.get("company") or record.get("billToCompany") or {}
    return Row(kind=kind, psa_id=str(record["id"]), number=str(record.get("invoiceNumber") or record["id"]),
               counterparty=_ref_name(company), counterparty_id=str(company.get("id", "")),
               date=_date(record.get("invoiceDate")), total=total,
               tax=_decimal(record.get("salesTaxAmount")), currency=(record.get("currency") or {}).get(
                   "currencyCode", "") if isinstance(record.get("currency"), dict) else "",
               location_id=record.get("locationId"), export_id=record["id"])


def procurement_row(record: dict) -> Row:
    vendor = record.get("vendor") or {}
    po = record.get("purchaseOrder") or {}
    return Row(kind="procurement", psa_id=str(record["id"]),
               number=str(record.get("vendorInvoiceNumber") or po.get("name") or record["id"]),
               counterparty=_ref_name(vendor), counterparty_id=str(vendor.get("id", "")),
               date=_date(record.get("vendorInvoiceDate") or record.get("purchaseDate")),
               total=_decimal(record.get("total")), tax=_decimal(record.get("taxTotal")),
               currency=(record.get("currency") or {}).get("currencyCode", "")
               if isinstance(record.get("currency"), dict) else "",
               location_id=record.get("locationId"), export_id=record.get("unpostedProductId") or record["id"])


def read_unposted(books, location_ids: set[int] | None = None) -> list[Row]:
    """Every unposted invoice, credit memo and purchase order (of ``location_ids`` when given)."""
    rows = [invoice_row(r) for r in books.unposted_invoices(location_ids)]
    rows += [procurement_row(r) for r in books.unposted_procurement(location_ids)
             if r.get("procurementType", "Purchase") == "Purchase"]
    return rows


# -- routing by location ---------------------------------------------------------------------

class Router:
    """Which company takes a ConnectWise location: the one that ticks it, else the only company
    with none ticked. Built once per read (two queries), then asked per record."""

    def __init__(self, account_id: int):
        from wisesync.companies.services import catch_all_companies, location_names, location_owners

        self.owners = location_owners(account_id)
        self.catch_all = catch_all_companies(account_id)
        self.names = location_names(account_id)

    def owner(self, location_id):
        if location_id is not None and int(location_id) in self.owners:
            return self.owners[int(location_id)]
        return self.catch_all[0] if len(self.catch_all) == 1 else None

    def label(self, location_id) -> str:
        if location_id is None:
            return "(none)"
        name = self.names.get(int(location_id))
        return f"{name!r} (id {location_id})" if name else f"id {location_id}"

    def unmapped(self, row: Row) -> None:
        location = self.label(row.location_id)
        if len(self.catch_all) > 1:
            names = ", ".join(repr(c.name) for c in self.catch_all)
            row.block(AMBIGUOUS.format(location=location, count=len(self.catch_all)),
                      AMBIGUOUS_FIX.format(names=names))
        else:
            row.block(UNMAPPED.format(location=location), UNMAPPED_FIX.format(location=location))

    def split(self, rows: list[Row], company) -> tuple[list[Row], list[Row]]:
        """``(this company's rows, rows no company takes — blocked with the fix)``."""
        mine, unmapped = [], []
        for row in rows:
            owner = self.owner(row.location_id)
            if owner is None:
                self.unmapped(row)
                unmapped.append(row)
            elif owner.id == company.id:
                mine.append(row)
        return mine, unmapped

    def summary(self, company) -> str:
        if company.location_ids:
            return ", ".join(self.label(i) for i in sorted(company.location_ids))
        if len(self.catch_all) == 1 and self.catch_all[0].id == company.id:
            return "every location no other company names"
        return "none ticked"


def count_by_company(rows: list[Row], router: Router) -> tuple[dict[int, dict[str, int]], int]:
    """Company id → {invoice, credit, procurement} counts, and how many rows no company takes."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"invoice": 0, "credit": 0, "procurement": 0})
    unmapped = 0
    for row in rows:
        owner = router.owner(row.location_id)
        if owner is None:
            unmapped += 1
        else:
            counts[owner.id][row.kind] += 1
    return counts, unmapped


# -- export, map, state ------------------------------------------------------------------------

def company_settings(company):
    """The company's accounting settings as the (pure) mapping takes them."""
    from wisesync.transactions.mapping import CompanySettings

    return CompanySettings(sales_tax_code=company.sales_tax_code or "",
                           sales_exempt_tax_code=company.sales_exempt_tax_code or "",
                           purchase_tax_code=company.purchase_tax_code or "",
                           purchase_exempt_tax_code=company.purchase_exempt_tax_code or "",
                           document_status=company.document_status or "DRAFT",
                           rounding_account=company.rounding_account or "860")


def export_rows(books, rows: list[Row], company, catalog, *, contact_ids=None, billing=None) -> dict:
    """Export the rows' lines and GL entry ids (one call per kind, in chunks of 200) and map each
    to its Xero document; a row the mapping refuses (or the export leaves out: no GL entries) is
    blocked with the reason and fix. Returns the merged GLExport parties ``{"customers",
    "vendors"}`` (the run needs their ids for billing details)."""
    from wisesync.transactions.mapping import Blocked, map_export

    settings = company_settings(company)
    parties = {"customers": [], "vendors": []}
    for group in ("invoice", "procurement"):
        members = [r for r in rows if not r.blocked and (r.kind == "procurement") == (group == "procurement")]
        if not members:
            continue
        if group == "invoice":
            export = books.export_invoices([int(r.export_id) for r in members])
        else:
            export = books.export_procurement([str(r.export_id) for r in members])
        parties["customers"] += export.get("customers") or []
        parties["vendors"] += export.get("vendors") or []
        mapped = map_export(export, settings, catalog, contact_ids=contact_ids, billing=billing,
                            expected=[(r.kind, str(r.export_id), r.number) for r in members])
        for row in members:
            result = mapped.get((row.kind, str(row.export_id)))
            if result is None:  # exported as the other kind (a credit memo sent as an invoice...)
                other = "credit" if row.kind == "invoice" else "invoice"
                result = mapped.get((other, str(row.export_id)))
                if result is not None and not isinstance(result, Blocked):
                    row.kind = result.kind
            if result is None or isinstance(result, Blocked):
                reason = getattr(result, "reason", NO_GL.format(what=row.what, number=row.number))
                fix = getattr(result, "fix", NO_GL_FIX.format(what_lower=row.what.lower()))
                row.block(reason, fix)
                continue
            row.document = result
            row.payload_hash = payload_hash(result.fingerprint)
    return parties


def apply_ledger(company, rows: list[Row], *, psa: str = "connectwise") -> None:
    """Give each row its ledger state: already in Xero (same content), changed since synced,
    or new. Blocked rows stay blocked."""
    entries = entries_for_company(company.id, psa=psa)
    for row in rows:
        row.entry = entries.get((row.kind, row.psa_id))
        if row.blocked or row.entry is None or not row.entry.xero_id:
            continue
        same = not row.payload_hash or row.entry.payload_hash == row.payload_hash
        row.state = "in_xero" if same else "changed"


def totals(rows: list[Row]) -> dict[str, dict]:
    """State → {count, amount} (credit memos count negative), plus "all"."""
    out = {state: {"count": 0, "amount": Decimal("0")} for state in ("new", "changed", "in_xero", "blocked")}
    out["all"] = {"count": 0, "amount": Decimal("0")}
    for row in rows:
        amount = -abs(row.total) if row.kind == "credit" else row.total
        for key in (row.state, "all"):
            out[key]["count"] += 1
            out[key]["amount"] += amount
    return {key: value for key, value in out.items() if value["count"] or key == "all"}
