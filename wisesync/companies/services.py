"""Accounting companies: the list, create/edit rules, and who may sync which.

Every function takes the account explicitly; routes pass ``current_user.account_id``.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from wisesync.audit.services import record
from wisesync.companies.models import Company
from wisesync.extensions import db
from wisesync.service_errors import FieldError

NAME_TAKEN = "This account already has a company called {name!r}. Use a different name."
FIELD_LABELS = {"name": "name", "sales_tax_code": "sales tax code",
                "purchase_tax_code": "purchase tax code"}


def list_companies(account_id: int) -> list[Company]:
    return list(db.session.scalars(
        select(Company).where(Company.account_id == account_id).order_by(Company.name_key)))


def syncable_companies(user) -> list[Company]:
    """Admins may sync every company of the account, including ones added later; a ``user``
    only the companies ticked on their user page."""
    if user.is_admin:
        return list_companies(user.account_id)
    return list(user.companies)


def granted_user_counts(account_id: int) -> dict[int, int]:
    """Company id → how many enabled ``user``-role users have it ticked (one query)."""
    from wisesync.users.models import User, user_companies

    rows = db.session.execute(
        select(user_companies.c.company_id, func.count())
        .join(User, User.id == user_companies.c.user_id)
        .where(User.account_id == account_id, User.role == "user", User.enabled.is_(True))
        .group_by(user_companies.c.company_id))
    return {company_id: count for company_id, count in rows}


def users_granted(company: Company) -> list:
    """The ``user``-role users who have this company ticked (admins sync it anyway)."""
    from wisesync.users.models import User, user_companies

    return list(db.session.scalars(
        select(User).join(user_companies, user_companies.c.user_id == User.id)
        .where(user_companies.c.company_id == company.id, User.account_id == company.account_id,
               User.role == "user")
        .order_by(User.last_name, User.first_name, User.id)))


def _check_name_free(account_id: int, name: str, exclude_id: int | None = None) -> None:
    query = select(Company.id).where(Company.account_id == account_id,
                                     Company.name_key == name.lower())
    if exclude_id is not None:
        query = query.where(Company.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise FieldError("name", NAME_TAKEN.format(name=name))


def _commit(name: str) -> None:
    # Two admins saving the same name at once: the unique index catches the one the check missed.
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise FieldError("name", NAME_TAKEN.format(name=name)) from None


def create_company(account_id: int, *, name: str, sales_tax_code: str, purchase_tax_code: str,
                   actor=None, ip: str = "") -> Company:
    """Add a company to the account. Raises :class:`FieldError` on ``name`` when the name is
    already used in this account (case-insensitively). Existing ``user``-role users are not
    granted the new company; admins can sync it at once."""
    name = name.strip()
    _check_name_free(account_id, name)
    company = Company(account_id=account_id, name=name, name_key=name.lower(),
                      sales_tax_code=sales_tax_code.strip(),
                      purchase_tax_code=purchase_tax_code.strip())
    db.session.add(company)
    record("company.created", account_id=account_id, actor=actor, ip=ip,
           detail=f"Company {name!r} created (sales tax {company.sales_tax_code}, "
                  f"purchase tax {company.purchase_tax_code})")
    _commit(name)
    return company


def update_company(company: Company, *, name: str, sales_tax_code: str, purchase_tax_code: str,
                   actor=None, ip: str = "") -> list[str]:
    """Save the edit; returns what changed ("name: 'A' → 'B'"), empty when nothing did.
    Raises :class:`FieldError` on ``name`` when another company of the account has it."""
    new = {"name": name.strip(), "sales_tax_code": sales_tax_code.strip(),
           "purchase_tax_code": purchase_tax_code.strip()}
    if new["name"].lower() != company.name_key:
        _check_name_free(company.account_id, new["name"], exclude_id=company.id)
    changes = [f"{FIELD_LABELS[key]}: {getattr(company, key)!r} → {value!r}"
               for key, value in new.items() if getattr(company, key) != value]
    if not changes:
        return []
    for key, value in new.items():
        setattr(company, key, value)
    company.name_key = new["name"].lower()
    record("company.edited", account_id=company.account_id, actor=actor, ip=ip,
           detail=f"Company {company.id} {new['name']!r}: " + "; ".join(changes))
    _commit(new["name"])
    return changes
