from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_user
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.security.models import LoginChallenge


@pytest.fixture
def account():
    return make_account(two_factor="required")


def _password_step(client, user, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": user.username, "password": DEFAULT_PASSWORD})


def test_password_alone_does_not_log_in_when_2fa_is_required(client, account, mailbox):
    user = make_admin(account)
    response = _password_step(client, user)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/verify")
    assert client.get("/profile").status_code == 302  # not logged in yet
    page = client.get("/login/verify").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'name="code"' in page
    assert len(mailbox.code()) == 6


def test_right_code_logs_in_once_and_follows_next(client, account, mailbox):
    user = make_admin(account)
    _password_step(client, user, next_url="/users/")
    response = client.post("/login/verify", data={"code": mailbox.code()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/users/")
    assert client.get("/profile").status_code == 200
    assert db.session.scalar(select(LoginChallenge)).finished_at is not None
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "login.code_sent" in actions and "login.ok" in actions


def test_code_is_stored_hashed_and_bound_to_the_attempt(app, client, account, mailbox):
    user = make_user(account)
    _password_step(client, user)
    code = mailbox.code()
    row = db.session.scalar(select(LoginChallenge))
    assert code not in row.code_hash
    other = app.test_client()  # another browser with the code but not the attempt
    assert other.post("/login/verify", data={"code": code}).status_code == 302
    assert other.get("/profile").status_code == 302
    assert client.post("/login/verify", data={"code": code}).status_code == 302
    assert client.get("/profile").status_code == 200


def test_five_wrong_codes_end_the_attempt(client, account, mailbox):
    user = make_user(account)
    _password_step(client, user)
    code = mailbox.code()
    wrong = "000000" if code != "000000" else "111111"
    for n in range(4):
        response = client.post("/login/verify", data={"code": wrong})
        assert response.status_code == 400
        assert f"{4 - n} tr" in response.get_data(as_text=True)
    response = client.post("/login/verify", data={"code": wrong})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.post("/login/verify", data={"code": code}).status_code == 302
    assert client.get("/profile").status_code == 302


def test_code_expires_after_10_minutes(client, account, mailbox):
    user = make_user(account)
    _password_step(client, user)
    row = db.session.scalar(select(LoginChallenge))
    row.code_expires_at = row.code_expires_at - timedelta(minutes=11)
    db.session.commit()
    response = client.post("/login/verify", data={"code": mailbox.code()})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_resend_is_throttled_and_replaces_the_code(client, account, mailbox):
    user = make_user(account)
    _password_step(client, user)
    first = mailbox.code()
    client.post("/login/verify/resend")
    assert "moments ago" in client.get("/login/verify").get_data(as_text=True)
    assert len(mailbox.messages) == 1
    row = db.session.scalar(select(LoginChallenge))
    row.last_sent_at = row.last_sent_at - timedelta(minutes=2)
    db.session.commit()
    client.post("/login/verify/resend")
    second = mailbox.wait_for(2)[-1].get_content()
    assert len(mailbox.messages) == 2
    if first not in second:
        assert client.post("/login/verify", data={"code": first}).status_code == 400


def test_bad_code_shape_is_400(client, account, mailbox):
    _password_step(client, make_user(account))
    response = client.post("/login/verify", data={"code": "12ab"})
    assert response.status_code == 400 and "6 digits" in response.get_data(as_text=True)


def test_verify_without_a_pending_login_goes_to_login(client):
    make_admin(make_account())
    assert client.get("/login/verify").headers["Location"].endswith("/login")


def test_user_disabled_between_steps_cannot_finish(client, account, mailbox):
    make_admin(account)
    user = make_user(account)
    _password_step(client, user)
    user.enabled = False
    db.session.commit()
    client.post("/login/verify", data={"code": mailbox.code()})
    assert client.get("/profile").status_code == 302


def test_accounts_without_2fa_log_in_with_the_password(client, login, mailbox):
    login(make_admin(make_account()))
    assert client.get("/profile").status_code == 200
    assert mailbox.messages == []


def test_qlink_session_skips_the_code(client, account, mailbox):
    """Documented choice: the QLink is itself a 256-bit credential the admin created."""
    from wisesync.qlink import services as qlink

    user = make_user(account)
    token = qlink.generate_qlink(user, actor=make_admin(account))
    response = client.get(f"/q/{token}")
    assert response.status_code == 303
    assert client.get("/profile").status_code == 200
    assert mailbox.messages == []
