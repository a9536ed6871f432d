"""The user list: the portal's busiest admin page, read with plain rows (no ORM objects).

A page costs three queries however many users the account has: the count, the page of
users, then the company names of just those users. (A window ``count() over ()`` would save
the first but makes SQLite sort-and-count every row: slower.)
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select

from wisesync.companies.models import Company
from wisesync.extensions import db
from wisesync.users.models import User, user_companies

PER_PAGE = 25


@dataclass(frozen=True)
class UserRow:
    id: int
    first_name: str
    last_name: str
    email: str
    username: str
    role: str
    enabled: bool
    companies: tuple[str, ...]  # names of the ticked companies (admins sync all anyway)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_admin(self) -> bool:
        return self.role == "account-admin"


@dataclass(frozen=True)
class UserPage:
    items: list[UserRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


# Built once: building and cache-keying a statement costs more than running it here.
_ORDER = (User.enabled.desc(), func.lower(User.last_name), func.lower(User.first_name), User.id)
_COLUMNS = (User.id, User.first_name, User.last_name, User.email, User.username, User.role,
            User.enabled)
_IN_ACCOUNT = User.account_id == bindparam("account_id")
_COUNT = select(func.count(User.id)).where(_IN_ACCOUNT)
_PAGE = (select(*_COLUMNS).where(_IN_ACCOUNT).order_by(*_ORDER)
         .limit(bindparam("limit")).offset(bindparam("offset")))
_COMPANY_NAMES = (
    select(user_companies.c.user_id, Company.name)
    .join(Company, Company.id == user_companies.c.company_id)
    .where(user_companies.c.user_id.in_(bindparam("user_ids", expanding=True)),
           Company.account_id == bindparam("account_id"))
    .order_by(Company.name_key))


def list_users(account_id: int, *, page: int = 1, q: str = "", per_page: int = PER_PAGE) -> UserPage:
    """One page of the account's users, enabled first, then by last and first name. ``q``
    matches names and email (``%`` and ``_`` literally). A page past the end shows the last."""
    count_query, page_query = _COUNT, _PAGE
    if q.strip():
        term = q.strip().lower()
        match = or_(func.lower(User.first_name).contains(term, autoescape=True),
                    func.lower(User.last_name).contains(term, autoescape=True),
                    User.email.contains(term, autoescape=True))
        count_query, page_query = _COUNT.where(match), _PAGE.where(match)
    # Core selects on the session's connection: plain rows, without the ORM's per-statement
    # bookkeeping (this page is read far more often than anything else admins open).
    conn = db.session.connection()
    total = conn.execute(count_query, {"account_id": account_id}).scalar_one()
    page = min(max(page, 1), max(1, -(-total // per_page)))  # past the end: the last page
    rows = conn.execute(page_query, {"account_id": account_id, "limit": per_page,
                                     "offset": (page - 1) * per_page}).all()
    names: dict[int, list[str]] = defaultdict(list)
    if rows:
        for user_id, name in conn.execute(_COMPANY_NAMES, {
                "account_id": account_id, "user_ids": [row.id for row in rows]}):
            names[user_id].append(name)
    items = [UserRow(*row, companies=tuple(names.get(row.id, ()))) for row in rows]
    return UserPage(items=items, page=page, per_page=per_page, total=total)
