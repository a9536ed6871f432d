"""Connecting a company to Xero through the pages and the simulated Xero: the bound
organisation, a grant with several, state checks, an organisation bound twice, cancel."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.builders import make_account, make_admin, make_company
from tests.companies.xero_flow import (AU_TENANT_ID, NZ_TENANT_ID, back_in_portal, connect, consent, start,
                                       xero_config)
from wisesync.audit.models import AuditEvent
from wisesync.companies.xero_models import XeroConnection
from wisesync.extensions import db


@pytest.fixture
def app_config(psa_sim):
    return xero_config(psa_sim.url)


@pytest.fixture
def account():
    return make_account()


@pytest.fixture
def admin(account, login):
    user = make_admin(account)
    login(user)
    return user


def connection(company) -> XeroConnection | None:
    return db.session.scalar(select(XeroConnection).where(XeroConnection.company_id == company.id))


def test_connect_sends_to_xero_with_state_and_pkce_and_the_exact_redirect_uri(client, admin, account, xero_sim):
    company = make_company(account)
    location = start(client, company)
    parts = urlsplit(location)
    assert location.startswith(xero_sim.url + "/xero/identity/connect/authorize?")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == "simxero" and query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://localhost/xero/callback"
    assert len(query["state"]) >= 32 and "offline_access" in query["scope"].split()


def test_the_redirect_uri_comes_from_the_public_url_when_set(client, app, admin, account, xero_sim):
    app.config["WISESYNC_PUBLIC_URL"] = "https://sync.example.com"  # read when the link is built
    location = start(client, make_company(account))
    assert parse_qs(urlsplit(location).query)["redirect_uri"] == ["https://sync.example.com/xero/callback"]


def test_connecting_binds_the_organisation_ticked_in_xero(client, admin, account, xero_sim):
    company = make_company(account, "Acme NZ")
    response = connect(client, company)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/companies/{company.id}")
    conn = connection(company)
    assert (conn.tenant_id, conn.tenant_name, conn.status) == (NZ_TENANT_ID, "Wisesim NZ Ltd", "ok")
    assert conn.connected_by_id == admin.id and conn.expires_at is not None
    assert conn.access_token_enc.startswith("gAAAAA") and conn.refresh_token_enc.startswith("gAAAAA")
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Wisesim NZ Ltd" in page and "now linked to the Xero organisation" in page
    events = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events[-2:] == ["company.xero_connect_started", "company.xero_connected"]


def test_a_grant_with_two_organisations_asks_which_one(client, admin, account, xero_sim):
    company = make_company(account)
    response = connect(client, company, tenant_ids=(NZ_TENANT_ID, AU_TENANT_ID))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/companies/{company.id}/xero/tenant")
    page = client.get(f"/companies/{company.id}/xero/tenant").get_data(as_text=True)
    assert 'name="tenant_id"' in page and "Wisesim NZ Ltd" in page and "Wisesim AU Pty" in page
    assert client.post(f"/companies/{company.id}/xero/tenant", data={"tenant_id": "nope"}).status_code == 400
    assert connection(company).tenant_id is None
    response = client.post(f"/companies/{company.id}/xero/tenant", data={"tenant_id": AU_TENANT_ID})
    assert response.status_code == 303
    conn = connection(company)
    assert (conn.tenant_id, conn.tenant_name, conn.status) == (AU_TENANT_ID, "Wisesim AU Pty", "ok")


def test_the_second_company_gets_the_organisation_the_first_does_not_have(client, admin, account, xero_sim):
    first, second = make_company(account, "First"), make_company(account, "Second")
    connect(client, first, tenant_ids=(NZ_TENANT_ID,))
    response = connect(client, second, tenant_ids=(NZ_TENANT_ID, AU_TENANT_ID))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/companies/{second.id}")
    assert connection(second).tenant_id == AU_TENANT_ID


def test_an_organisation_bound_to_another_company_is_refused_naming_it(client, admin, account, xero_sim):
    first, second = make_company(account, "Acme NZ"), make_company(account, "Acme Two")
    connect(client, first)
    response = connect(client, second)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already linked to 'Acme NZ'" in page and "Wisesim NZ Ltd" in page
    assert connection(second) is None


def test_the_same_organisation_is_fine_for_a_company_of_another_account(client, admin, account, login, xero_sim):
    other = make_account("Other MSP")
    connect(client, make_company(account))
    login(make_admin(other))
    theirs = make_company(other, "Theirs")
    assert connect(client, theirs).status_code == 303
    assert connection(theirs).tenant_id == NZ_TENANT_ID


def test_a_callback_with_another_state_is_refused_and_saves_nothing(client, admin, account, xero_sim):
    company = make_company(account)
    location = consent(start(client, company))
    forged = location.replace("state=", "state=x")
    response = back_in_portal(client, forged)
    assert response.status_code == 400
    assert "state does not match" in response.get_data(as_text=True)
    assert connection(company) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.xero_connect_failed"))
    assert "state does not match" in event.detail and event.actor_id == admin.id


def test_a_callback_without_state_or_without_a_started_connect_is_refused(client, admin, account, xero_sim):
    company = make_company(account)
    assert client.get("/xero/callback?code=abc").status_code == 400
    location = consent(start(client, company))
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    response = client.get(f"/xero/callback?code={query['code']}")
    assert response.status_code == 400
    assert connection(company) is None


def test_a_replayed_callback_is_refused(client, admin, account, xero_sim):
    company = make_company(account)
    location = consent(start(client, company))
    assert back_in_portal(client, location).status_code == 303
    bound = connection(company).refresh_token_enc
    again = back_in_portal(client, location)
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    assert connection(company).refresh_token_enc == bound


def test_cancelling_in_xero_says_so_and_saves_nothing(client, admin, account, xero_sim):
    company = make_company(account)
    location = consent(start(client, company), action="cancel")
    assert "error=access_denied" in location
    response = back_in_portal(client, location)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cancelled in Xero" in page
    assert connection(company) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.xero_connect_failed"))
    assert "access_denied" in event.detail


def test_a_callback_started_by_another_admin_is_refused(client, app, admin, account, login, xero_sim):
    company = make_company(account)
    location = consent(start(client, company))
    login(make_admin(account))  # same browser, someone else logs in
    response = back_in_portal(client, location)
    assert response.status_code == 400
    assert connection(company) is None


def test_without_a_xero_app_the_page_explains_how_to_register_one(client, app, admin, account):
    app.config["WISESYNC_XERO_CLIENT_ID"] = ""
    company = make_company(account)
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "developer.xero.com" in page and "http://localhost/xero/callback" in page
    assert 'form="xero-connect"' not in page
    response = client.post(f"/companies/{company.id}/xero/connect")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/companies/{company.id}")


def test_the_company_page_lets_its_form_go_to_xeros_sign_in(client, admin, account, xero_sim):
    company = make_company(account)
    response = client.get(f"/companies/{company.id}")
    policy = response.headers["Content-Security-Policy"]
    assert f"form-action 'self' {xero_sim.url}" in policy
    assert "form-action 'self';" in client.get("/companies").headers["Content-Security-Policy"]


def test_the_company_list_shows_each_companys_organisation(client, admin, account, xero_sim):
    linked, plain = make_company(account, "Linked Ltd"), make_company(account, "Plain Ltd")
    connect(client, linked)
    page = client.get("/companies").get_data(as_text=True)
    assert "Wisesim NZ Ltd" in page.split("Linked Ltd")[1].split("</tr>")[0]
    assert "not linked" in page.split("Plain Ltd")[1].split("</tr>")[0]


def test_document_links_open_the_simulators_page_or_go_xero_com(client, app, admin, account, xero_sim):
    from wisesync.companies.xero import document_url

    company = make_company(account)
    connect(client, company)
    url = document_url(company, "invoice", "abc-123")
    assert url == f"{xero_sim.url}/_sim/xero/{NZ_TENANT_ID}/documents/abc-123"
    app.config["WISESYNC_XERO_API_URL"] = "https://api.xero.com"
    conn = connection(company)
    assert conn.short_code  # read from the organisation when connecting
    assert document_url(company, "procurement", "b-1") == (
        f"https://go.xero.com/organisationlogin/default.aspx?shortcode={conn.short_code}"
        "&redirecturl=%2FAccountsPayable%2FView.aspx%3FInvoiceID%3Db-1")
    conn.short_code = ""
    db.session.commit()
    assert document_url(company, "credit", "c-1") == \
        "https://go.xero.com/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=c-1"
    with pytest.raises(ValueError):
        document_url(company, "payslip", "x")
