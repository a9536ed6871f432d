"""Reading pulled PSA data: search and pages, always within one account."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from wisesync.extensions import db
from wisesync.psadata.models import PsaAgreement, PsaCustomer, PsaLocation, PsaProduct

PER_PAGE = 50


@dataclass
class Page:
    items: list
    page: int
    pages: int
    total: int
    q: str


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _page(query, count_query, page: int, q: str) -> Page:
    total = db.session.scalar(count_query) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    items = list(db.session.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return Page(items=items, page=page, pages=pages, total=total, q=q)


def _search(q: str, *columns):
    if not q:
        return None
    pattern = _like(q)
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))


def customers(account_id: int, q: str = "", page: int = 1) -> Page:
    """Rows of ``(PsaCustomer,)``, active first then by name; ``q`` matches name or identifier."""
    where = [PsaCustomer.account_id == account_id]
    match = _search(q, PsaCustomer.name, PsaCustomer.identifier)
    if match is not None:
        where.append(match)
    query = select(PsaCustomer).where(*where).order_by(PsaCustomer.active.desc(), PsaCustomer.name, PsaCustomer.id)
    return _page(query, select(func.count()).select_from(PsaCustomer).where(*where), page, q)


def agreements(account_id: int, q: str = "", page: int = 1) -> Page:
    """Rows of ``(PsaAgreement, customer name)``; ``q`` matches agreement or customer name."""
    customer = and_(PsaCustomer.account_id == PsaAgreement.account_id,
                    PsaCustomer.psa_id == PsaAgreement.customer_psa_id)
    where = [PsaAgreement.account_id == account_id]
    match = _search(q, PsaAgreement.name, PsaAgreement.customer_name, PsaCustomer.name)
    if match is not None:
        where.append(match)
    name = func.coalesce(func.nullif(PsaAgreement.customer_name, ""), PsaCustomer.name, "")
    query = (select(PsaAgreement, name).outerjoin(PsaCustomer, customer).where(*where)
             .order_by(PsaAgreement.active.desc(), PsaAgreement.name, PsaAgreement.id))
    count = select(func.count()).select_from(PsaAgreement).outerjoin(PsaCustomer, customer).where(*where)
    return _page(query, count, page, q)


def products(account_id: int, q: str = "", page: int = 1) -> Page:
    """Rows of ``(PsaProduct,)``; ``q`` matches name, identifier (SKU) or description."""
    where = [PsaProduct.account_id == account_id]
    match = _search(q, PsaProduct.name, PsaProduct.identifier, PsaProduct.description)
    if match is not None:
        where.append(match)
    query = select(PsaProduct).where(*where).order_by(PsaProduct.active.desc(), PsaProduct.name, PsaProduct.id)
    return _page(query, select(func.count()).select_from(PsaProduct).where(*where), page, q)


def list_locations(account_id: int, include_inactive: bool = False) -> list[tuple[int, str]]:
    """``[(psa_id, name)]`` of the account's pulled ConnectWise locations, by name.

    Locations the PSA no longer lists (or marks inactive) are left out unless asked for; a
    company that still ticks one shows it from its own saved ids."""
    where = [PsaLocation.account_id == account_id]
    if not include_inactive:
        where.append(PsaLocation.active.is_(True))
    rows = db.session.execute(select(PsaLocation.psa_id, PsaLocation.name).where(*where)
                              .order_by(func.lower(PsaLocation.name), PsaLocation.psa_id))
    return [(int(psa_id), name) for psa_id, name in rows]
