"""Autotask accounts route invoices by organisational level (issue 14): the pull stores the
level association ids the contracts carry (the API subset has no entity with their names), the
company page offers them in Autotask's words in the ``psa_locations`` field, and what is ticked
there routes the review — the ConnectWise location rules (one company per level, at most one
company with none)."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.builders import make_account, make_admin, make_company
from tests.companies.test_settings import BASE, company_named
from tests.companies.xero_flow import connect
from tests.integrations.helpers import save_at_settings
from tests.transactions.autotask_world import at_world, routable  # noqa: F401
from tests.transactions.sync_world import AU_CODES, NZ_CODES, app_config, books_sim, sync_sim  # noqa: F401
from tests.transactions.test_autotask_review import expected_keys
from tests.transactions.test_review import rows
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.psadata import list_locations
from wisesync.psadata.models import PsaLocation
from wisesync.simulator import at_data
from wisesync.simulator.xero_data import AU_TENANT_ID

LEVELS = [(1, "Organisational level 1"), (2, "Organisational level 2")]


def pulled_levels(account) -> None:
    for psa_id, name in LEVELS:
        db.session.add(PsaLocation(account_id=account.id, psa_id=psa_id, name=name))
    db.session.commit()


def field_html(page: str) -> str:
    return page.split('id="field-psa_locations"')[1].split("</section>")[0]  # ticks and messages


def at_admin(client, login):
    account = make_account("AT MSP", psa_type="autotask")
    login(make_admin(account))
    return account


def test_an_autotask_pull_stores_the_levels_its_contracts_carry(client, login, sync_sim):
    account = at_admin(client, login)
    save_at_settings(account)
    response = client.post("/integrations/sync")
    run = client.get(response.headers["Location"], headers={"Accept": "application/json"}).get_json()
    assert run["status"] == "succeeded", run
    assert run["counts"]["organisational levels"] == len(at_data.ORG_LEVELS)
    assert run["totals"]["organisational levels"] == len(at_data.ORG_LEVELS)  # not "2 of 0"
    assert list_locations(account.id) == LEVELS
    page = client.get("/companies/new").get_data(as_text=True)
    assert "Autotask organisational levels" in page and "ConnectWise" not in page
    assert page.count('name="psa_locations"') == 2 and "Organisational level 2" in page


def test_levels_on_invoices_waiting_to_sync_are_offered_and_a_pull_without_invoice_rights_still_runs(
        client, login, sync_sim, monkeypatch):
    from wisesync.psa import autotask_billing
    from wisesync.simulator.faults import Fault

    account = at_admin(client, login)
    save_at_settings(account)
    real = autotask_billing.AutotaskBilling.billing_items

    def on_another_level(self, invoice_ids):  # a billing item billed by a level no contract has
        items = real(self, invoice_ids)
        next(iter(items.values()))[0]["organizationalLevelAssociationID"] = 9
        return items

    monkeypatch.setattr(autotask_billing.AutotaskBilling, "billing_items", on_another_level)
    response = client.post("/integrations/sync")
    assert client.get(response.headers["Location"], headers={"Accept": "application/json"}).get_json()["status"] == "succeeded"
    assert list_locations(account.id) == [*LEVELS, (9, "Organisational level 9")]
    sync_sim.state.faults.add(Fault(kind="deny", target="at", right="Invoices"))
    response = client.post("/integrations/sync", data={"full": "1"})
    run = client.get(response.headers["Location"], headers={"Accept": "application/json"}).get_json()
    assert run["status"] == "succeeded", run  # the pull needs no invoice rights
    assert run["counts"]["organisational levels"] == 2
    assert list_locations(account.id) == LEVELS  # level 9 was only on invoices: not seen by a full pull


def test_before_a_pull_the_page_says_no_levels_and_companies_need_none(client, login):
    account = at_admin(client, login)
    assert client.post("/companies/new", data={**BASE, "name": "A"}).status_code == 302
    assert client.post("/companies/new", data={**BASE, "name": "B"}).status_code == 302
    page = client.get(f"/companies/{company_named(account, 'B').id}").get_data(as_text=True)
    assert "No Autotask organisational levels pulled yet" in page and 'name="psa_locations"' not in page
    assert "all have no\n        organisational levels ticked" in page


def test_ticked_levels_route_the_invoices_on_the_review(client, at_world):
    pulled_levels(at_world.account)
    nz = at_world.nz
    form = {**BASE, **NZ_CODES, "name": nz.name, "document_status": "DRAFT", "sync_schedule": "manual",
            "rounding_account": "860", "psa_locations": ["1"]}
    assert client.post(f"/companies/{nz.id}", data=form).status_code == 302
    au_form = {**BASE, **AU_CODES, "name": "Tasked AU Pty", "psa_locations": ["2"]}
    assert client.post("/companies/new", data=au_form).status_code == 302
    au = company_named(at_world.account, "Tasked AU Pty")
    assert connect(client, au, tenant_ids=(AU_TENANT_ID,)).status_code == 303
    assert rows(client.get(f"/sync/{nz.id}").get_data(as_text=True)).keys() == expected_keys(routable(1))
    au_page = client.get(f"/sync/{au.id}").get_data(as_text=True)
    assert rows(au_page).keys() == expected_keys(routable(2)) and "organisational levels id 2" in au_page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.edited"))
    assert ("PSA organisational levels: none (every organisational level no other company names) → "
            "Organisational level 1 (1)") in event.detail
    page = client.get(f"/companies/{nz.id}").get_data(as_text=True)
    ticked = re.findall(r'<input checked[^>]*value="(\d+)"', field_html(page))
    assert ticked == ["1"]


def test_a_level_id_that_was_not_pulled_is_a_400_beside_the_field(client, login):
    account = at_admin(client, login)
    pulled_levels(account)
    for bad in ("99", "x"):
        response = client.post("/companies/new", data={**BASE, "psa_locations": [bad]})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        if bad == "99":
            assert "Choose organisational levels from the list pulled from Autotask." in field_html(page)
        else:
            assert "psa_locations" in page and "error" in field_html(page).lower()
    assert company_named(account, BASE["name"]) is None


def test_a_level_goes_to_one_company_and_only_one_company_takes_the_rest(client, login):
    account = at_admin(client, login)
    pulled_levels(account)
    assert client.post("/companies/new", data={**BASE, "name": "One", "psa_locations": ["1"]}).status_code == 302
    response = client.post("/companies/new", data={**BASE, "name": "Two", "psa_locations": ["1", "2"]})
    assert response.status_code == 400
    assert ("Organisational level 1 already belongs to 'One': each organisational level goes to one company"
            in field_html(response.get_data(as_text=True)))
    assert client.post("/companies/new", data={**BASE, "name": "Rest"}).status_code == 302
    response = client.post("/companies/new", data={**BASE, "name": "Also rest"})
    assert response.status_code == 400
    assert "'Rest' already has no organisational levels ticked" in response.get_data(as_text=True)
    assert company_named(account, "Two") is None and company_named(account, "Also rest") is None


def test_a_saved_level_the_pull_no_longer_sees_still_shows(client, login):
    from wisesync.companies.models import CompanyLocation

    account = at_admin(client, login)
    pulled_levels(account)
    company = make_company(account, "Old")
    db.session.add(CompanyLocation(account_id=account.id, company_id=company.id, psa_location_id=7))
    db.session.commit()
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Organisational level 7 (no longer in Autotask)" in page
