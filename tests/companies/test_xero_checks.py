"""Once connected, the tax codes are chosen from the organisation's active tax rates, and Test
answers with the checklist: Connected only when Xero was reached, the grant works, and every
tax code and the rounding account exist in the organisation."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from tests.builders import make_account, make_admin, make_company
from tests.companies.xero_flow import AU_TENANT_ID, connect, xero_config
from wisesync.audit.models import AuditEvent
from wisesync.companies.xero_models import XeroConnection
from wisesync.extensions import db
from wisesync.simulator.faults import Fault

NZ_CODES = {"sales_tax_code": "OUTPUT2", "sales_exempt_tax_code": "EXEMPTOUTPUT",
            "purchase_tax_code": "INPUT2", "purchase_exempt_tax_code": "EXEMPTINPUT"}


@pytest.fixture
def app_config(psa_sim):
    return xero_config(psa_sim.url)


@pytest.fixture
def admin(login):
    user = make_admin(make_account())
    login(user)
    return user


def last_report() -> dict:
    db.session.expire_all()
    return db.session.scalar(select(XeroConnection)).last_test


def connected(client, admin, **codes):
    company = make_company(admin.account, "Acme NZ", **{**NZ_CODES, **codes})
    assert connect(client, company).status_code == 303
    return company


def form(company, **changes) -> dict:
    data = {"name": company.name, **NZ_CODES, "document_status": "DRAFT", "sync_schedule": "manual",
            "rounding_account": "860"}
    data.update(changes)
    return data


def test_once_connected_the_tax_codes_are_the_organisations_active_rates(client, admin, xero_sim):
    company = connected(client, admin)
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    sales = page.split('name="sales_tax_code"')[1].split("</select>")[0]
    assert "<option selected value=\"OUTPUT2\">15% GST on Income (15%) — OUTPUT2</option>" in sales
    assert "EXEMPTOUTPUT" in sales and "NONE" in sales
    assert page.count("<select") == 4 and "ARCHIVED" not in page
    conn = db.session.scalar(select(XeroConnection))
    archived = [r["TaxType"] for r in conn.tax_rates if r["Status"] != "ACTIVE"]
    assert archived and all(f'value="{code}"' not in page for code in archived)


def test_choosing_another_of_the_organisations_rates_saves_it(client, admin, xero_sim):
    company = connected(client, admin)
    response = client.post(f"/companies/{company.id}", data=form(company, sales_exempt_tax_code="NONE"))
    assert response.status_code == 302
    db.session.refresh(company)
    assert company.sales_exempt_tax_code == "NONE"


def test_a_code_the_organisation_lacks_is_refused_once_connected(client, admin, xero_sim):
    company = connected(client, admin)
    response = client.post(f"/companies/{company.id}", data=form(company, sales_tax_code="OUTPUT"))
    assert response.status_code == 400
    assert "Choose one of the organisation's active tax rates" in response.get_data(as_text=True)
    db.session.refresh(company)
    assert company.sales_tax_code == "OUTPUT2"


def test_a_saved_code_the_organisation_lacks_still_shows_marked_missing(client, admin, xero_sim):
    company = connected(client, admin, purchase_tax_code="GST15IN")
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    purchases = page.split('name="purchase_tax_code"')[1].split("</select>")[0]
    assert '<option selected value="GST15IN">GST15IN — missing: not an active tax rate of Wisesim NZ Ltd</option>' in purchases
    assert client.post(f"/companies/{company.id}", data=form(company, purchase_tax_code="GST15IN",
                                                             name="Renamed")).status_code == 302
    db.session.refresh(company)
    assert (company.name, company.purchase_tax_code) == ("Renamed", "GST15IN")


def test_test_with_everything_in_place_says_connected(client, admin, xero_sim):
    company = connected(client, admin)
    response = client.post(f"/companies/{company.id}/xero/test")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ">Connected</span>" in page and "Not connected" not in page
    for text in ("Reached Xero", "Authorised", "Organisation", "Wisesim NZ Ltd (NZ)",
                 "Taxable sales tax code OUTPUT2", "Exempt purchases tax code EXEMPTINPUT",
                 "Rounding account 860"):
        assert text in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.xero_tested"))
    assert "Connected" in event.detail


def test_a_missing_tax_code_fails_the_test_with_its_fix(client, admin, xero_sim):
    company = connected(client, admin, sales_tax_code="OUTPUT")  # the AU code, in the NZ organisation
    page = unescape(client.post(f"/companies/{company.id}/xero/test").get_data(as_text=True))
    assert "Not connected" in page
    check = page.split("Taxable sales tax code OUTPUT</strong>")[1].split("</li>")[0]
    assert "Wisesim NZ Ltd has no tax rate OUTPUT" in check
    assert "Fix: Choose one of Wisesim NZ Ltd's tax rates under Tax codes" in check
    report = last_report()
    assert [c["name"] for c in report["checks"] if not c["ok"]] == ["Taxable sales tax code OUTPUT"]


def test_an_archived_tax_rate_and_a_missing_rounding_account_fail_the_test(client, admin, xero_sim):
    company = connected(client, admin)
    conn = db.session.scalar(select(XeroConnection))
    archived = next(r["TaxType"] for r in conn.tax_rates if r["Status"] != "ACTIVE")
    company.purchase_exempt_tax_code, company.rounding_account = archived, "999"
    db.session.commit()
    page = client.post(f"/companies/{company.id}/xero/test").get_data(as_text=True)
    assert "Not connected" in page
    assert f"Exempt purchases tax code {archived}</strong>" in page and "is archived in Wisesim NZ Ltd" in page
    assert "chart of accounts has no account 999" in page and "Chart of accounts" in page


def test_test_reads_the_tax_rates_again(client, admin, xero_sim):
    company = connected(client, admin)
    db.session.execute(XeroConnection.__table__.update().values(tax_rates=[]))
    db.session.commit()
    client.post(f"/companies/{company.id}/xero/test")
    conn = db.session.scalar(select(XeroConnection))
    db.session.refresh(conn)
    assert {r["TaxType"] for r in conn.tax_rates} >= set(NZ_CODES.values())


def test_test_without_a_connection_says_not_connected_and_how_to_connect(client, admin, xero_sim):
    company = make_company(admin.account)
    page = client.post(f"/companies/{company.id}/xero/test").get_data(as_text=True)
    assert "Not connected" in page and "Click Connect Xero" in page


def test_test_when_xero_is_down_says_it_was_not_reached(client, admin, xero_sim):
    company = connected(client, admin)
    xero_sim.state.faults.add(Fault(kind="500", target="xero"))
    page = client.post(f"/companies/{company.id}/xero/test").get_data(as_text=True)
    assert "Not connected" in page
    checks = {c["name"]: c for c in last_report()["checks"]}
    assert not checks["Reached Xero"]["ok"] and "Xero" in checks["Reached Xero"]["detail"]
    assert checks["Taxable sales tax code OUTPUT2"]["detail"].startswith("Not checked")


def test_an_au_organisation_offers_its_own_codes(client, admin, xero_sim):
    company = make_company(admin.account, "Acme AU", sales_tax_code="OUTPUT", purchase_tax_code="INPUT")
    connect(client, company, tenant_ids=(AU_TENANT_ID,))
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "GST on Income (10%) — OUTPUT" in page and "EXEMPTEXPENSES" in page and "OUTPUT2" not in page
