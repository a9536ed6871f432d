from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_company, make_user
from wisesync.audit.models import AuditEvent
from wisesync.auth.access import NO_ADMIN_RIGHTS
from wisesync.companies.models import Company
from wisesync.extensions import db

NEW = {"name": "Acme Holdings Ltd", "sales_tax_code": "OUTPUT2", "purchase_tax_code": "INPUT2"}


@pytest.fixture
def account():
    return make_account()


@pytest.fixture
def admin(account, login):
    user = make_admin(account)
    login(user)
    return user


def csrf_token_from(response) -> str:
    return response.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def companies(account):
    return list(db.session.scalars(select(Company).where(Company.account_id == account.id)))


@pytest.mark.parametrize("url", ["/companies", "/companies/"])
def test_company_list_answers_with_and_without_trailing_slash(client, admin, url):
    make_company(admin.account, "Northwind Ltd")
    response = client.get(url)
    assert response.status_code == 200
    assert "Northwind Ltd" in response.get_data(as_text=True)


def test_empty_company_list_invites_to_add_the_first(client, admin):
    page = client.get("/companies").get_data(as_text=True)
    assert "No companies yet" in page and 'href="/companies/new"' in page


def test_admin_creates_a_company_with_its_tax_codes(client, admin, account):
    response = client.post("/companies/new", data=NEW)
    assert response.status_code == 302
    [company] = companies(account)
    assert (company.name, company.sales_tax_code, company.purchase_tax_code) == (
        "Acme Holdings Ltd", "OUTPUT2", "INPUT2")
    assert company.name_key == "acme holdings ltd"


def test_post_to_the_company_list_creates_too(client, admin, account):
    assert client.post("/companies", data=NEW).status_code == 302
    assert [c.name for c in companies(account)] == ["Acme Holdings Ltd"]


def test_new_company_page_has_labelled_fields(client, admin):
    page = client.get("/companies/new").get_data(as_text=True)
    for name in ("name", "sales_tax_code", "purchase_tax_code"):
        assert f'name="{name}"' in page and f'for="{name}"' in page


def test_company_name_taken_in_another_case_is_a_field_error(client, admin, account):
    make_company(account, "Acme Holdings Ltd")
    response = client.post("/companies/new", data={**NEW, "name": "ACME holdings LTD"})
    assert response.status_code == 400
    assert "already has a company called" in response.get_data(as_text=True)
    assert len(companies(account)) == 1


def test_the_same_company_name_is_fine_in_another_account(client, admin, account):
    make_company(make_account("Other MSP"), "Acme Holdings Ltd")
    assert client.post("/companies/new", data=NEW).status_code == 302


@pytest.mark.parametrize("field,message", [
    ("name", "Enter the company's name."),
    ("sales_tax_code", "Enter the tax code used on sales invoices"),
    ("purchase_tax_code", "Enter the tax code used on purchases"),
])
def test_missing_company_field_is_400_with_message_and_saves_nothing(client, admin, account,
                                                                      field, message):
    response = client.post("/companies/new", data={**NEW, field: "  "})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert companies(account) == []


def test_too_long_company_name_is_400(client, admin, account):
    response = client.post("/companies/new", data={**NEW, "name": "x" * 121})
    assert response.status_code == 400
    assert companies(account) == []


def test_admin_edits_a_company(client, admin, account):
    company = make_company(account, "Old Name")
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert 'value="Old Name"' in page
    response = client.post(f"/companies/{company.id}", data={**NEW, "name": "New Name",
                                                             "sales_tax_code": "OUTPUT3"})
    assert response.status_code == 302
    db.session.refresh(company)
    assert (company.name, company.name_key, company.sales_tax_code) == ("New Name", "new name", "OUTPUT3")


def test_renaming_a_company_only_in_case_is_allowed(client, admin, account):
    company = make_company(account, "acme")
    assert client.post(f"/companies/{company.id}", data={**NEW, "name": "ACME"}).status_code == 302
    db.session.refresh(company)
    assert company.name == "ACME"


def test_renaming_to_another_companys_name_is_a_field_error(client, admin, account):
    make_company(account, "Taken Ltd")
    company = make_company(account, "Mine Ltd")
    response = client.post(f"/companies/{company.id}", data={**NEW, "name": "taken ltd"})
    assert response.status_code == 400
    assert "already has a company called" in response.get_data(as_text=True)
    db.session.refresh(company)
    assert company.name == "Mine Ltd"


def test_company_of_another_account_is_404(client, admin):
    other = make_company(make_account("Other MSP"), "Theirs")
    assert client.get(f"/companies/{other.id}").status_code == 404
    assert client.post(f"/companies/{other.id}", data=NEW).status_code == 404
    assert client.get("/companies/999999").status_code == 404


def test_company_list_shows_only_this_accounts_companies(client, admin, account):
    make_company(make_account("Other MSP"), "Theirs Ltd")
    make_company(account, "Ours Ltd")
    page = client.get("/companies").get_data(as_text=True)
    assert "Ours Ltd" in page and "Theirs Ltd" not in page


@pytest.mark.parametrize("method,url", [
    ("get", "/companies"), ("get", "/companies/new"), ("post", "/companies/new"),
    ("get", "/companies/{id}"), ("post", "/companies/{id}"), ("post", "/companies"),
])
def test_user_role_gets_403_with_who_to_ask_on_every_company_url(client, login, account, method, url):
    company = make_company(account)
    login(make_user(account))
    response = getattr(client, method)(url.format(id=company.id), data=NEW)
    assert response.status_code == 403
    assert "contact your account administrator" in response.get_data(as_text=True)
    assert "contact your account administrator" in NO_ADMIN_RIGHTS
    assert [c.name for c in companies(account)] == [company.name]


def test_anonymous_visitor_is_sent_to_login(client, account):
    make_admin(account)
    assert "/login" in client.get("/companies").headers["Location"]


def test_user_role_sees_no_admin_menu(client, login, account):
    login(make_user(account))
    page = client.get("/").get_data(as_text=True)
    assert 'href="/companies' not in page and 'href="/users' not in page


def test_creating_and_editing_companies_is_audited(client, admin, account):
    client.post("/companies/new", data=NEW)
    [company] = companies(account)
    client.post(f"/companies/{company.id}", data={**NEW, "purchase_tax_code": "INPUT3"})
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("company.%"))
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["company.created", "company.edited"]
    assert all(e.actor_id == admin.id and e.account_id == account.id for e in events)
    assert "INPUT3" in events[1].detail and events[1].ip == "127.0.0.1"


def test_saving_an_unchanged_company_records_nothing(client, admin, account):
    company = make_company(account, **{"name": NEW["name"]})
    response = client.post(f"/companies/{company.id}", data=NEW, follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.edited")) is None


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_creating_a_company_without_the_csrf_token_is_refused(client, account, app_config):
    user = make_admin(account)
    token = csrf_token_from(client.get("/login"))
    client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD,
                                "csrf_token": token})
    response = client.post("/companies/new", data=NEW)
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert companies(account) == []
    token = csrf_token_from(client.get("/companies/new"))
    assert client.post("/companies/new", data={**NEW, "csrf_token": token}).status_code == 302
