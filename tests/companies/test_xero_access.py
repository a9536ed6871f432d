"""Only account admins reach the Xero routes, and only for their own account's companies."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.builders import make_account, make_admin, make_company, make_user
from tests.companies.xero_flow import xero_config
from wisesync.audit.models import AuditEvent
from wisesync.companies.xero_models import XeroConnection
from wisesync.extensions import db

ROUTES = [("post", "/companies/{id}/xero/connect"), ("get", "/companies/{id}/xero/tenant"),
          ("post", "/companies/{id}/xero/tenant"), ("post", "/companies/{id}/xero/test"),
          ("post", "/companies/{id}/xero/disconnect"), ("get", "/xero/callback?code=c&state=s")]


@pytest.fixture
def app_config(psa_sim):
    return xero_config(psa_sim.url)


@pytest.mark.parametrize("method,url", ROUTES)
def test_a_user_gets_403_on_every_xero_route(client, login, method, url):
    account = make_account()
    company = make_company(account)
    login(make_user(account, companies=[company]))
    response = getattr(client, method)(url.format(id=company.id), data={"tenant_id": "x"})
    assert response.status_code == 403
    assert "contact your account administrator" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(XeroConnection)) == 0


@pytest.mark.parametrize("method,url", [r for r in ROUTES if "{id}" in r[1]])
def test_another_accounts_company_is_404_on_every_xero_route(client, login, method, url):
    theirs = make_company(make_account("Other MSP"))
    login(make_admin(make_account()))
    assert getattr(client, method)(url.format(id=theirs.id), data={"tenant_id": "x"}).status_code == 404
    assert getattr(client, method)(url.format(id=999999)).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.like("company.xero%"))) == 0


@pytest.mark.parametrize("method,url", ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(client, method, url):
    company = make_company(make_account())
    response = getattr(client, method)(url.format(id=company.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_tenant_page_without_a_pending_choice_goes_back_to_the_company(client, login):
    account = make_account()
    company = make_company(account)
    login(make_admin(account))
    response = client.get(f"/companies/{company.id}/xero/tenant")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/companies/{company.id}")
