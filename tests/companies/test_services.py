from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.builders import make_account, make_admin, make_company, make_user
from wisesync.companies import services
from wisesync.companies.models import Company
from wisesync.extensions import db
from wisesync.service_errors import FieldError

CODES = {"sales_tax_code": "OUTPUT2", "purchase_tax_code": "INPUT2"}


def count_companies() -> int:
    return db.session.scalar(select(func.count(Company.id)))


def test_create_company_trims_and_keys_the_name(app):
    account = make_account()
    company = services.create_company(account.id, name="  Acme Ltd ", **CODES)
    assert (company.name, company.name_key) == ("Acme Ltd", "acme ltd")


def test_duplicate_name_race_caught_by_the_unique_index_is_a_field_error(app, monkeypatch):
    account = make_account()
    make_company(account, "Acme Ltd")
    monkeypatch.setattr(services, "_check_name_free", lambda *a, **k: None)
    with pytest.raises(FieldError) as caught:
        services.create_company(account.id, name="ACME LTD", **CODES)
    assert caught.value.field == "name"
    assert count_companies() == 1


def test_rename_race_caught_by_the_unique_index_leaves_the_company_unchanged(app, monkeypatch):
    account = make_account()
    make_company(account, "Taken")
    company = make_company(account, "Mine")
    monkeypatch.setattr(services, "_check_name_free", lambda *a, **k: None)
    with pytest.raises(FieldError):
        services.update_company(company, name="taken", **CODES)
    db.session.refresh(company)
    assert company.name == "Mine"


def test_admins_may_sync_every_company_including_ones_added_later(app):
    account = make_account()
    admin = make_admin(account)
    make_company(account, "First")
    services.create_company(account.id, name="Later", **CODES)
    assert [c.name for c in services.syncable_companies(admin)] == ["First", "Later"]


def test_a_new_company_is_not_granted_to_existing_users(app):
    account = make_account()
    first = make_company(account, "First")
    user = make_user(account, companies=[first])
    services.create_company(account.id, name="Later", **CODES)
    db.session.expire_all()
    assert [c.name for c in services.syncable_companies(user)] == ["First"]


def test_granted_user_counts_only_count_enabled_user_role_users_of_the_account(app):
    account = make_account()
    company = make_company(account)
    make_user(account, companies=[company])
    make_user(account, companies=[company], enabled=False)
    make_admin(account, companies=[company])
    assert services.granted_user_counts(account.id) == {company.id: 1}
    assert services.granted_user_counts(make_account("Other").id) == {}


def test_update_company_reports_what_changed(app):
    company = make_company(make_account(), "Acme", **CODES)
    assert services.update_company(company, name="Acme", **CODES) == []
    changes = services.update_company(company, name="Acme", sales_tax_code="OUTPUT3",
                                      purchase_tax_code="INPUT2")
    assert changes == ["taxable sales tax code: 'OUTPUT2' → 'OUTPUT3'"]
