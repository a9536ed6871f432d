from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_user
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.security.models import PasswordReset

NEW = "Brand-new-pass-7"


def _request(client, email):
    return client.post("/reset-password", data={"email": email})


def test_reset_request_answers_the_same_for_known_and_unknown_email(client, mailbox):
    user = make_admin(make_account())
    known = _request(client, user.email.upper())
    unknown = _request(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    norm = lambda r, e: r.get_data(as_text=True).replace(e, "EMAIL")  # noqa: E731
    assert norm(known, user.email.upper()) == norm(unknown, "nobody@example.com")
    assert len(mailbox.wait_for(1)) == 1
    assert mailbox.messages[0]["To"] == user.email


def test_reset_token_is_256_bits_and_only_its_hash_is_stored(client, mailbox):
    user = make_admin(make_account())
    _request(client, user.email)
    token = mailbox.reset_link().rsplit("/", 1)[1]
    assert len(token) >= 43  # token_urlsafe(32)
    row = db.session.scalar(select(PasswordReset))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(db.session.execute(select(PasswordReset.__table__)).all())


def test_reset_link_sets_password_ends_sessions_and_mails_a_notice(app, client, login, mailbox):
    user = make_admin(make_account())
    other = app.test_client()
    other.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
    assert other.get("/profile").status_code == 200
    _request(client, user.email)
    link = mailbox.reset_link()
    page = client.get(link)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert 'autocomplete="new-password"' in page.get_data(as_text=True)
    response = client.post(link, data={"password": NEW, "password_confirm": NEW})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert other.get("/profile").status_code == 302  # the other session ended
    notice = mailbox.wait_for(2)[-1]
    assert "was changed" in notice["Subject"]
    login(user, NEW)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "password.reset" in actions and "password.reset_requested" in actions


def test_reset_link_works_once(client, mailbox):
    user = make_user(make_account())
    _request(client, user.email)
    link = mailbox.reset_link()
    assert client.post(link, data={"password": NEW, "password_confirm": NEW}).status_code == 302
    again = client.post(link, data={"password": "Other-pass-99", "password_confirm": "Other-pass-99"})
    assert again.status_code == 404
    assert "not valid any more" in again.get_data(as_text=True)


def test_reset_link_expires_after_30_minutes(client, mailbox):
    user = make_user(make_account())
    _request(client, user.email)
    link = mailbox.reset_link()
    row = db.session.scalar(select(PasswordReset))
    row.expires_at = row.created_at + timedelta(minutes=30) - timedelta(days=1)
    db.session.commit()
    assert client.get(link).status_code == 404


def test_newer_reset_replaces_nothing_but_using_one_kills_the_others(client, mailbox):
    user = make_user(make_account())
    _request(client, user.email)
    first = mailbox.reset_link()
    _request(client, user.email)
    second = mailbox.wait_for(2)[-1].get_content()
    second = second[second.index("/reset-password/"):].split()[0]
    assert client.post(second, data={"password": NEW, "password_confirm": NEW}).status_code == 302
    assert client.get(first).status_code == 404


def test_disabled_user_gets_no_reset_mail(client, mailbox):
    account = make_account()
    make_admin(account)
    user = make_user(account, enabled=False)
    assert _request(client, user.email).status_code == 200
    assert mailbox.messages == []
    assert db.session.scalar(select(PasswordReset)) is None


def test_reset_link_of_a_user_disabled_afterwards_is_refused(client, mailbox):
    user = make_user(make_account())
    _request(client, user.email)
    link = mailbox.reset_link()
    user.enabled = False
    db.session.commit()
    assert client.post(link, data={"password": NEW, "password_confirm": NEW}).status_code == 404


def test_reset_mails_per_user_are_capped_per_hour(client, mailbox):
    user = make_user(make_account())
    for _ in range(5):
        assert _request(client, user.email).status_code == 200
    assert len(mailbox.messages) == 3


def test_unknown_token_and_bad_new_password(client, mailbox):
    assert client.get("/reset-password/not-a-token").status_code == 404
    user = make_user(make_account())
    _request(client, user.email)
    link = mailbox.reset_link()
    response = client.post(link, data={"password": "short", "password_confirm": "short"})
    assert response.status_code == 400
    assert "at least 8 characters" in response.get_data(as_text=True)


def test_bad_email_is_400_with_message(client):
    response = _request(client, "not-an-email")
    assert response.status_code == 400
    assert "valid email address" in response.get_data(as_text=True)


def test_login_page_links_to_reset(client):
    make_admin(make_account())
    assert "/reset-password" in client.get("/login").get_data(as_text=True)
