"""Finding 6 (lower): 2FA tries across logins, Secure cookies behind TLS, no-store on logged-in
pages, QLinks that outlived a password reset or their own revocation."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_user
from wisesync.app import create_app
from wisesync.extensions import db
from wisesync.qlink import services as qlink
from wisesync.qlink.models import QLink
from wisesync.security import two_factor


# ---------------------------------------------------------------- 2FA tries per user

def _password_step(client, user):
    return client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})


def test_2fa_tries_count_per_user_across_logins_so_new_logins_bring_no_new_guesses(app, mailbox):
    """The attack: log in again after each 4 wrong codes, for 4 fresh tries every time."""
    user = make_user(make_account(two_factor="required"))
    client = app.test_client()
    wrong_total = 0
    while wrong_total < two_factor.USER_MAX_TRIES:
        _password_step(client, user)
        code = mailbox.code()
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(min(4, two_factor.USER_MAX_TRIES - wrong_total)):
            client.post("/login/verify", data={"code": wrong})
            wrong_total += 1
    mailbox.clear()
    response = _password_step(client, user)  # the password is right...
    assert response.headers["Location"].endswith("/login")  # ...but no new code, no new tries
    assert mailbox.messages == []
    assert "too many wrong login codes" in client.get("/login").get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_the_right_code_is_refused_once_the_user_hit_the_limit(app, mailbox):
    user = make_user(make_account(two_factor="required"))
    client = app.test_client()
    _password_step(client, user)
    code = mailbox.code()
    from wisesync.security.models import LoginChallenge

    row = db.session.scalar(select(LoginChallenge))
    row.attempts = two_factor.USER_MAX_TRIES  # e.g. from other attempts this hour
    db.session.commit()
    client.post("/login/verify", data={"code": code})
    assert client.get("/profile").status_code == 302


# ---------------------------------------------------------------- cookies and caching

@pytest.mark.parametrize("overrides", [{"WISESYNC_PROXY_FIX": 1}, {"PREFERRED_URL_SCHEME": "https"},
                                       {"WISESYNC_PUBLIC_URL": "https://portal.example.com"}])
def test_behind_tls_the_session_cookie_is_secure_without_embedding(tmp_path, monkeypatch, overrides):
    for key, value in overrides.items():
        monkeypatch.setenv(key, str(value))
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "x", "WISESYNC_SECRETS_KEYS": ["x" * 43 + "="]})
    assert app.config["WISESYNC_EMBED_ORIGINS"] == []
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_plain_http_without_a_proxy_keeps_the_cookie_usable(app):
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_a_login_over_https_behind_a_proxy_sets_a_secure_cookie(app):
    app.config["SESSION_COOKIE_SECURE"] = True
    user = make_admin(make_account())
    response = app.test_client().post("/login", base_url="https://localhost",
                                      data={"username": user.username, "password": DEFAULT_PASSWORD})
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_anonymous_pages_may_be_cached_but_logged_in_ones_are_no_store(app, login, client):
    user = make_admin(make_account())
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(user)
    response = client.get("/profile")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.headers["Vary"]


# ---------------------------------------------------------------- QLinks

def test_a_password_reset_revokes_the_users_qlink_and_says_so(app, mailbox):
    account = make_account("Acme", "connectwise")
    admin = make_admin(account)
    user = make_user(account)
    token = qlink.generate_qlink(user, actor=admin)
    client = app.test_client()
    client.post("/reset-password", data={"email": user.email})
    link = mailbox.reset_link()
    page = client.get(link).get_data(as_text=True)
    assert "revokes their QLink" in page
    new = "Brand-new-pass-7"
    assert client.post(link, data={"password": new, "password_confirm": new}).status_code == 302
    assert "your QLink was revoked" in client.get("/login").get_data(as_text=True)
    assert db.session.scalar(select(QLink).where(QLink.user_id == user.id)) is None
    assert app.test_client().get(f"/q/{token}").status_code == 404
    assert "QLink was revoked too" in mailbox.wait_for(2)[-1].get_content()


def _qlink_session(app, user, admin):
    token = qlink.generate_qlink(user, actor=admin)
    client = app.test_client()
    assert client.get(f"/q/{token}").status_code == 303
    assert client.get("/profile").status_code == 200
    return client


def test_revoking_a_qlink_ends_the_session_it_opened(app):
    account = make_account("Acme", "connectwise")
    admin = make_admin(account)
    user = make_user(account)
    password_session = app.test_client()
    _password_step(password_session, user)
    framed = _qlink_session(app, user, admin)
    qlink.revoke_qlink(user, actor=admin)
    response = framed.get("/profile")
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert framed.get("/profile").status_code == 302  # stays logged out
    assert "was revoked or replaced" in framed.get("/login").get_data(as_text=True)
    assert password_session.get("/profile").status_code == 200  # only the QLink's sessions end


def test_generating_a_new_qlink_ends_the_sessions_of_the_old_one(app):
    account = make_account("Acme", "connectwise")
    admin = make_admin(account)
    user = make_user(account)
    framed = _qlink_session(app, user, admin)
    qlink.generate_qlink(user, actor=admin)
    assert framed.get("/profile").status_code == 303
