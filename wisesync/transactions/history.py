"""``/sync/history``: the ledger, filtered, paged, within the companies a person may sync."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from wisesync.companies.models import Company
from wisesync.extensions import db
from wisesync.transactions.models import LEDGER_STATES, LedgerEntry

PER_PAGE = 50
# "adopted" is a flag, not a state, but people look for it like one.
FILTER_STATES = (*LEDGER_STATES, "adopted")


@dataclass
class HistoryPage:
    items: list  # [(LedgerEntry, Company)]
    page: int
    pages: int
    total: int
    q: str
    state: str
    company_id: int | None


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def ledger_page(company_ids: list[int], *, company_id: int | None = None, state: str = "", q: str = "",
                page: int = 1) -> HistoryPage:
    """Ledger rows of ``company_ids`` (the caller passes those the person may sync), newest
    first; ``state`` one of :data:`FILTER_STATES`; ``q`` matches the PSA number, the customer or
    vendor, the PSA id or the Xero number."""
    ids = [company_id] if company_id is not None else list(company_ids)
    where = [LedgerEntry.company_id.in_(ids or [-1])]
    if state == "adopted":
        where.append(LedgerEntry.adopted.is_(True))
    elif state:
        where.append(LedgerEntry.state == state)
    if q:
        pattern = _like(q)
        where.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in (
            LedgerEntry.number, LedgerEntry.counterparty, LedgerEntry.psa_id, LedgerEntry.xero_number))))
    total = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(*where)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        select(LedgerEntry, Company).join(Company, Company.id == LedgerEntry.company_id).where(*where)
        .order_by(LedgerEntry.updated_at.desc(), LedgerEntry.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return HistoryPage(items=[tuple(row) for row in rows], page=page, pages=pages, total=total, q=q,
                       state=state, company_id=company_id)


def document_link(company: Company, entry: LedgerEntry) -> str:
    """The Xero document's page (go.xero.com for real Xero; the simulator's own for the demo)."""
    if not entry.xero_id:
        return ""
    from wisesync.companies.xero import document_url

    return document_url(company, entry.kind, entry.xero_id)
