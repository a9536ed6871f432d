"""Deleting a company (issue 13 #11): allowed while nothing refers to it, else the page says
what does; POST with CSRF, account admins only, audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_company, make_user
from wisesync.audit.models import AuditEvent
from wisesync.companies.models import Company, CompanyLocation
from wisesync.companies.xero_models import XeroConnection
from wisesync.extensions import db
from wisesync.transactions.models import LedgerEntry, TransactionRun


@pytest.fixture
def account():
    return make_account()


@pytest.fixture
def admin(account, login):
    user = make_admin(account, first_name="Ada", last_name="Admin")
    login(user)
    return user


def exists(company_id: int) -> bool:
    return db.session.get(Company, company_id) is not None


def test_an_unused_company_is_deleted_with_its_locations_and_audited(client, admin, account):
    company = make_company(account, "Spare Ltd")
    db.session.add(CompanyLocation(account_id=account.id, company_id=company.id, psa_location_id=7))
    db.session.commit()
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Delete company" in page and "Nothing refers to this company yet" in page
    company_id = company.id
    response = client.post(f"/companies/{company_id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/companies/")
    assert not exists(company_id)
    assert db.session.scalar(select(CompanyLocation)) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.deleted"))
    assert event.actor_id == admin.id and "'Spare Ltd'" in event.detail
    assert "Company 'Spare Ltd' deleted." in client.get("/companies/").get_data(as_text=True)


def test_a_company_ticked_for_users_is_kept_and_the_page_names_them(client, admin, account):
    company = make_company(account, "Busy Ltd")
    make_user(account, first_name="Sam", last_name="Sync", companies=[company])
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Busy Ltd cannot be deleted while something refers to it" in page
    assert "It is ticked for 1 user (Sam Sync); untick it on their user pages." in page
    assert "Delete company</button>" not in page
    response = client.post(f"/companies/{company.id}/delete")
    assert response.status_code == 409
    assert "Busy Ltd cannot be deleted: it is ticked for 1 user (Sam Sync)" in response.get_data(as_text=True)
    assert exists(company.id)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.deleted")) is None


def test_sync_runs_ledger_rows_and_a_xero_connection_each_keep_it(client, admin, account):
    company = make_company(account, "Synced Ltd")
    db.session.add(TransactionRun(account_id=account.id, company_id=company.id, psa="connectwise", status="succeeded"))
    db.session.add_all([LedgerEntry(account_id=account.id, company_id=company.id, psa="connectwise", kind="invoice",
                                    psa_id=str(n), state="posted") for n in (1, 2)])
    db.session.add(XeroConnection(account_id=account.id, company_id=company.id, tenant_id="t-1",
                                  tenant_name="Synced Org"))
    db.session.commit()
    response = client.post(f"/companies/{company.id}/delete")
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "1 sync run in its sync history" in text and "2 synced records in its sync history" in text
    assert "connected to Xero (Synced Org); disconnect Xero on this page first" in text
    assert exists(company.id)


def test_only_admins_of_the_account_may_delete(app, client, login, account):
    company = make_company(account)
    login(make_user(account))
    assert client.post(f"/companies/{company.id}/delete").status_code == 403
    other = app.test_client()
    stranger = make_admin(make_account("Other MSP"))
    assert other.post("/login", data={"username": stranger.username, "password": DEFAULT_PASSWORD}).status_code == 302
    assert other.post(f"/companies/{company.id}/delete").status_code == 404
    assert exists(company.id)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_delete_without_the_csrf_token_is_refused(client, account, app_config):
    admin = make_admin(account)
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": admin.username, "password": DEFAULT_PASSWORD, "csrf_token": token})
    company = make_company(account)
    assert client.post(f"/companies/{company.id}/delete").status_code == 400
    assert exists(company.id)
