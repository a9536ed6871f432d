"""A company's accounting settings on its page: the four tax codes, PSA locations (pulled from
ConnectWise, one company per location, one company with none), document status, schedule and
rounding account — 400 with the message next to the field and nothing half-saved."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import make_account, make_admin, make_company
from tests.integrations.helpers import save_cw_settings
from wisesync.audit.models import AuditEvent
from wisesync.companies.models import Company, CompanyLocation
from wisesync.extensions import db
from wisesync.psadata import list_locations
from wisesync.psadata.models import PsaLocation

BASE = {"name": "Acme NZ Ltd", "sales_tax_code": "OUTPUT2", "purchase_tax_code": "INPUT2",
        "sales_exempt_tax_code": "EXEMPTOUTPUT", "purchase_exempt_tax_code": "EXEMPTINPUT",
        "document_status": "AUTHORISED", "sync_schedule": "hourly", "rounding_account": "861"}
LOCATIONS = {1: "Auckland", 2: "Sydney", 3: "Head Office"}


@pytest.fixture
def account():
    return make_account()


@pytest.fixture
def admin(account, login):
    user = make_admin(account)
    login(user)
    return user


@pytest.fixture
def pulled(account):
    """The simulator's three ConnectWise locations, as a pull stores them."""
    for psa_id, name in LOCATIONS.items():
        db.session.add(PsaLocation(account_id=account.id, psa_id=psa_id, name=name))
    db.session.commit()
    return LOCATIONS


def company_named(account, name):
    return db.session.scalar(select(Company).where(Company.account_id == account.id, Company.name == name))


def test_new_company_saves_every_accounting_setting(client, admin, account, pulled):
    response = client.post("/companies/new", data={**BASE, "psa_locations": ["1", "3"]})
    assert response.status_code == 302
    company = company_named(account, "Acme NZ Ltd")
    assert (company.sales_exempt_tax_code, company.purchase_exempt_tax_code) == ("EXEMPTOUTPUT", "EXEMPTINPUT")
    assert (company.document_status, company.sync_schedule, company.rounding_account) == ("AUTHORISED", "hourly", "861")
    assert company.location_ids == {1, 3}


def test_defaults_are_draft_manual_and_rounding_account_860(client, admin, account):
    client.post("/companies/new", data={"name": "Plain", "sales_tax_code": "OUTPUT2", "purchase_tax_code": "INPUT2"})
    company = company_named(account, "Plain")
    assert (company.document_status, company.sync_schedule, company.rounding_account) == ("DRAFT", "manual", "860")
    assert company.location_ids == set() and company.sales_exempt_tax_code == ""


def test_the_page_groups_its_fields_in_sections_with_labels(client, admin, account, pulled):
    page = client.get("/companies/new").get_data(as_text=True)
    for heading in ("Company", "Xero", "Tax codes", "PSA locations", "Sync"):
        assert f">{heading}</h2>" in page
    for name in ("name", "sales_tax_code", "purchase_tax_code", "sales_exempt_tax_code",
                 "purchase_exempt_tax_code", "rounding_account"):
        assert f'name="{name}"' in page and f'for="{name}"' in page
    assert page.count('name="psa_locations"') == 3 and "Auckland" in page and "Head Office" in page
    assert 'checked id="document_status-0" name="document_status" required type="radio" value="DRAFT"' in page
    assert 'name="sync_schedule"' in page and 'value="860"' in page


def test_locations_are_listed_by_name_from_the_pull(app, account, pulled):
    assert list_locations(account.id) == [(1, "Auckland"), (3, "Head Office"), (2, "Sydney")]
    assert list_locations(make_account("Other").id) == []


def test_a_location_of_another_company_is_refused_naming_it(client, admin, account, pulled):
    client.post("/companies/new", data={**BASE, "name": "Auckland Co", "psa_locations": ["1"]})
    response = client.post("/companies/new", data={**BASE, "name": "Second", "psa_locations": ["1", "2"]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Auckland already belongs to 'Auckland Co'" in page
    assert company_named(account, "Second") is None


def test_only_one_company_may_take_every_location(client, admin, account, pulled):
    assert client.post("/companies/new", data={**BASE, "name": "Catch All"}).status_code == 302
    response = client.post("/companies/new", data={**BASE, "name": "Also None"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "'Catch All' already has no locations ticked" in page
    assert "already has no locations" in page.split('id="field-psa_locations"')[1].split("</fieldset>")[1]
    assert company_named(account, "Also None") is None
    assert client.post("/companies/new", data={**BASE, "name": "Sydney Co", "psa_locations": ["2"]}).status_code == 302


def test_unticking_every_location_while_another_company_has_none_is_refused(client, admin, account, pulled):
    catch_all = make_company(account, "Catch All")
    company = make_company(account, "Sydney Co")
    db.session.add(CompanyLocation(account_id=account.id, company_id=company.id, psa_location_id=2))
    db.session.commit()
    response = client.post(f"/companies/{company.id}", data={**BASE, "name": "Sydney Co"})
    assert response.status_code == 400 and "'Catch All' already has no locations" in response.get_data(as_text=True)
    db.session.expire_all()
    assert company.location_ids == {2} and company.sales_exempt_tax_code == ""  # nothing half-saved
    assert catch_all.location_ids == set()


def test_a_location_id_that_was_not_pulled_is_refused(client, admin, account, pulled):
    response = client.post("/companies/new", data={**BASE, "psa_locations": ["99"]})
    assert response.status_code == 400
    assert "Choose locations from the list pulled from ConnectWise" in response.get_data(as_text=True)


def test_before_any_pull_companies_need_no_locations(client, admin, account):
    assert client.post("/companies/new", data={**BASE, "name": "One"}).status_code == 302
    assert client.post("/companies/new", data={**BASE, "name": "Two"}).status_code == 302
    page = client.get(f"/companies/{company_named(account, 'Two').id}").get_data(as_text=True)
    assert "No ConnectWise locations pulled yet" in page
    assert "all have no" in page  # the two catch-alls are pointed out


def test_a_saved_location_gone_from_connectwise_still_shows(client, admin, account, pulled):
    company = make_company(account, "Old")
    db.session.add(CompanyLocation(account_id=account.id, company_id=company.id, psa_location_id=7))
    db.session.commit()
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Location 7 (no longer in ConnectWise)" in page
    assert client.post(f"/companies/{company.id}", data={**BASE, "name": "Old", "psa_locations": ["7", "1"]}).status_code == 302
    db.session.expire_all()
    assert company.location_ids == {1, 7}


# Autotask accounts (organisational levels instead of locations): tests/companies/test_autotask_levels.py


@pytest.mark.parametrize("field,value,message", [
    ("document_status", "POSTED", "Not a valid choice"),
    ("sync_schedule", "weekly", "Not a valid choice"),
    ("rounding_account", "", "Enter the Xero account code rounding differences go to"),
    ("rounding_account", "86 0", "Use the account's code as Xero shows it"),
    ("sales_exempt_tax_code", "X" * 41, "Tax codes are at most 40 characters"),
])
def test_bad_settings_are_400_next_to_the_field_and_save_nothing(client, admin, account, field, value, message):
    company = make_company(account, "Keep Me")
    response = client.post(f"/companies/{company.id}", data={**BASE, "name": "Renamed", field: value})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert message in page.split(f'id="field-{field}"')[1].split('<div class="field')[0]
    db.session.expire_all()
    assert (company.name, company.document_status, company.sync_schedule) == ("Keep Me", "DRAFT", "manual")


def test_every_setting_change_is_audited(client, admin, account, pulled):
    company = make_company(account, "Acme NZ Ltd")
    client.post(f"/companies/{company.id}", data={**BASE, "psa_locations": ["2"]})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.edited"))
    for text in ("exempt sales tax code: '' → 'EXEMPTOUTPUT'", "document status: 'DRAFT' → 'AUTHORISED'",
                 "sync schedule: 'manual' → 'hourly'", "rounding account: '860' → '861'",
                 "PSA locations: none (every location no other company names) → Sydney (2)"):
        assert text in event.detail
    assert event.actor_id == admin.id


def test_a_connectwise_pull_stores_the_locations(client, app, account, admin, psa_sim):
    save_cw_settings(account, psa_sim)
    response = client.post("/integrations/sync")
    assert response.status_code == 302
    assert list_locations(account.id) == [(1, "Auckland"), (3, "Head Office"), (2, "Sydney")]
    page = client.get("/companies/new").get_data(as_text=True)
    assert page.count('name="psa_locations"') == 3
