"""Reading pulled PSA data: search and pages, always within one account.

Pages are keyset pages (wisesync/psadata/keyset.py) over indexes that serve the list order, so
page 1 and page 4,000 cost the same; search goes through the search index (search.py). The
total is counted exactly up to ``EXACT_UP_TO``; above that a search says "more than", and the
whole list's count is cached until a row is added (or five minutes pass).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select

from wisesync.extensions import db
from wisesync.psadata import keyset, search
from wisesync.psadata.keyset import BadKey, Key, Order, Segment  # noqa: F401  (BadKey for routes)
from wisesync.psadata.models import PsaAgreement, PsaCustomer, PsaLocation, PsaProduct

PER_PAGE = 50
EXACT_UP_TO = 1000
COUNT_TTL = 300.0
SORTS = {"psa_products": ("name", "price"), "psa_customers": ("name",), "psa_agreements": ("name",)}
_counts: dict[tuple, tuple[float, int]] = {}


@dataclass
class Position:
    """Where a page is: ``after``/``before`` a key token, or the last page; else the first."""
    after: str = ""
    before: str = ""
    last: bool = False
    sort: str = "name"


@dataclass
class Page:
    items: list
    total: int
    total_exact: bool  # False: ``total`` is a lower bound ("more than")
    q: str
    sort: str
    has_prev: bool
    has_next: bool
    prev_key: str | None
    next_key: str | None


def _order(model, sort: str) -> Order:
    """Active first, then inactive; by name (or by price, numbers as numbers, unpriced last)."""
    # "= true", not "IS true": PostgreSQL serves only the former from an index
    active, inactive = (model.active == True,), (model.active == False,)  # noqa: E712
    if sort == "price":
        priced, unpriced = (model.price.is_not(None),), (model.price.is_(None),)
        segments = (Segment(active + priced, model.price), Segment(active + unpriced),
                    Segment(inactive + priced, model.price), Segment(inactive + unpriced))
        return Order(segments=segments, id_column=model.id, value=lambda row: _decimal(row[0].price), parse=keyset.parse_decimal)
    return Order(segments=(Segment(active, model.name), Segment(inactive, model.name)),
                 id_column=model.id, value=lambda row: row[0].name)


def _decimal(value) -> Decimal:
    """A price as read (a float: the column is ``asdecimal=False``) back to its 4-place Decimal."""
    return Decimal(str(value)).quantize(Decimal("0.0001"))


def _total(model, account_id: int, where: list, q: str) -> tuple[int, bool]:
    capped = db.session.scalar(select(func.count()).select_from(
        select(model.id).where(*where).limit(EXACT_UP_TO + 1).subquery())) or 0
    if capped <= EXACT_UP_TO:
        return capped, True
    if q:
        return EXACT_UP_TO, False
    # The whole list: an exact count walks the account's index once, then is kept until a row
    # is added (max id moves) or COUNT_TTL passes (rows are only deleted with their account).
    key = (db.engine.url.render_as_string(hide_password=True), model.__tablename__, account_id,
           db.session.scalar(select(func.max(model.id))))
    hit = _counts.get(key)
    if hit and time.monotonic() - hit[0] < COUNT_TTL:
        return hit[1], True
    total = db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    if len(_counts) > 256:
        _counts.clear()
    _counts[key] = (time.monotonic(), total)
    return total, True


def _list(model, stmt, account_id: int, q: str, at: Position) -> Page:
    where = [model.account_id == account_id]
    if q:
        where.append(search.match(model, q) if model is not PsaAgreement else _agreement_match(account_id, q))
    sort = at.sort if at.sort in SORTS[model.__tablename__] else "name"
    order = _order(model, sort)
    after = keyset.parse_key(at.after, order) if at.after else None
    before = keyset.parse_key(at.before, order) if at.before and not after else None
    found = keyset.page(stmt.where(*where), order, PER_PAGE, after=after, before=before, last=at.last)
    if found.has_prev or found.has_next:
        total, exact = _total(model, account_id, where, q)
    else:  # the page shows them all
        total, exact = len(found.items), True
    return Page(items=found.items, total=total, total_exact=exact, q=q, sort=sort,
                has_prev=found.has_prev, has_next=found.has_next,
                prev_key=found.first_key.token() if found.has_prev else None,
                next_key=found.last_key.token() if found.has_next else None)


def legacy_page_key(model, account_id: int, q: str, page: int) -> str | None:
    """The ``after=`` key that starts old-style page ``page`` (``?page=N`` links from before
    keyset paging, by name), or None for the first page or past the end. Walks the index up
    to that row once; the link it redirects to then costs what any page costs."""
    skip = (page - 1) * PER_PAGE - 1  # the row just before the page
    if skip < 0:
        return None
    where = [model.account_id == account_id]
    if q:
        where.append(search.match(model, q) if model is not PsaAgreement else _agreement_match(account_id, q))
    order = _order(model, "name")
    for index, segment in enumerate(order.segments):
        ids = select(model.id, model.name).where(*where, *segment.where)
        row = db.session.execute(ids.order_by(model.name, model.id).offset(skip).limit(1)).first()
        if row is not None:
            return Key(index, row.id, row.name).token()
        skip -= db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    return None


def customers(account_id: int, q: str = "", at: Position | None = None) -> Page:
    """Rows of ``(PsaCustomer,)``, active first then by name; ``q`` matches name or identifier."""
    return _list(PsaCustomer, select(PsaCustomer), account_id, q, at or Position())


def agreements(account_id: int, q: str = "", at: Position | None = None) -> Page:
    """Rows of ``(PsaAgreement, customer name)``; ``q`` matches agreement or customer name."""
    customer = and_(PsaCustomer.account_id == PsaAgreement.account_id,
                    PsaCustomer.psa_id == PsaAgreement.customer_psa_id)
    name = func.coalesce(func.nullif(PsaAgreement.customer_name, ""), PsaCustomer.name, "")
    stmt = select(PsaAgreement, name).outerjoin(PsaCustomer, customer)
    return _list(PsaAgreement, stmt, account_id, q, at or Position())


def _agreement_match(account_id: int, q: str):
    """Autotask contracts carry no customer name: match the pulled customer's name too."""
    named = select(PsaCustomer.psa_id).where(PsaCustomer.account_id == account_id, search.match(PsaCustomer, q))
    return search.match(PsaAgreement, q) | PsaAgreement.customer_psa_id.in_(named)


def products(account_id: int, q: str = "", at: Position | None = None) -> Page:
    """Rows of ``(PsaProduct,)``; ``q`` matches name, identifier (SKU) or description; sorted by
    name or by price (``at.sort``)."""
    return _list(PsaProduct, select(PsaProduct), account_id, q, at or Position())


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
