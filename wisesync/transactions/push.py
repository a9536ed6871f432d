"""Putting mapped documents into Xero for a run: items first, contacts matched, then the
documents in calls of at most 50, each with an ``Idempotency-Key`` (DESIGN §10.3–10.4).

Exactly once, by construction:

- every record is ``pushing`` in the ledger (committed) before the call that carries it, and
  ``pushed`` with its Xero id after; the call's key is :func:`ledger.batch_key` of its members'
  keys, so the same call repeated (a retry after a dropped answer) is replayed by Xero;
- an ACCREC invoice or credit note whose number Xero already holds is refused by Xero
  ("... # must be unique") and then *adopted* (looked up by number, in one call for the whole
  batch), instead of looking every number up first — one call per 50 documents is the budget;
- bills (ACCPAY) have no unique-number rule in Xero, so their numbers are looked up before they
  are sent (one call per 50) and those found are adopted.

Contacts (DESIGN §10.1): a linked contact is used by its ContactID (and updated first when its
PSA details changed, :mod:`.contact_updates`); the others are looked up in
one call per 50 numbers-or-names: by ``ContactNumber`` (the PSA company identifier), then by
exact name — a contact of that name that carries another contact number belongs to another
PSA company, and the record is blocked rather than booked to it (Xero would refuse a second
contact of that name anyway). Contacts found nowhere are created by Xero from the document
itself (number, name, e-mail), and the ContactID it answers is linked for the next run.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from wisesync.accounting.errors import XeroError, XeroRateLimited, XeroUnavailable, XeroValidationError
from wisesync.extensions import db
from wisesync.transactions import ledger
from wisesync.transactions.mapping import describe

log = logging.getLogger(__name__)
CHUNK = 50
INLINE_CONTACT_FIELDS = ("Name", "ContactNumber", "AccountNumber", "EmailAddress", "FirstName", "LastName")
DUPLICATE_NAME = ("{what}: Xero already has a contact named {name!r} with contact number {theirs!r}, but "
                  "this {psa} company's identifier is {ours!r}: Xero keeps contact names unique, so "
                  "Wise-Sync will not book it to the other company's contact.")
DUPLICATE_NAME_FIX = ("Rename one of the two: the company in the PSA or the contact in Xero (or, if they "
                      "are the same company, set the Xero contact's number to {ours!r}), then sync again.")
TAKEN_NUMBER = ("{what}: Xero already holds {number} for another contact ({theirs}), so it is neither "
                "pushed again nor adopted.")
TAKEN_NUMBER_FIX = ("Check {number} in Xero: if it was typed in by hand for this customer, set its contact "
                    "to this customer; if it is another document, renumber one of them. Then sync again.")
UNKNOWN_OUTCOME_FIX = ("Nothing to do: the next sync asks Xero first and never creates it twice (Xero "
                       "replays a repeated call, and the number is checked).")


class StopRun(Exception):
    """Xero will not take more calls now (daily cap, revoked grant, missing scope): the run stops
    with this explanation and fix; records not yet sent wait for the next run."""

    def __init__(self, explanation: str, fix: str):
        super().__init__(explanation)
        self.explanation, self.fix = explanation, fix


def stop_for(exc: XeroError) -> bool:
    """Errors after which no further Xero call of this run can succeed."""
    from wisesync.accounting.errors import XeroAuthError, XeroForbidden, XeroGrantRevoked

    if isinstance(exc, XeroRateLimited):
        return exc.problem == "day" or exc.problem is None and (exc.retry_after or 0) > 3600
    return isinstance(exc, (XeroAuthError, XeroForbidden, XeroGrantRevoked))


@dataclass
class Pending:
    """One record on its way: its review row, its ledger ref, and (once pushing) its entry."""

    row: object
    ref: ledger.RecordRef
    entry: object = None

    @property
    def mapped(self):
        return self.row.document

    @property
    def name(self) -> str:
        return describe(self.row.kind, self.row.number)


@dataclass
class Pusher:
    xero: object
    company: object
    run_id: int
    synced_by_id: int | None
    links: dict = field(default_factory=dict)  # PSA company id → ContactID
    psa: str = "connectwise"  # whose companies the contacts are
    update_linked: bool = True  # False when the PSA's billing details could not be read

    # -- items -------------------------------------------------------------------------------
    def ensure_items(self, pending: list[Pending]) -> None:
        """Create the items the documents name and the organisation lacks (the mapping lists
        them against the catalog the run read; one PUT per 50); an item Xero refuses blocks the
        records that use it."""
        wanted: dict[str, dict] = {}
        for p in pending:
            for item in p.mapped.items:
                wanted.setdefault(item["Code"].lower(), item)
        if not wanted:
            return
        missing = list(wanted.values())
        refused: dict[str, str] = {}
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start:start + CHUNK]
            key = ledger.batch_key(f"item:{self.company.id}:{i['Code'].lower()}" for i in chunk)
            for item, result in zip(chunk, self.xero.put_items(chunk, key)):
                if result.get("HasErrors") or result.get("ValidationErrors"):
                    refused[item["Code"].lower()] = "; ".join(_messages(result))
        for p in pending:
            bad = [code for code in (i["Code"].lower() for i in p.mapped.items) if code in refused]
            if bad:
                p.row.block(f"{p.name}: Xero refused to create item {bad[0]}: {refused[bad[0]]}",
                            "Fix the product ID in ConnectWise (or create the item in Xero), then sync again.")

    # -- contacts ----------------------------------------------------------------------------
    def resolve_contacts(self, pending: list[Pending]) -> None:
        """Give each document its contact: linked, found by number, found by exact name, or
        created by Xero from the document. A name taken by another company's contact blocks."""
        unknown: dict[str, dict] = {}
        for p in pending:
            cid = p.mapped.counterparty_id
            if cid and cid not in self.links:
                unknown.setdefault(cid, p.mapped.contact)
        if unknown:
            numbers = [c["ContactNumber"] for c in unknown.values() if c.get("ContactNumber")]
            names = [c["Name"] for c in unknown.values() if c.get("Name")]
            found, matched = self.xero.contacts(contact_numbers=numbers, names=names), {}
            by_number = {str(c.get("ContactNumber") or "").strip().lower(): c for c in found if c.get("ContactNumber")}
            by_name = {str(c.get("Name") or "").strip().lower(): c for c in found
                       if c.get("ContactStatus", "ACTIVE") == "ACTIVE"}
            for cid, contact in unknown.items():
                number = str(contact.get("ContactNumber") or "").strip().lower()
                match = by_number.get(number) if number else None
                if match is None:
                    named = by_name.get(str(contact.get("Name") or "").strip().lower())
                    theirs = str((named or {}).get("ContactNumber") or "").strip()
                    if named is not None and theirs and theirs.lower() != number:
                        self._conflict(pending, cid, contact, named)
                        continue
                    match = named
                if match is not None:
                    matched[cid] = (match["ContactID"], match.get("Name") or contact.get("Name", ""))
            self.link_many(matched)
        if self.update_linked:
            from wisesync.transactions.contact_updates import update_contacts

            update_contacts(self, [p for p in pending if not p.row.blocked])
        for p in pending:
            if p.row.blocked:
                continue
            cid = p.mapped.counterparty_id
            if cid in self.links:
                p.mapped.document["Contact"] = {"ContactID": self.links[cid]}
            else:
                p.mapped.document["Contact"] = {k: p.mapped.contact[k] for k in INLINE_CONTACT_FIELDS
                                                if p.mapped.contact.get(k)}

    def _conflict(self, pending, cid, contact, named) -> None:
        for p in pending:
            if p.mapped.counterparty_id == cid:
                p.row.block(DUPLICATE_NAME.format(what=p.name, name=named.get("Name"), psa=_name(self.psa),
                                                  theirs=named.get("ContactNumber"),
                                                  ours=contact.get("ContactNumber", "")),
                            DUPLICATE_NAME_FIX.format(ours=contact.get("ContactNumber", "")))

    def link_many(self, links: dict[str, tuple[str, str]], fingerprints: dict[str, str] | None = None) -> None:
        """Link several counterparties (id → (ContactID, name)) in one commit, with what was
        sent for those Xero created from a document (``fingerprints``)."""
        changed = {cid: (contact_id, name) for cid, (contact_id, name) in links.items()
                   if cid and contact_id and self.links.get(cid) != contact_id}
        if changed:
            self.links.update({cid: contact_id for cid, (contact_id, _name) in changed.items()})
            ledger.save_contact_links(self.company.account_id, self.company.id, self.psa, changed,
                                      {cid: fp for cid, fp in (fingerprints or {}).items() if cid in changed})

    def link(self, counterparty_id: str, contact_id: str, name: str = "") -> None:
        if counterparty_id and contact_id and self.links.get(counterparty_id) != contact_id:
            self.links[counterparty_id] = contact_id
            ledger.save_contact_link(self.company.account_id, self.company.id, self.psa,
                                     counterparty_id, contact_id, name)

    # -- documents ---------------------------------------------------------------------------
    def adopt_existing_bills(self, bills: list[Pending]) -> list[Pending]:
        """Look the bills' numbers up (no unique-number rule for ACCPAY); adopt those found for
        the same supplier. Returns the bills still to push."""
        if not bills:
            return []
        found = self.xero.invoices(numbers=sorted({p.row.number for p in bills}))
        left = []
        for p in bills:
            match = next((d for d in found if d.get("Type") == "ACCPAY" and _same_number(d, "InvoiceNumber", p)
                          and d.get("Status") not in ("DELETED", "VOIDED") and self._same_contact(d, p)), None)
            if match is None:
                left.append(p)
            else:
                p.entry = ledger.record_adopted(p.ref, match["InvoiceID"], match.get("InvoiceNumber", ""), "ACCPAY",
                                                run_id=self.run_id, synced_by_id=self.synced_by_id)
        return left

    def push(self, chunk: list[Pending]) -> list[Pending]:
        """One PUT of ≤ 50 documents of one endpoint; returns those now in Xero (pushed or
        adopted). Raises :class:`StopRun` when Xero takes no more calls."""
        endpoint = chunk[0].mapped.endpoint
        # Every member is "pushing", committed, before the call that carries it (one flush and
        # one commit for the call; the run read the company's ledger rows, row.entry).
        entries = ledger.begin_push_many([(p.ref, getattr(p.row, "entry", None)) for p in chunk],
                                         run_id=self.run_id, synced_by_id=self.synced_by_id)
        for p, entry in zip(chunk, entries):
            p.entry = entry
        key = ledger.batch_key(p.entry.idempotency_key for p in chunk)
        documents = [p.mapped.document for p in chunk]
        try:
            if endpoint == "CreditNotes":
                results = self.xero.put_credit_notes(documents, key)
            else:
                results = self.xero.put_invoices(documents, key)
        except XeroError as exc:
            self._call_failed(chunk, exc)
            return []
        done, duplicates = [], []
        for p, result in zip(chunk, results):
            messages = _messages(result)
            xero_id = result.get("CreditNoteID" if endpoint == "CreditNotes" else "InvoiceID")
            if not messages and xero_id and xero_id != "00000000-0000-0000-0000-000000000000":
                number = result.get(p.mapped.number_key) or p.row.number
                p.entry = ledger.record_pushed(p.entry, xero_id, number, p.mapped.xero_type, run_id=self.run_id,
                                               commit=False)
                done.append(p)
            elif p.mapped.xero_type != "ACCPAY" and any("must be unique" in m for m in messages):
                duplicates.append(p)
            else:
                if any(word in " ".join(messages).lower() for word in ("account code", "taxtype")):
                    from wisesync.transactions.reading import forget_catalog

                    forget_catalog(self.xero.tenant_id)  # the next review reads the chart again
                ledger.record_failed(p.entry, f"{p.name}: Xero refused it: {'; '.join(messages) or 'no reason given'}",
                                     fix_for(messages, self.psa), run_id=self.run_id)
        db.session.commit()  # the call's answers, in one transaction
        links, fingerprints, sent = {}, {}, {id(p) for p in done}
        for p, result in zip(chunk, results):
            contact = result.get("Contact") or {}
            if id(p) in sent and contact.get("ContactID"):
                links[p.mapped.counterparty_id] = (contact["ContactID"], contact.get("Name", ""))
                inline = p.mapped.document.get("Contact") or {}
                if "ContactID" not in inline:  # Xero created it from what the document carried
                    fingerprints[p.mapped.counterparty_id] = sent_fingerprint(inline)
        self.link_many(links, fingerprints)
        return done + self._adopt_duplicates(duplicates, endpoint)

    def _adopt_duplicates(self, duplicates: list[Pending], endpoint: str) -> list[Pending]:
        if not duplicates:
            return []
        numbers = sorted({p.row.number for p in duplicates})
        key, id_key = ("CreditNoteNumber", "CreditNoteID") if endpoint == "CreditNotes" else ("InvoiceNumber",
                                                                                             "InvoiceID")
        try:
            found = (self.xero.credit_notes(numbers=numbers) if endpoint == "CreditNotes"
                     else self.xero.invoices(numbers=numbers))
        except XeroError as exc:
            self._call_failed(duplicates, exc)
            return []
        adopted = []
        for p in duplicates:
            match = next((d for d in found if d.get("Type") == p.mapped.xero_type and _same_number(d, key, p)), None)
            if match is not None and self._same_contact(match, p):
                p.entry = ledger.record_adopted(p.ref, match[id_key], match.get(key, ""), p.mapped.xero_type,
                                                run_id=self.run_id, synced_by_id=self.synced_by_id)
                adopted.append(p)
            else:
                theirs = ((match or {}).get("Contact") or {}).get("Name") or "someone else"
                ledger.record_failed(p.entry, TAKEN_NUMBER.format(what=p.name, number=p.row.number, theirs=theirs),
                                     TAKEN_NUMBER_FIX.format(number=p.row.number), run_id=self.run_id)
        return adopted

    def _same_contact(self, document: dict, p: Pending) -> bool:
        contact = document.get("Contact") or {}
        ours = p.mapped.contact
        if self.links.get(p.mapped.counterparty_id) and contact.get("ContactID") == self.links[p.mapped.counterparty_id]:
            return True
        if ours.get("ContactNumber") and contact.get("ContactNumber") == ours["ContactNumber"]:
            return True
        return str(contact.get("Name") or "").strip().lower() == str(ours.get("Name") or "").strip().lower()

    def _call_failed(self, chunk: list[Pending], exc: XeroError) -> None:
        """The call's outcome is unknown (or it was refused whole): every member ends failed
        with the reason — Xero may hold some, which the next run finds without a second copy."""
        if stop_for(exc):
            for p in chunk:
                ledger.record_failed(p.entry, f"{p.name}: not sent. {exc.explanation}", exc.fix, run_id=self.run_id)
            raise StopRun(exc.explanation, exc.fix) from exc
        if isinstance(exc, XeroValidationError):
            reason, fix = "; ".join(exc.messages) or exc.explanation, fix_for(exc.messages, self.psa)
        else:
            reason, fix = exc.explanation, UNKNOWN_OUTCOME_FIX if isinstance(exc, (XeroUnavailable,)) else exc.fix
        for p in chunk:
            ledger.record_failed(p.entry, f"{p.name}: {reason}", fix or UNKNOWN_OUTCOME_FIX, run_id=self.run_id)


def sent_fingerprint(contact: dict) -> str:
    from wisesync.transactions.contact_updates import contact_details, contact_fingerprint

    return contact_fingerprint(contact_details(contact))


def _same_number(document: dict, key: str, p: Pending) -> bool:
    return str(document.get(key) or "").strip().lower() == str(p.row.number).strip().lower()


def _messages(result: dict) -> list[str]:
    return [str(e.get("Message") or e) for e in (result.get("ValidationErrors") or []) if e]


FIXES = (
    ("lock date", "Xero refuses documents dated on or before its lock date: an adviser moves the lock date in "
                  "Xero (Settings > Advanced > Financial settings), or the document date is changed in "
                  "ConnectWise; then sync again."),
    ("account code", "Add the account to the chart of accounts in Xero, or fix the GL account mapping in "
                     "ConnectWise (Setup Tables > GL Accounts) and GL Reload the record; then sync again."),
    ("taxtype", "Choose the company's tax codes again on its page (Companies) from the organisation's active "
                "tax rates, then sync again."),
    ("item code", "Shorten or fix the product ID in ConnectWise (Xero item codes are at most 30 characters), "
                  "then sync again."),
    ("contact name", "Rename the company in ConnectWise or the contact in Xero so each name belongs to one "
                     "company, then sync again."),
    ("does not match the expected line total", "Correct the invoice's lines in ConnectWise (quantities and "
                                               "prices to 4 decimals), GL Reload it, then sync again."),
)


AUTOTASK_FIXES = (
    ("account code", "Add the account to the chart of accounts in Xero, or correct the billing code's External "
                     "Number in Autotask (Admin > Features & Settings > Finance, Accounting & Invoicing > Billing "
                     "Codes); then sync again."),
    ("does not match the expected line total", "Correct the invoice's billing items in Autotask (quantities and "
                                               "rates), then sync again."),
    ("lock date", "Xero refuses documents dated on or before its lock date: an adviser moves the lock date in "
                  "Xero (Settings > Advanced > Financial settings); then sync again."),
    ("contact name", "Rename the company in Autotask or the contact in Xero so each name belongs to one company, "
                     "then sync again."),
)


def fix_for(messages: list[str], psa: str = "connectwise") -> str:
    text = " ".join(messages).lower()
    if psa == "autotask":
        fix = next((fix for needle, fix in AUTOTASK_FIXES if needle in text), None)
        if fix is None and not any(needle in text for needle, _ in FIXES):
            return "Correct what Xero names in Autotask (or in Xero's settings), then sync again."
        if fix is not None:
            return fix
    for needle, fix in FIXES:
        if needle in text:
            return fix
    return "Correct what Xero names in ConnectWise (or in Xero's settings), then sync again."


def _name(psa: str) -> str:
    return {"autotask": "Autotask"}.get(psa, "ConnectWise")
