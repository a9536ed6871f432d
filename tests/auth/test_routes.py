from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_user
from wisesync.accounts.models import Account
from wisesync.extensions import db
from wisesync.users.models import User

SETUP = {
    "account_name": "Acme MSP", "psa_type": "connectwise", "first_name": "Ada",
    "last_name": "Admin", "email": "Ada@Example.com", "password": "Long-enough-1",
    "password_confirm": "Long-enough-1",
}


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_fresh_install_redirects_to_setup(client):
    assert client.get("/").headers["Location"].endswith("/setup")
    assert client.get("/login").headers["Location"].endswith("/setup")


def test_setup_creates_account_and_first_admin_and_logs_in(client):
    response = client.post("/setup", data=SETUP)
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.role == "account-admin"
    assert user.email == user.username == "ada@example.com"
    assert user.password_hash != "Long-enough-1" and user.password_hash.startswith("scrypt:")
    assert db.session.scalar(select(Account)).psa_type == "connectwise"
    assert client.get("/").status_code == 200


def test_setup_is_404_once_a_user_exists(client):
    make_admin(make_account())
    assert client.get("/setup").status_code == 404
    assert client.post("/setup", data=SETUP).status_code == 404


@pytest.mark.parametrize("field,value,message", [
    ("email", "not-an-email", "Enter a valid email address"),
    ("password", "short", "Passwords must be at least 8 characters long"),
    ("password_confirm", "Different-123", "The two passwords do not match."),
    ("psa_type", "halopsa", "Not a valid choice"),
    ("account_name", "", "Enter the name of your MSP."),
])
def test_setup_bad_input_is_400_with_message_and_saves_nothing(client, field, value, message):
    response = client.post("/setup", data={**SETUP, field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None
    assert db.session.scalar(select(Account)) is None


def test_login_with_correct_password_reaches_home(client):
    user = make_admin(make_account(), first_name="Grace")
    response = client.post("/login", data={"username": user.username.upper(), "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert "Grace" in client.get("/").get_data(as_text=True)


def test_login_with_wrong_password_is_400_and_says_so(client):
    user = make_admin(make_account())
    response = client.post("/login", data={"username": user.username, "password": "wrong-one"})
    assert response.status_code == 400
    assert "do not match" in response.get_data(as_text=True)


def test_disabled_user_cannot_log_in(client):
    account = make_account()
    make_admin(account)
    user = make_user(account, enabled=False)
    response = client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "disabled" in response.get_data(as_text=True)


def test_login_form_has_autocomplete_hints(client):
    make_admin(make_account())
    html = client.get("/login").get_data(as_text=True)
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html


def test_login_ignores_offsite_next(client):
    user = make_admin(make_account())
    response = client.post("/login?next=//evil.example/x",
                           data={"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/"


def test_logout_needs_post_and_ends_session(client, login):
    user = make_admin(make_account())
    login(user)
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/profile").status_code == 302


def test_change_own_password_needs_current_one(client, login):
    user = make_user(make_account())
    login(user)
    response = client.post("/profile", data={"current_password": "nope", "password": "Brand-new-pass",
                                             "password_confirm": "Brand-new-pass"})
    assert response.status_code == 400
    assert "not your current password" in response.get_data(as_text=True)


def test_change_own_password_ends_other_sessions_but_keeps_this_one(app, client, login):
    user = make_user(make_account())
    other = app.test_client()
    other.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
    login(user)
    response = client.post("/profile", data={"current_password": DEFAULT_PASSWORD,
                                             "password": "Brand-new-pass", "password_confirm": "Brand-new-pass"})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert other.get("/profile").status_code == 302


def test_pages_carry_security_headers(client):
    response = client.get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_login_post_without_csrf_token_is_400(client, app_config):
    make_admin(make_account())
    response = client.post("/login", data={"username": "x@example.com", "password": "y"})
    assert response.status_code == 400
