"""Linked Xero contacts kept up to date from the PSA (DESIGN §10.1: "updated from the PSA billing
contact (email, address) on later syncs").

Before a run pushes documents for linked contacts, each one whose details as the mapping has
them (name, billing person, e-mail, address, phone: :data:`CONTACT_FIELDS`, empty ones never
sent so nothing typed into Xero is cleared) differ from what was last sent — the link's
``sent_fingerprint`` — is updated with ``POST /Contacts`` by ContactID, ≤ 50 a call, with an
Idempotency-Key derived from the company, the contacts and the details (an update is
idempotent in itself; the key makes a retried call a replay). What was sent is then stored on
the link. Contact names are unique in Xero: a new name another contact holds is sent again
without the name (e-mail, address and phone still updated), and the records of that customer
carry a warning; no failure here ever holds a document back, except Xero refusing every call
(daily cap, revoked grant), which stops the run as a document call would.
"""
from __future__ import annotations

from wisesync.accounting.errors import XeroError
from wisesync.transactions import ledger
from wisesync.transactions.push import CHUNK, StopRun, _messages, _name, stop_for

CONTACT_FIELDS = ("Name", "FirstName", "LastName", "EmailAddress", "Addresses", "Phones")
NAME_TAKEN = ("{what}: the {psa} company is now named {name!r}, but Xero already has another contact of that "
              "name, so its Xero contact keeps the name it had{rest}. The document was sent all the same.")
NAME_TAKEN_FIX = ("Rename one of the two (the company in {psa}, or the other contact in Xero); the next sync "
                  "renames the contact.")
NOT_UPDATED = ("{what}: its Xero contact was not updated with the {psa} billing details ({reason}). The document "
               "was sent all the same.")
NOT_UPDATED_FIX = "Nothing to do unless it persists: the next sync tries the update again."


def contact_details(contact: dict) -> dict:
    """What a contact update sends: the fields of :data:`CONTACT_FIELDS` the mapping filled (one
    it left empty is never sent, so nothing typed into Xero is cleared)."""
    return {k: contact[k] for k in CONTACT_FIELDS if contact.get(k)}


def contact_fingerprint(details: dict) -> str:
    return ledger.payload_hash(details)


def update_contacts(pusher, pending: list) -> None:
    """Linked contacts whose PSA details (name, billing person, e-mail, address, phone as the
    mapping has them) differ from what was last sent are updated in Xero (``POST /Contacts``
    by ContactID, ≤ 50 a call, with an Idempotency-Key), and what was sent is remembered on
    the link. A new name another Xero contact holds is sent again without the name and
    reported on the records as a warning; nothing here ever holds a document back."""
    wanted: dict[str, tuple[dict, list]] = {}
    for p in pending:
        cid = p.mapped.counterparty_id
        # A bill's vendor has no billing contact (its export carries name and number only):
        # customers' details are what is kept up to date.
        if cid in pusher.links and p.row.kind != "procurement":
            details = contact_details(p.mapped.contact)
            if details:
                wanted.setdefault(cid, (details, []))[1].append(p)
    if not wanted:
        return
    sent = ledger.contact_fingerprints(pusher.company.id, pusher.psa, wanted)
    changed = {cid: d for cid, (d, _) in wanted.items() if sent.get(cid) != contact_fingerprint(d)}
    done, renamed_away = _send_updates(pusher, changed, wanted)
    retry = {cid: {k: v for k, v in changed[cid].items() if k != "Name"} for cid in renamed_away}
    retry = {cid: d for cid, d in retry.items() if d and sent.get(cid) != contact_fingerprint(d)}
    more, _ = _send_updates(pusher, retry, wanted)
    for cid in renamed_away:
        rest = " (its e-mail, address and phone were updated)" if cid in more else ""
        _warn(pusher, wanted[cid][1], NAME_TAKEN, NAME_TAKEN_FIX, name=changed[cid]["Name"], rest=rest)
    ledger.save_contact_fingerprints(pusher.company.id, pusher.psa, {**done, **more})


def _send_updates(pusher, changed: dict[str, dict], wanted: dict) -> tuple[dict[str, str], set[str]]:
    """POST the changed contacts (≤ 50 a call): ``({cid: fingerprint sent}, {cids whose new
    name another contact holds})``. Other refusals become warnings on the records."""
    done, taken = {}, set()
    cids = sorted(changed)
    for start in range(0, len(cids), CHUNK):
        chunk = cids[start:start + CHUNK]
        elements = [{"ContactID": pusher.links[cid], **changed[cid]} for cid in chunk]
        key = ledger.batch_key(f"contact:{pusher.company.id}:{e['ContactID']}:{contact_fingerprint(changed[c])}"
                               for c, e in zip(chunk, elements))
        try:
            results = pusher.xero.update_contacts(elements, key)
        except XeroError as exc:
            if stop_for(exc):
                raise StopRun(exc.explanation, exc.fix) from exc
            for cid in chunk:
                _warn(pusher, wanted[cid][1], NOT_UPDATED, NOT_UPDATED_FIX, reason=exc.explanation)
            continue
        for cid, result in zip(chunk, results):
            messages = _messages(result)
            if not messages and not result.get("HasValidationErrors"):
                done[cid] = contact_fingerprint(changed[cid])
            elif "Name" in changed[cid] and any("already assigned to another contact" in m for m in messages):
                taken.add(cid)
            else:
                _warn(pusher, wanted[cid][1], NOT_UPDATED, NOT_UPDATED_FIX,
                  reason="; ".join(messages) or "Xero gave no reason")
    return done, taken


def _warn(pusher, pending: list, message: str, fix: str, **values) -> None:
    for p in pending:
        ledger.note_warning(pusher.run_id, p.row.kind, p.row.psa_id,
                            message.format(what=p.name, psa=_name(pusher.psa), **values),
                            fix.format(psa=_name(pusher.psa), **values))
