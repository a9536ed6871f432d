"""Accounting companies: the list, create/edit rules, and who may sync which."""
from __future__ import annotations

from sqlalchemy import select

from wisesync.companies.models import Company
from wisesync.extensions import db


def list_companies(account_id: int) -> list[Company]:
    return list(db.session.scalars(
        select(Company).where(Company.account_id == account_id).order_by(Company.name_key)))


def syncable_companies(user) -> list[Company]:
    """Admins may sync every company of the account, including ones added later; a ``user``
    only the companies ticked on their user page."""
    if user.is_admin:
        return list_companies(user.account_id)
    return list(user.companies)
