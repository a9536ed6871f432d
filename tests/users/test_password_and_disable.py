from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_payment_link, make_user
from tests.users.helpers import live_inputs, page
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.passwords import verify_password

NEW_PASSWORD = {"password": "Brand-new-pass-1", "password_confirm": "Brand-new-pass-1"}


@pytest.fixture
def account():
    return make_account()


@pytest.fixture
def admin(account, login):
    user = make_admin(account, first_name="Ada")
    login(user)
    return user


def actions_for(user) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action)
                                   .where(AuditEvent.target_user_id == user.id).order_by(AuditEvent.id)))


# --- change password --------------------------------------------------------------------

def test_edit_page_has_no_password_input_until_change_password_is_asked_for(client, admin, account):
    user = make_user(account)
    doc = page(client.get(f"/users/{user.id}"))
    assert live_inputs(doc, type="password") == []
    button = doc.xpath("//button[@data-reveal]")[0]
    assert button.text_content().strip() == "Change password"
    template = doc.xpath(f"//template[@id='{button.get('data-reveal')}']")[0]
    form = template.xpath(".//form")[0]
    assert form.get("action") == f"/users/{user.id}/password" and form.get("method") == "post"
    inputs = form.xpath(".//input[@type='password']")
    assert [(i.get("name"), i.get("autocomplete")) for i in inputs] == [
        ("password", "new-password"), ("password_confirm", "new-password")]
    assert form.xpath(".//input[@name='csrf_token']")


def test_change_password_has_its_own_page_without_javascript(client, admin, account):
    user = make_user(account)
    doc = page(client.get(f"/users/{user.id}/password"))
    assert [i.get("autocomplete") for i in live_inputs(doc, type="password")] == ["new-password"] * 2


def test_admin_changes_a_users_password_and_their_sessions_end(client, admin, account, app):
    user = make_user(account)
    version = user.session_version
    response = client.post(f"/users/{user.id}/password", data=NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/users/{user.id}")
    db.session.refresh(user)
    assert verify_password(user.password_hash, "Brand-new-pass-1")
    assert user.session_version == version + 1
    assert actions_for(user) == ["password.changed"]
    assert "Brand-new-pass-1" not in db.session.scalar(select(AuditEvent.detail))


def test_admin_changing_their_own_password_stays_logged_in(client, admin):
    assert client.post(f"/users/{admin.id}/password", data=NEW_PASSWORD).status_code == 302
    assert client.get("/users").status_code == 200


@pytest.mark.parametrize("data,message", [
    ({"password": "short", "password_confirm": "short"}, "Passwords must be at least 8 characters long"),
    ({"password": "Long-enough-1", "password_confirm": "Long-enough-2"}, "The two passwords do not match."),
    ({"password": "", "password_confirm": ""}, "Enter a password."),
])
def test_bad_new_password_is_400_with_the_message_and_keeps_the_old_one(client, admin, account,
                                                                         data, message):
    user = make_user(account)
    old_hash = user.password_hash
    response = client.post(f"/users/{user.id}/password", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


# --- disable ----------------------------------------------------------------------------

def test_disable_confirmation_lists_the_links_that_will_stop_working(client, admin, account):
    user = make_user(account)
    make_payment_link(user, kind="proxy", name="Main proxy")
    make_payment_link(user, kind="email", name="Invoice email link")
    old = make_payment_link(user, kind="paynow", name="Old PayNow")
    old.active = False
    db.session.commit()
    doc = page(client.get(f"/users/{user.id}/disable"))
    items = [li.text_content() for li in doc.xpath("//ul[@class='links-to-stop']/li")]
    assert items == ["Email link: Invoice email link", "Wise-Pay proxy: Main proxy"]
    assert doc.xpath(f"//form[@action='/users/{user.id}/disable'][@method='post']//button")


def test_edit_page_links_to_the_disable_confirmation(client, admin, account):
    user = make_user(account)
    doc = page(client.get(f"/users/{user.id}"))
    assert doc.xpath(f"//a[@href='/users/{user.id}/disable']")


def test_disabling_a_user_deactivates_their_links_and_ends_their_session(app, account, admin, client):
    user = make_user(account)
    link = make_payment_link(user)
    victim = app.test_client()
    assert victim.post("/login", data={"username": user.username,
                                       "password": DEFAULT_PASSWORD}).status_code == 302
    assert victim.get("/").status_code == 200

    assert client.post(f"/users/{user.id}/disable").status_code == 302
    db.session.refresh(user)
    db.session.refresh(link)
    assert not user.enabled and user.disabled_at is not None
    assert not link.active and link.deactivated_at is not None
    assert "/login" in victim.get("/").headers["Location"]
    assert victim.post("/login", data={"username": user.username,
                                       "password": DEFAULT_PASSWORD}).status_code == 400
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.disabled"))
    assert "Invoice PayNow" in event.detail and event.actor_id == admin.id


def test_disabling_never_deletes_the_user(client, admin, account):
    user = make_user(account)
    client.post(f"/users/{user.id}/disable")
    assert "Disabled" in client.get("/users").get_data(as_text=True)
    assert client.get(f"/users/{user.id}").status_code == 200


def test_admin_cannot_disable_themselves(client, admin, account):
    make_admin(account)
    response = client.post(f"/users/{admin.id}/disable")
    assert response.status_code == 400
    assert "You can't disable yourself" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.enabled


def test_an_admin_can_disable_another_admin(client, admin, account):
    other = make_admin(account)
    assert client.post(f"/users/{other.id}/disable").status_code == 302
    db.session.refresh(other)
    assert not other.enabled
    assert "already disabled" in client.get(f"/users/{other.id}/disable").get_data(as_text=True)


def test_the_only_enabled_admin_is_protected_from_disable_and_demotion(app, account):
    from wisesync.service_errors import FieldError
    from wisesync.users import services

    only = make_admin(account)
    helper = make_user(account)
    with pytest.raises(FieldError, match="only enabled account admin"):
        services.disable_user(only, actor=helper)
    with pytest.raises(FieldError, match="only enabled account admin"):
        services.update_user(only, actor=helper, role="user", company_ids=[], first_name="A",
                             last_name="B", email=only.email, username=only.username)
    db.session.refresh(only)
    assert only.enabled and only.is_admin


def test_disable_page_for_yourself_explains_instead_of_offering_the_button(client, admin):
    doc = page(client.get(f"/users/{admin.id}/disable"))
    assert "disable yourself" in doc.text_content()
    assert not doc.xpath("//form[contains(@action,'/disable')]")


def test_disabling_twice_changes_nothing(client, admin, account):
    user = make_user(account)
    client.post(f"/users/{user.id}/disable")
    assert client.post(f"/users/{user.id}/disable").status_code == 302
    assert actions_for(user) == ["user.disabled"]


# --- enable -----------------------------------------------------------------------------

def test_enabling_lets_the_user_log_in_but_does_not_revive_links(client, admin, account, app):
    user = make_user(account)
    link = make_payment_link(user)
    client.post(f"/users/{user.id}/disable")
    assert client.post(f"/users/{user.id}/enable").status_code == 302
    db.session.refresh(user)
    db.session.refresh(link)
    assert user.enabled and user.disabled_at is None
    assert not link.active
    assert "configure a new link" in client.get(f"/users/{user.id}").get_data(as_text=True)
    assert actions_for(user) == ["user.disabled", "user.enabled"]
    assert app.test_client().post("/login", data={"username": user.username,
                                                  "password": DEFAULT_PASSWORD}).status_code == 302


def test_disabled_users_page_offers_enable_and_says_links_stay_off(client, admin, account):
    user = make_user(account, enabled=False)
    doc = page(client.get(f"/users/{user.id}"))
    assert doc.xpath(f"//form[@action='/users/{user.id}/enable'][@method='post']")
    assert "a new link must be configured" in doc.text_content()


def test_enable_is_post_only(client, admin, account):
    user = make_user(account, enabled=False)
    assert client.get(f"/users/{user.id}/enable").status_code == 405
    db.session.refresh(user)
    assert not user.enabled
