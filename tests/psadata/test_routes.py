"""/psa pages: any signed-in user of the account, search, pagination, states, isolation."""
from __future__ import annotations

import pytest

from tests.builders import make_account, make_user
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psadata.models import PsaAgreement, PsaCustomer, PsaProduct


@pytest.fixture
def account(app):
    return make_account()


def add_customers(account, count: int, **kw):
    db.session.add_all([PsaCustomer(account_id=account.id, psa_id=i, name=f"Customer {i:03d}",
                                    identifier=f"CUST{i}", **kw) for i in range(1, count + 1)])
    db.session.commit()


def test_pages_need_a_login(client, account):
    for url in ("/psa/customers", "/psa/agreements", "/psa/products"):
        assert client.get(url).status_code == 302


def test_a_user_role_can_see_pulled_data(client, login, account):
    add_customers(account, 3)
    login(make_user(account, role="user"))
    page = client.get("/psa/customers").get_data(as_text=True)
    assert "Customer 001" in page and "3 customers" in page


def test_search_matches_name_or_identifier_case_insensitively(client, login, account):
    add_customers(account, 30)
    login(make_user(account))
    page = client.get("/psa/customers?q=customer 02").get_data(as_text=True)
    assert "Customer 020" in page and "Customer 001" not in page and "10 customers" in page
    page = client.get("/psa/customers?q=cust7").get_data(as_text=True)
    assert "Customer 007" in page and "1 customers" in page
    assert "Nothing matches" in client.get("/psa/customers?q=100%25").get_data(as_text=True)


def test_pagination_keeps_the_search(client, login, account):
    add_customers(account, 120)
    login(make_user(account))
    first = client.get("/psa/customers").get_data(as_text=True)
    assert "50 of 120 customers" in first and "Customer 001" in first and "Customer 051" not in first
    assert "rel=\"prev\"" not in first
    last = client.get("/psa/customers?last=1").get_data(as_text=True)
    assert "Customer 120" in last and "Customer 071" in last and "Customer 070" not in last
    assert "rel=\"next\"" not in last
    searched = client.get("/psa/customers?q=Customer").get_data(as_text=True)
    assert 'href="/psa/customers?q=Customer&amp;after=0.50.Customer+050"' in searched


def test_other_accounts_records_are_never_listed(client, login, account):
    other = make_account(name="Other MSP")
    add_customers(other, 5)
    login(make_user(account))
    assert "Customer 001" not in client.get("/psa/customers").get_data(as_text=True)
    assert "Customer 001" not in client.get("/psa/customers?q=Customer").get_data(as_text=True)


def test_inactive_and_removed_records_are_shown_and_marked(client, login, account):
    db.session.add_all([
        PsaProduct(account_id=account.id, kind="catalog", psa_id=1, name="Old Firewall", active=False),
        PsaProduct(account_id=account.id, kind="catalog", psa_id=2, name="Gone Laptop", active=False, removed_at=utcnow()),
        PsaProduct(account_id=account.id, kind="catalog", psa_id=3, name="Backup 1TB", price=60),
        PsaAgreement(account_id=account.id, psa_id=9, name="Managed Services - Acme", customer_name="Acme"),
    ])
    db.session.commit()
    login(make_user(account))
    page = client.get("/psa/products").get_data(as_text=True)
    assert "inactive" in page and "removed from PSA" in page and "60.00" in page
    assert page.index("Backup 1TB") < page.index("Old Firewall")  # active first
    agreements = client.get("/psa/agreements?q=acme").get_data(as_text=True)
    assert "Managed Services - Acme" in agreements
