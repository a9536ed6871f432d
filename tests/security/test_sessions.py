"""Every session of a user ends on logout, password change/reset and disable; timeouts apply."""
from __future__ import annotations

import time

import pytest

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_user
from wisesync.extensions import db


@pytest.fixture
def two_browsers(app):
    def start(user):
        browsers = [app.test_client(), app.test_client()]
        for b in browsers:
            r = b.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
            assert r.status_code == 302
        return browsers

    return start


def _logged_in(client) -> bool:
    return client.get("/profile").status_code == 200


def test_logout_ends_every_session_of_the_user(two_browsers):
    a, b = two_browsers(make_admin(make_account()))
    assert a.post("/logout").status_code == 302
    assert not _logged_in(a) and not _logged_in(b)


def test_own_password_change_ends_the_other_sessions_only(two_browsers):
    a, b = two_browsers(make_admin(make_account()))
    new = "Another-pass-42"
    r = a.post("/profile", data={"current_password": DEFAULT_PASSWORD, "password": new,
                                  "password_confirm": new})
    assert r.status_code == 302
    assert _logged_in(a) and not _logged_in(b)


def test_disable_ends_every_session(two_browsers, app):
    account = make_account()
    admin = make_admin(account)
    user = make_user(account)
    a, b = two_browsers(user)
    boss = app.test_client()
    boss.post("/login", data={"username": admin.username, "password": DEFAULT_PASSWORD})
    assert boss.post(f"/users/{user.id}/disable").status_code in (302, 303)
    assert not _logged_in(a) and not _logged_in(b)


def test_idle_timeout_logs_out(app, client, login):
    login(make_admin(make_account()))
    with client.session_transaction() as s:
        s["seen_at"] -= app.config["WISESYNC_SESSION_IDLE_MINUTES"] * 60 + 5
    assert not _logged_in(client)
    assert "inactivity" in client.get("/login").get_data(as_text=True)


def test_absolute_timeout_logs_out_even_when_active(app, client, login):
    login(make_admin(make_account()))
    with client.session_transaction() as s:
        s["auth_at"] -= app.config["WISESYNC_SESSION_MAX_HOURS"] * 3600 + 5
    assert not _logged_in(client)


@pytest.fixture
def app_config(mail_config):
    return {**mail_config, "WISESYNC_SESSION_IDLE_MINUTES": 1, "WISESYNC_SESSION_MAX_HOURS": 1}


def test_activity_refreshes_the_idle_clock(client, login):
    login(make_admin(make_account()))
    with client.session_transaction() as s:
        s["seen_at"] -= 50
    assert _logged_in(client)
    with client.session_transaction() as s:
        assert time.time() - s["seen_at"] < 5


def test_a_session_without_stamps_starts_counting(client, login):
    user = make_admin(make_account())
    login(user)
    with client.session_transaction() as s:
        del s["auth_at"], s["seen_at"]
    assert _logged_in(client)
    with client.session_transaction() as s:
        assert "auth_at" in s


def test_setting_a_users_password_as_admin_ends_their_sessions(two_browsers, app):
    account = make_account()
    admin = make_admin(account)
    user = make_user(account)
    a, _ = two_browsers(user)
    boss = app.test_client()
    boss.post("/login", data={"username": admin.username, "password": DEFAULT_PASSWORD})
    new = "Admin-set-pass-1"
    boss.post(f"/users/{user.id}/password", data={"password": new, "password_confirm": new})
    db.session.expire_all()
    assert not _logged_in(a)
