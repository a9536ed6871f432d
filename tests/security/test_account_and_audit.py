from __future__ import annotations

import re

from tests.builders import make_account, make_admin, make_user
from wisesync.accounts.models import Account
from wisesync.audit.services import record
from wisesync.extensions import db


def test_admin_switches_2fa_on_and_it_is_audited(client, login):
    account = make_account()
    login(make_admin(account))
    page = client.get("/account").get_data(as_text=True)
    assert 'name="two_factor"' in page and re.search(r'checked[^>]*value="off"|value="off"[^>]*checked', page)
    r = client.post("/account", data={"name": "Acme MSP Ltd", "two_factor": "required"})
    assert r.status_code == 302
    acct = db.session.get(Account, account.id)
    assert (acct.name, acct.two_factor) == ("Acme MSP Ltd", "required")
    audit = client.get("/audit").get_data(as_text=True)
    assert "Account settings changed" in audit and "two-factor login off → required" in audit


def test_account_form_rejects_unknown_mode(client, login):
    login(make_admin(make_account()))
    r = client.post("/account", data={"name": "X", "two_factor": "sometimes"})
    assert r.status_code == 400 and "Not a valid choice" in r.get_data(as_text=True)


def test_users_cannot_open_account_or_audit(client, login):
    login(make_user(make_account()))
    assert client.get("/account").status_code == 403
    assert client.get("/audit").status_code == 403


def test_audit_shows_time_actor_action_target_detail_ip_for_this_account_only(client, login):
    account, other = make_account(), make_account("Other MSP")
    admin = make_admin(account, first_name="Ada")
    user = make_user(account, first_name="Bob")
    stranger = make_user(other, first_name="Mallory")
    record("user.edited", account_id=account.id, actor=admin, target=user, detail="first name changed",
           ip="203.0.113.7")
    record("user.edited", account_id=other.id, actor=stranger, target=stranger, detail="other account",
           ip="198.51.100.1")
    db.session.commit()
    login(admin)
    page = client.get("/audit").get_data(as_text=True)
    assert "User edited" in page and "first name changed" in page and "203.0.113.7" in page
    assert "Ada Lee" in page and "Bob Lee" in page
    assert "other account" not in page and "Mallory" not in page
    assert "Logged in" in page  # the login just done


def test_audit_filter_by_user_and_foreign_user_is_404(client, login):
    account, other = make_account(), make_account("Other MSP")
    admin = make_admin(account)
    user = make_user(account)
    record("user.disabled", account_id=account.id, actor=admin, target=user, detail="for-bob")
    record("company.created", account_id=account.id, actor=admin, detail="for-company")
    db.session.commit()
    login(admin)
    page = client.get(f"/audit?user={user.id}").get_data(as_text=True)
    assert "for-bob" in page and "for-company" not in page
    assert client.get(f"/audit?user={make_user(other).id}").status_code == 404


def test_audit_is_paginated(client, login):
    account = make_account()
    admin = make_admin(account)
    for n in range(120):
        record("company.edited", account_id=account.id, actor=admin, detail=f"event-{n:03d}")
    db.session.commit()
    login(admin)
    first = client.get("/audit").get_data(as_text=True)
    assert "event-119" in first and "event-000" not in first and "Page 1 of 3" in first
    assert "event-000" in client.get("/audit?page=3").get_data(as_text=True)
    assert client.get("/audit?page=99").status_code == 200


def test_failed_logins_and_resets_reach_the_audit(client, login, mailbox):
    account = make_account()
    admin = make_admin(account)
    client.post("/login", data={"username": admin.username, "password": "wrong"})
    client.post("/reset-password", data={"email": admin.email})
    login(admin)
    page = client.get("/audit").get_data(as_text=True)
    assert "Login failed" in page and "Password reset requested" in page


def test_menu_links_audit_for_admins(client, login):
    login(make_admin(make_account()))
    assert 'href="/audit"' in client.get("/profile").get_data(as_text=True)


def test_requiring_2fa_without_a_mail_server_is_refused_with_the_reason(app, client, login):
    app.config["MAIL_SERVER"] = ""
    account = make_account()
    login(make_admin(account))
    assert "no mail server is configured" in client.get("/account").get_data(as_text=True)
    r = client.post("/account", data={"name": "Acme MSP Ltd", "two_factor": "required"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Two-factor login cannot be required yet: no mail server is configured" in page
    assert "MAIL_SERVER" in page
    acct = db.session.get(Account, account.id)
    assert (acct.name, acct.two_factor) == ("Acme MSP", "off")  # nothing half-saved


def test_2fa_already_required_can_still_be_switched_off_without_mail(app, client, login):
    app.config["MAIL_SERVER"] = ""
    account = make_account()
    admin = make_admin(account)
    login(admin)
    account.two_factor = "required"  # set while mail was configured
    db.session.commit()
    assert "login codes reach only the portal's log" in client.get("/account").get_data(as_text=True)
    assert client.post("/account", data={"name": "Acme MSP", "two_factor": "required"}).status_code == 302
    assert client.post("/account", data={"name": "Acme MSP", "two_factor": "off"}).status_code == 302
    assert db.session.get(Account, account.id).two_factor == "off"
