"""Small builders for test data. Each commits, so pages see what was built."""
from __future__ import annotations

import itertools

from wisesync.accounts.models import Account
from wisesync.companies.models import Company
from wisesync.extensions import db
from wisesync.passwords import hash_password
from wisesync.users.models import PaymentLink, User

DEFAULT_PASSWORD = "Correct-Horse-9"
_seq = itertools.count(1)
_HASHES: dict[str, str] = {}


def _hash(password: str) -> str:
    # scrypt is slow on purpose; tests build many users with the same password.
    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


def make_account(name: str = "Acme MSP", psa_type: str = "connectwise", **kw) -> Account:
    account = Account(name=name, psa_type=psa_type, **kw)
    db.session.add(account)
    db.session.commit()
    return account


def make_company(account: Account, name: str | None = None, **kw) -> Company:
    name = name or f"Company {next(_seq)}"
    company = Company(account_id=account.id, name=name, name_key=name.lower(),
                      sales_tax_code=kw.pop("sales_tax_code", "OUTPUT2"),
                      purchase_tax_code=kw.pop("purchase_tax_code", "INPUT2"), **kw)
    db.session.add(company)
    db.session.commit()
    return company


def make_user(account: Account, role: str = "user", email: str | None = None,
              password: str = DEFAULT_PASSWORD, companies=(), **kw) -> User:
    email = (email or f"person{next(_seq)}@example.com").lower()
    user = User(account_id=account.id, role=role, first_name=kw.pop("first_name", "Pat"),
                last_name=kw.pop("last_name", "Lee"), email=email,
                username=kw.pop("username", email), password_hash=_hash(password), **kw)
    user.companies = list(companies)
    db.session.add(user)
    db.session.commit()
    return user


def make_admin(account: Account, **kw) -> User:
    return make_user(account, role="account-admin", **kw)


def make_payment_link(user: User, kind: str = "paynow", name: str = "Invoice PayNow") -> PaymentLink:
    link = PaymentLink(account_id=user.account_id, user_id=user.id, kind=kind, name=name)
    db.session.add(link)
    db.session.commit()
    return link
