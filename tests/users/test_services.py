from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import event, func, select

from tests.builders import make_account, make_admin, make_company, make_user
from wisesync.extensions import db
from wisesync.service_errors import FieldError
from wisesync.users import listing, sections, services
from wisesync.users.models import User

PROFILE = {"role": "user", "company_ids": [], "first_name": "Sam", "last_name": "Sync",
           "email": "sam@example.com", "username": "", "password": "Long-enough-1"}


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize("taken,field", [({"email": "sam@example.com", "username": "y@example.com"},
                                          "email"),
                                         ({"email": "x@example.com", "username": "sam@example.com"},
                                          "username")])
def test_create_race_caught_by_the_unique_index_is_a_field_error(app, monkeypatch, taken, field):
    account = make_account()
    make_user(account, **taken)
    before = count_users()
    monkeypatch.setattr(services, "_check_unique", lambda *a, **k: None)
    with pytest.raises(FieldError) as caught:
        services.create_user(account.id, **PROFILE)
    assert caught.value.field == field
    assert count_users() == before


def test_edit_race_caught_by_the_unique_index_leaves_the_user_unchanged(app, monkeypatch):
    account = make_account()
    make_user(account, email="taken@example.com", username="other@example.com")
    user = make_user(account, first_name="Before")
    monkeypatch.setattr(services, "_check_unique", lambda *a, **k: None)
    with pytest.raises(FieldError) as caught:
        services.update_user(user, actor=None, role="user", company_ids=[], first_name="After",
                             last_name="X", email="taken@example.com", username="")
    assert caught.value.field == "email"
    db.session.refresh(user)
    assert user.first_name == "Before"


def test_create_race_through_the_page_is_a_400_field_error(app, client, login, monkeypatch):
    account = make_account()
    login(make_admin(account))
    make_user(account, email="sam@example.com", username="y@example.com")
    monkeypatch.setattr(services, "_check_unique", lambda *a, **k: None)
    response = client.post("/users/new", data={**PROFILE, "password_confirm": "Long-enough-1"})
    assert response.status_code == 400
    assert "That email address is already used" in response.get_data(as_text=True)


def test_another_accounts_company_is_refused_by_the_service_too(app):
    account = make_account()
    theirs = make_company(make_account("Other"))
    with pytest.raises(FieldError) as caught:
        services.create_user(account.id, **{**PROFILE, "company_ids": [theirs.id]})
    assert caught.value.field == "companies"
    assert count_users() == 0


def test_users_only_sync_ticked_companies_and_admins_sync_all(app):
    from wisesync.companies.services import syncable_companies

    account = make_account()
    acme, globex = make_company(account, "Acme"), make_company(account, "Globex")
    user = services.create_user(account.id, **{**PROFILE, "company_ids": [acme.id]})
    admin = make_admin(account)
    assert [c.name for c in syncable_companies(user)] == ["Acme"]
    assert [c.name for c in syncable_companies(admin)] == ["Acme", "Globex"]
    assert globex not in user.companies


def test_update_reports_nothing_when_nothing_changed(app):
    account = make_account()
    user = make_user(account)
    data = services.form_data(user)
    data["company_ids"] = data.pop("companies")
    assert services.update_user(user, actor=None, **data) == []


def test_user_list_query_count_does_not_grow_with_users(app):
    account = make_account()
    companies = [make_company(account) for _ in range(3)]

    def queries_for_list() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            listing.list_users(account.id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    make_user(account, companies=companies)
    db.session.expire_all()
    few = queries_for_list()
    for _ in range(30):
        make_user(account, companies=companies[:2])
    db.session.expire_all()
    assert queries_for_list() == few


def test_user_list_rows_carry_their_company_names_and_the_total(app):
    account = make_account()
    acme, beta = make_company(account, "Acme"), make_company(account, "Beta")
    make_user(account, first_name="Una", companies=[beta, acme])
    make_admin(account, first_name="Ada")
    page = listing.list_users(account.id, per_page=1)
    assert (page.total, page.pages, page.has_next) == (2, 2, True)
    assert [(u.first_name, u.companies) for u in listing.list_users(account.id).items] == [
        ("Ada", ()), ("Una", ("Acme", "Beta"))]


def test_a_page_past_the_end_shows_the_last_page(app):
    account = make_account()
    for _ in range(3):
        make_user(account)
    page = listing.list_users(account.id, page=9, per_page=2)
    assert (page.page, len(page.items), page.total) == (2, 1, 3)


def test_disabled_users_are_listed_after_enabled_ones(app):
    account = make_account()
    make_user(account, last_name="Aardvark", enabled=False)
    make_user(account, last_name="Zebra")
    assert [u.last_name for u in listing.list_users(account.id).items] == ["Zebra", "Aardvark"]


def test_search_treats_percent_and_underscore_literally(app):
    account = make_account()
    make_user(account, first_name="Al_ice")
    make_user(account, first_name="Alxice")
    assert [u.first_name for u in listing.list_users(account.id, q="l_i").items] == ["Al_ice"]


def test_edit_page_renders_sections_other_features_register(app, client, login, monkeypatch):
    account = make_account()
    login(make_admin(account))
    user = make_user(account, first_name="Una")
    app.jinja_env.loader = ChoiceLoader([
        DictLoader({"test/section.html": "<section id='extra'>{{ section.note }} for {{ user.first_name }}</section>"}),
        app.jinja_env.loader])
    monkeypatch.setattr(sections, "_sections", {})
    sections.register_section("test/section.html", lambda u, viewer: {"note": "PSA credentials"})
    sections.register_section("test/hidden.html", lambda u, viewer: None)
    text = client.get(f"/users/{user.id}").get_data(as_text=True)
    assert "<section id='extra'>PSA credentials for Una</section>" in text
    assert text.index("Save user") < text.index("id='extra'")
