from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.builders import make_account, make_admin, make_company, make_user
from tests.users.helpers import NEW_USER, edit_data, page
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.passwords import verify_password
from wisesync.users.listing import PER_PAGE
from wisesync.users.models import User


@pytest.fixture
def account():
    return make_account()


@pytest.fixture
def admin(account, login):
    user = make_admin(account, first_name="Ada", last_name="Admin")
    login(user)
    return user


def user_by_email(email):
    return db.session.scalar(select(User).where(User.email == email))


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


# --- the list ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/users", "/users/"])
def test_user_list_answers_with_and_without_trailing_slash(client, admin, url):
    assert client.get(url).status_code == 200


def test_user_list_shows_name_email_role_companies_and_state(client, admin, account):
    acme = make_company(account, "Acme Ltd")
    make_user(account, first_name="Una", last_name="User", email="una@example.com", companies=[acme])
    make_user(account, first_name="Dee", last_name="Gone", enabled=False)
    text = client.get("/users").get_data(as_text=True)
    for expected in ("Una User", "una@example.com", "Acme Ltd", "Account admin",
                     "All companies (admin)", "Disabled", "Enabled", "Dee Gone"):
        assert expected in text


def test_user_list_shows_only_this_accounts_users(client, admin):
    make_user(make_account("Other MSP"), first_name="Stranger", email="stranger@example.com")
    assert "stranger@example.com" not in client.get("/users").get_data(as_text=True)


def test_user_list_is_paginated(client, admin, account):
    for i in range(PER_PAGE + 5):
        make_user(account, first_name="Bulk", last_name=f"User{i:02d}")
    first = client.get("/users").get_data(as_text=True)
    second = client.get("/users?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "?page=2" in first
    assert first.count("Bulk User") + second.count("Bulk User") == PER_PAGE + 5


def test_user_list_search_finds_by_name_or_email(client, admin, account):
    make_user(account, first_name="Findme", email="f@example.com")
    make_user(account, first_name="Other", email="o@example.com")
    text = client.get("/users?q=findme").get_data(as_text=True)
    assert "f@example.com" in text and "o@example.com" not in text


# --- create ----------------------------------------------------------------------------

def test_admin_creates_a_user_with_role_and_companies(client, admin, account):
    acme, globex = make_company(account, "Acme"), make_company(account, "Globex")
    response = client.post("/users/new", data={**NEW_USER, "companies": [acme.id, globex.id]})
    assert response.status_code == 302
    user = user_by_email("sam.sync@example.com")
    assert user.account_id == account.id and user.role == "user" and user.enabled
    assert sorted(c.name for c in user.companies) == ["Acme", "Globex"]
    assert verify_password(user.password_hash, "Long-enough-1")
    assert response.headers["Location"].endswith(f"/users/{user.id}")


def test_blank_username_defaults_to_the_email_lower_cased(client, admin):
    client.post("/users/new", data=NEW_USER)
    user = user_by_email("sam.sync@example.com")
    assert user.username == "sam.sync@example.com"


def test_new_user_can_log_in_with_their_username(client, admin, login):
    client.post("/users/new", data={**NEW_USER, "username": "Sam@Login.example"})
    client.post("/logout")
    user = user_by_email("sam.sync@example.com")
    assert user.username == "sam@login.example"
    login(user, "Long-enough-1")


def test_admin_can_create_another_account_admin(client, admin):
    assert client.post("/users/new", data={**NEW_USER, "role": "account-admin"}).status_code == 302
    assert user_by_email("sam.sync@example.com").is_admin


@pytest.mark.parametrize("field,value,message", [
    ("email", "not-an-email", "Enter a valid email address"),
    ("email", "", "Enter an email address."),
    ("username", "not-an-email", "The username must be an email address"),
    ("password", "short", "Passwords must be at least 8 characters long"),
    ("password", "", "Enter a password."),
    ("password_confirm", "Different-123", "The two passwords do not match."),
    ("first_name", "", "Enter a first name."),
    ("last_name", "", "Enter a last name."),
    ("role", "superuser", "Not a valid choice"),
    ("role", "", "Choose a role."),
])
def test_bad_new_user_input_is_400_with_the_message_and_saves_nothing(client, admin, field, value,
                                                                       message):
    before = count_users()
    response = client.post("/users/new", data={**NEW_USER, field: value})
    assert response.status_code == 400
    doc = page(response)
    errors = doc.xpath(f"//div[@id='field-{field}']//p[@class='field-error']/text()")
    assert any(message in e for e in errors), errors
    assert count_users() == before


@pytest.mark.parametrize("app_config", [{"WISESYNC_PASSWORD_MIN_LENGTH": 12}])
def test_password_minimum_comes_from_the_setting(client, admin, app_config):
    response = client.post("/users/new", data={**NEW_USER, "password": "Eleven-char",
                                               "password_confirm": "Eleven-char"})
    assert response.status_code == 400
    assert "Passwords must be at least 12 characters long" in response.get_data(as_text=True)


def test_email_taken_in_another_case_is_a_field_error(client, admin, account):
    make_user(account, email="sam.sync@example.com")
    response = client.post("/users/new", data={**NEW_USER, "email": "SAM.SYNC@example.COM"})
    assert response.status_code == 400
    assert page(response).xpath("//div[@id='field-email']//p[@class='field-error']")
    assert count_users() == 2


def test_username_taken_is_a_field_error(client, admin, account):
    make_user(account, email="first@example.com", username="shared@example.com")
    response = client.post("/users/new", data={**NEW_USER, "username": "Shared@example.com"})
    assert response.status_code == 400
    assert "That username is already used" in response.get_data(as_text=True)


def test_another_accounts_company_id_is_a_field_error_never_a_grant(client, admin, account):
    mine = make_company(account, "Mine")
    theirs = make_company(make_account("Other MSP"), "Theirs")
    response = client.post("/users/new", data={**NEW_USER, "companies": [mine.id, theirs.id]})
    assert response.status_code == 400
    assert page(response).xpath("//div[@id='field-companies']//p[@class='field-error']")
    assert user_by_email("sam.sync@example.com") is None


def test_a_company_id_that_is_not_a_number_is_400(client, admin):
    assert client.post("/users/new", data={**NEW_USER, "companies": ["x"]}).status_code == 400


def test_new_user_page_without_companies_says_to_create_them_first(client, admin):
    doc = page(client.get("/users/new"))
    notice = doc.xpath("//*[contains(@class,'notice-companies')]")[0]
    assert "Create your companies first" in notice.text_content()
    assert notice.xpath(".//a[@href='/companies/new']")


def test_new_user_page_with_companies_offers_them_as_ticks(client, admin, account):
    acme = make_company(account, "Acme")
    make_company(make_account("Other MSP"), "Theirs")
    response = client.get("/users/new")
    doc = page(response)
    assert not doc.xpath("//*[contains(@class,'notice-companies')]")
    boxes = doc.xpath("//input[@name='companies'][@type='checkbox']")
    assert [b.get("value") for b in boxes] == [str(acme.id)]
    assert "Theirs" not in response.get_data(as_text=True)


def test_creating_a_user_is_audited_without_the_password(client, admin, account):
    client.post("/users/new", data=NEW_USER)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert event.actor_id == admin.id and event.account_id == account.id
    assert event.target_user_id == user_by_email("sam.sync@example.com").id
    assert "Long-enough-1" not in event.detail and event.ip == "127.0.0.1"


# --- edit -------------------------------------------------------------------------------

def test_edit_page_shows_the_users_current_values(client, admin, account):
    acme = make_company(account, "Acme")
    user = make_user(account, first_name="Una", companies=[acme])
    doc = page(client.get(f"/users/{user.id}"))
    assert doc.xpath("//input[@name='first_name']/@value") == ["Una"]
    assert doc.xpath("//input[@name='companies'][@checked]/@value") == [str(acme.id)]
    assert doc.xpath("//input[@name='role'][@checked]/@value") == ["user"]


def test_admin_edits_names_email_and_username(client, admin, account):
    user = make_user(account)
    data = edit_data(user, first_name="New", email="New@Example.com", username="")
    assert client.post(f"/users/{user.id}", data=data).status_code == 302
    db.session.refresh(user)
    assert (user.first_name, user.email, user.username) == ("New", "new@example.com", "new@example.com")


def test_edit_without_any_password_field_keeps_the_password(client, admin, account):
    user = make_user(account)
    old_hash = user.password_hash
    assert client.post(f"/users/{user.id}", data=edit_data(user, first_name="Kept")).status_code == 302
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_edit_ignores_a_password_a_manager_may_have_injected(client, admin, account):
    user = make_user(account)
    old_hash = user.password_hash
    data = edit_data(user, password="x", password_confirm="y")
    assert client.post(f"/users/{user.id}", data=data).status_code == 302
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_unticking_every_company_removes_them(client, admin, account):
    user = make_user(account, companies=[make_company(account)])
    data = edit_data(user)
    del data["companies"]
    assert client.post(f"/users/{user.id}", data=data).status_code == 302
    db.session.refresh(user)
    assert user.companies == []


def test_edit_to_an_email_already_used_is_a_field_error_and_saves_nothing(client, admin, account):
    make_user(account, email="taken@example.com")
    user = make_user(account, first_name="Before")
    response = client.post(f"/users/{user.id}", data=edit_data(user, first_name="After",
                                                               email="TAKEN@example.com"))
    assert response.status_code == 400
    assert "That email address is already used" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.first_name == "Before"


def test_edit_with_another_accounts_company_is_400_and_grants_nothing(client, admin, account):
    user = make_user(account)
    theirs = make_company(make_account("Other MSP"))
    response = client.post(f"/users/{user.id}", data=edit_data(user, companies=[theirs.id]))
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.companies == []


def test_role_and_company_changes_are_audited_separately(client, admin, account):
    acme = make_company(account, "Acme")
    user = make_user(account)
    client.post(f"/users/{user.id}", data=edit_data(user, companies=[acme.id], last_name="Renamed"))
    client.post(f"/users/{user.id}", data=edit_data(user, role="account-admin", companies=[acme.id],
                                                    last_name="Renamed"))
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_user_id == user.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["user.edited", "user.companies_changed", "user.role_changed"]


def test_admin_cannot_change_their_own_role(client, admin):
    response = client.post(f"/users/{admin.id}", data=edit_data(admin, role="user"))
    assert response.status_code == 400
    assert "change your own role" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.is_admin


def test_an_admin_can_demote_another_admin(client, admin, account):
    other = make_admin(account)
    assert client.post(f"/users/{other.id}", data=edit_data(other, role="user")).status_code == 302
    db.session.refresh(other)
    assert other.role == "user"


def test_edit_page_shows_which_companies_the_user_can_sync(client, admin, account):
    make_company(account, "Acme")
    text = client.get(f"/users/{admin.id}").get_data(as_text=True)
    assert "All companies (admin)" in text


# --- access -----------------------------------------------------------------------------

USER_URLS = [("get", "/users"), ("get", "/users/"), ("get", "/users/new"), ("post", "/users/new"),
             ("get", "/users/{id}"), ("post", "/users/{id}"), ("get", "/users/{id}/password"),
             ("post", "/users/{id}/password"), ("get", "/users/{id}/disable"),
             ("post", "/users/{id}/disable"), ("post", "/users/{id}/enable")]


@pytest.mark.parametrize("method,url", USER_URLS)
def test_user_role_gets_403_with_who_to_ask_on_every_users_url(client, login, account, method, url):
    make_admin(account)
    target = make_user(account, first_name="Target")
    login(make_user(account))
    response = getattr(client, method)(url.format(id=target.id), data=NEW_USER)
    assert response.status_code == 403
    assert "contact your account administrator" in response.get_data(as_text=True)
    db.session.refresh(target)
    assert target.enabled and target.first_name == "Target"


@pytest.mark.parametrize("method,url", [u for u in USER_URLS if "{id}" in u[1]])
def test_another_accounts_user_is_404_on_every_url(client, admin, method, url):
    stranger = make_user(make_account("Other MSP"))
    assert getattr(client, method)(url.format(id=stranger.id), data=NEW_USER).status_code == 404
    assert getattr(client, method)(url.format(id=999999), data=NEW_USER).status_code == 404
    db.session.refresh(stranger)
    assert stranger.enabled


def test_anonymous_visitor_is_sent_to_login(client, account):
    make_admin(account)
    assert "/login" in client.get("/users").headers["Location"]


def test_admin_sees_the_admin_menu(client, admin):
    text = client.get("/").get_data(as_text=True)
    assert 'href="/users/"' in text and 'href="/companies/"' in text


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_creating_a_user_without_the_csrf_token_is_refused(client, account, app_config):
    from tests.builders import DEFAULT_PASSWORD

    admin = make_admin(account)
    token = page(client.get("/login")).xpath("//input[@name='csrf_token']/@value")[0]
    client.post("/login", data={"username": admin.username, "password": DEFAULT_PASSWORD,
                                "csrf_token": token})
    assert client.post("/users/new", data=NEW_USER).status_code == 400
    assert user_by_email("sam.sync@example.com") is None
    token = page(client.get("/users/new")).xpath("//input[@name='csrf_token']/@value")[0]
    assert client.post("/users/new", data={**NEW_USER, "csrf_token": token}).status_code == 302
