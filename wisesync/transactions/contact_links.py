"""Which Xero contact each PSA company (customer or vendor) became in a company's organisation,
and what was last sent to it (``sent_fingerprint``, :mod:`.contact_updates`). Each write commits."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.transactions.models import XeroContactLink


def contact_links(company_id: int, psa: str, counterparty_ids: Iterable[str] | None = None) -> dict[str, str]:
    """PSA counterparty id → Xero ContactID for the company's organisation."""
    query = select(XeroContactLink).where(XeroContactLink.company_id == company_id,
                                          XeroContactLink.psa == psa)
    if counterparty_ids is not None:
        query = query.where(XeroContactLink.counterparty_id.in_([str(i) for i in counterparty_ids]))
    return {link.counterparty_id: link.contact_id for link in db.session.scalars(query)}


def save_contact_link(account_id: int, company_id: int, psa: str, counterparty_id: str, contact_id: str,
                      name: str = "") -> XeroContactLink:
    """Remember (or update) which Xero contact a PSA company became; commits."""
    def find():
        return db.session.scalar(select(XeroContactLink).where(
            XeroContactLink.company_id == company_id, XeroContactLink.psa == psa,
            XeroContactLink.counterparty_id == str(counterparty_id)))

    link = find()
    if link is None:
        link = XeroContactLink(account_id=account_id, company_id=company_id, psa=psa,
                               counterparty_id=str(counterparty_id), contact_id=contact_id)
        db.session.add(link)
        try:
            db.session.flush()
        except IntegrityError:  # saved meanwhile by another session
            db.session.rollback()
            link = find()
            if link is None:
                raise
    link.contact_id, link.name = contact_id, (name or link.name or "")[:255]
    db.session.commit()
    return link


def contact_fingerprints(company_id: int, psa: str, counterparty_ids: Iterable[str]) -> dict[str, str]:
    """PSA counterparty id → fingerprint of the contact details last sent to Xero ("" unknown)."""
    query = select(XeroContactLink.counterparty_id, XeroContactLink.sent_fingerprint).where(
        XeroContactLink.company_id == company_id, XeroContactLink.psa == psa,
        XeroContactLink.counterparty_id.in_([str(i) for i in counterparty_ids]))
    return {cid: fingerprint or "" for cid, fingerprint in db.session.execute(query)}


def save_contact_fingerprints(company_id: int, psa: str, fingerprints: dict[str, str]) -> None:
    """Remember what was sent to Xero for each linked counterparty (one statement); commits."""
    if not fingerprints:
        return
    table = XeroContactLink.__table__
    db.session.execute(
        update(table).where(table.c.company_id == company_id, table.c.psa == psa,
                            table.c.counterparty_id == bindparam("cid"))
        .values(sent_fingerprint=bindparam("fingerprint"), updated_at=utcnow()),
        [{"cid": str(cid), "fingerprint": fp} for cid, fp in fingerprints.items()])
    db.session.commit()


def save_contact_links(account_id: int, company_id: int, psa: str, links: dict[str, tuple[str, str]],
                       fingerprints: dict[str, str] | None = None) -> None:
    """:func:`save_contact_link` for many (counterparty id → (ContactID, name)) in one query and
    one commit, with the fingerprint of what was sent when Xero created the contact from a
    document; should another session save one meanwhile, they are saved one by one."""
    if not links:
        return
    fingerprints = fingerprints or {}
    query = select(XeroContactLink).where(XeroContactLink.company_id == company_id, XeroContactLink.psa == psa,
                                          XeroContactLink.counterparty_id.in_([str(i) for i in links]))
    found = {link.counterparty_id: link for link in db.session.scalars(query)}
    for counterparty_id, (contact_id, name) in links.items():
        link = found.get(str(counterparty_id))
        if link is None:
            link = XeroContactLink(account_id=account_id, company_id=company_id, psa=psa,
                                   counterparty_id=str(counterparty_id), contact_id=contact_id)
            db.session.add(link)
        link.contact_id, link.name = contact_id, (name or link.name or "")[:255]
        link.sent_fingerprint = fingerprints.get(counterparty_id, link.sent_fingerprint or "")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        for counterparty_id, (contact_id, name) in links.items():
            save_contact_link(account_id, company_id, psa, counterparty_id, contact_id, name)
        save_contact_fingerprints(company_id, psa, {c: f for c, f in fingerprints.items() if c in links})


def forget_contact_link(company_id: int, psa: str, counterparty_id: str) -> None:
    """Drop a link whose Xero contact is gone (archived or deleted in Xero); commits."""
    link = db.session.scalar(select(XeroContactLink).where(
        XeroContactLink.company_id == company_id, XeroContactLink.psa == psa,
        XeroContactLink.counterparty_id == str(counterparty_id)))
    if link is not None:
        db.session.delete(link)
        db.session.commit()
