"""Reading Autotask for the review and the run: the invoices with no ``webServiceDate`` (not
voided), their billing items as lines, routed to a company, each mapped to its Xero document
(:mod:`.autotask_mapping`). The rows are :class:`~wisesync.transactions.review.Row`s, so the
review page, the run, the ledger and the pusher treat them like ConnectWise's.

Routing (DESIGN §10.2 leaves it to the PSA): an Autotask account with one company sends it
every invoice. With several, an invoice goes by its **organisational level association** —
Autotask's branch + line of business pair, which each billing item carries as
``organizationalLevelAssociationID`` (``BillingItemModel``; the invoice itself has no such
field, and the subset has no billing-location entity): the level of the invoice's first item
that names one. Companies take levels the way ConnectWise companies take locations (the same
``company_locations`` rows, ids being level association ids); the one company with none
takes every level no other company names, and an invoice whose level goes to no company is
blocked with the fix. The subset has no OrganizationalLevelAssociations entity, so levels are
shown by id.
"""
from __future__ import annotations

from wisesync.transactions import review as rv
from wisesync.transactions.ledger import payload_hash

PSA = "autotask"
IDENTITY = "the Autotask API user in Integration Settings"
UNMAPPED = ("Autotask organisational level {level} is not taken by any company, and no company takes "
            "the rest.")
UNMAPPED_FIX = ("An account administrator gives organisational level {level} to the company that takes its "
                "invoices, or leaves one company with no levels so it takes every level no other company names.")
AMBIGUOUS = ("Autotask organisational level {level} is not taken by any company, and {count} companies take no "
             "levels, so Wise-Sync cannot tell which one takes it.")
AMBIGUOUS_FIX = ("Give organisational levels to all but one of {names} (the level association ids of their "
                 "Autotask branches), so only one company takes the levels no other company names.")
NOT_ROUTED_HERE = "{what} {number} belongs to {owner} (Autotask organisational level {location}), not to {company}."


class Router(rv.Router):
    """The ConnectWise router with Autotask's words: a "location" is an organisational level."""

    def label(self, location_id) -> str:
        return "(none)" if location_id is None else f"id {location_id}"

    def unmapped(self, row) -> None:
        level = self.label(row.location_id)
        if len(self.catch_all) > 1:
            names = ", ".join(repr(c.name) for c in self.catch_all)
            row.block(AMBIGUOUS.format(level=level, count=len(self.catch_all)), AMBIGUOUS_FIX.format(names=names))
        else:
            row.block(UNMAPPED.format(level=level), UNMAPPED_FIX.format(level=level))

    def summary(self, company) -> str:
        if company.location_ids:
            return "organisational levels " + ", ".join(self.label(i) for i in sorted(company.location_ids))
        if len(self.catch_all) == 1 and self.catch_all[0].id == company.id:
            return "every Autotask organisational level no other company names"
        return "none"


def level_of(items: list[dict]) -> int | None:
    """The organisational level association an invoice goes by (see the module docstring)."""
    return next((int(i["organizationalLevelAssociationID"]) for i in items
                 if i.get("organizationalLevelAssociationID") is not None), None)


def invoice_row(invoice: dict, items: list[dict], customer: dict | None) -> rv.Row:
    from wisesync.transactions.autotask_mapping import invoice_kind

    return rv.Row(kind=invoice_kind(invoice, items), psa_id=str(invoice["id"]),
                  number=str(invoice.get("invoiceNumber") or invoice["id"]),
                  counterparty=(customer or {}).get("companyName") or f"Autotask company {invoice.get('companyID')}",
                  counterparty_id=str(invoice.get("companyID") or ""), date=rv._date(invoice.get("invoiceDateTime")),
                  total=rv._decimal(invoice.get("invoiceTotal")), tax=rv._decimal(invoice.get("totalTaxValue")),
                  currency="", location_id=level_of(items), export_id=int(invoice["id"]), psa=PSA)


class AutotaskBooks:
    """One read of Autotask for a review or a run: :meth:`read_unposted`, then
    :meth:`export_rows` maps the rows it returned (their items and customers are kept)."""

    psa = PSA

    def __init__(self, billing):
        self.billing = billing  # an AutotaskBilling
        self.invoices: dict[str, dict] = {}
        self.items: dict[int, list[dict]] = {}
        self.customers: dict[int, dict] = {}

    def read_unposted(self) -> list[rv.Row]:
        invoices = self.billing.unsynced_invoices()
        self.invoices = {str(i["id"]): i for i in invoices}
        self.items = self.billing.billing_items(int(i["id"]) for i in invoices) if invoices else {}
        ids = {int(i["companyID"]) for i in invoices if i.get("companyID")}
        self.customers = self.billing.companies(ids) if ids else {}
        return [invoice_row(i, self.items.get(int(i["id"]), []), self.customers.get(i.get("companyID")))
                for i in invoices]

    def export_rows(self, rows: list, company, catalog, *, contact_ids=None, **_ignored) -> None:
        """Map each row that is not blocked to its Xero document (a refusal blocks it)."""
        from wisesync.transactions.autotask_mapping import map_invoice
        from wisesync.transactions.mapping import Blocked

        members = [r for r in rows if not r.blocked]
        if not members:
            return
        codes = self.billing.billing_codes()
        settings = rv.company_settings(company)
        links = {str(k): v for k, v in (contact_ids or {}).items()}
        for row in members:
            invoice = self.invoices[row.psa_id]
            result = map_invoice(invoice, self.items.get(int(row.psa_id), []),
                                 self.customers.get(invoice.get("companyID")), codes, settings, catalog,
                                 contact_id=links.get(row.counterparty_id))
            if isinstance(result, Blocked):
                row.block(result.reason, result.fix)
                continue
            row.kind = result.kind
            row.document = result
            row.payload_hash = payload_hash(result.fingerprint)


def books_for(account, *, budget: bool = False) -> AutotaskBooks:
    """The account's Autotask (its API user in Integration Settings); ``budget`` paces the calls
    by ThresholdInformation (the run). May raise any PsaError."""
    from wisesync.integrations.clients import account_autotask_client
    from wisesync.psa.autotask_billing import AutotaskBilling, Budget

    rest = account_autotask_client(account)
    return AutotaskBooks(AutotaskBilling(rest, Budget(rest) if budget else None))
