"""Wise-Pay links without SQL (issue 13 #12): list, create (kind, name, owner), deactivate —
and the disable warning names what was created."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from tests.builders import make_account, make_admin, make_payment_link, make_user
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.users.models import PaymentLink


@pytest.fixture
def people(client, login):
    account = make_account()
    admin = make_admin(account, first_name="Ada", last_name="Admin")
    sam = make_user(account, first_name="Sam", last_name="Sync")
    login(admin)
    return account, admin, sam


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_create_a_link_and_the_disable_page_warns_about_it(client, people):
    account, admin, sam = people
    response = client.post("/users/wise-pay-links", data={"kind": "paynow", "name": "Invoice PayNow", "owner": sam.id})
    assert response.status_code == 303
    link = db.session.scalar(select(PaymentLink))
    assert (link.account_id, link.user_id, link.kind, link.name, link.active) == (account.id, sam.id, "paynow",
                                                                                 "Invoice PayNow", True)
    listing = text(client.get("/users/wise-pay-links"))
    assert "PayNow link 'Invoice PayNow' of Sam Sync is active." in listing
    assert "Invoice PayNow" in listing.split('id="payment-links"')[1]
    warning = text(client.get(f"/users/{sam.id}/disable"))
    assert "Wise-Pay links that will stop working" in warning and "PayNow link</strong>: Invoice PayNow" in warning
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment_link.created"))
    assert event.actor_id == admin.id and event.target_user_id == sam.id


def test_deactivate_stops_the_link_and_the_warning_no_longer_names_it(client, people):
    _, _, sam = people
    link = make_payment_link(sam, kind="email", name="Statement mail")
    response = client.post(f"/users/wise-pay-links/{link.id}/deactivate")
    assert response.status_code == 303
    db.session.refresh(link)
    assert link.active is False and link.deactivated_at is not None
    assert "None: Sam has no active Wise-Pay links." in text(client.get(f"/users/{sam.id}/disable"))
    assert "was already inactive" in text(client.post(f"/users/wise-pay-links/{link.id}/deactivate",
                                                      follow_redirects=True))
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "payment_link.deactivated")) \
        == "Email link 'Statement mail' of Sam Sync deactivated"


@pytest.mark.parametrize("data,field,message", [
    ({"kind": "cheque", "name": "X"}, "kind", "Not a valid choice"),
    ({"kind": "paynow", "name": ""}, "name", "Enter a name people will recognise"),
    ({"kind": "paynow", "name": "x" * 121}, "name", "at most 120 characters"),
    ({"kind": "paynow", "name": "X", "owner": "abc"}, "owner", "Choose the user the link belongs to."),
])
def test_bad_input_is_a_400_next_to_the_field_and_saves_nothing(client, people, data, field, message):
    _, _, sam = people
    response = client.post("/users/wise-pay-links", data={"owner": sam.id, **data})
    assert response.status_code == 400
    page = text(response)
    assert message in page.split(f'id="field-{field}"')[1].split('<div class="field')[0]
    assert db.session.scalar(select(PaymentLink)) is None


def test_a_disabled_or_foreign_owner_and_a_duplicate_name_are_refused(client, people):
    _, admin, sam = people
    gone = make_user(admin.account, first_name="Gus", last_name="Gone", enabled=False)
    stranger = make_user(make_account("Other MSP"))
    r = client.post("/users/wise-pay-links", data={"kind": "proxy", "name": "Proxy", "owner": gone.id})
    assert r.status_code == 400 and "Gus Gone is disabled" in text(r)
    r = client.post("/users/wise-pay-links", data={"kind": "proxy", "name": "Proxy", "owner": stranger.id})
    assert r.status_code == 400 and "Choose one of this account's users." in text(r)
    make_payment_link(sam, kind="proxy", name="Proxy")
    r = client.post("/users/wise-pay-links", data={"kind": "proxy", "name": "Proxy", "owner": sam.id})
    assert r.status_code == 400 and "Sam Sync already has an active Wise-Pay proxy called 'Proxy'" in text(r)
    assert db.session.query(PaymentLink).count() == 1
    assert "Gus Gone" not in text(client.get("/users/wise-pay-links")).split('id="owner"')[1].split("</select>")[0]


def test_only_this_accounts_admins(app, client, login):
    account = make_account()
    sam = make_user(account)
    link = make_payment_link(sam)
    login(sam)
    assert client.get("/users/wise-pay-links").status_code == 403
    assert "permission to manage Wise-Pay links" in text(client.post(f"/users/wise-pay-links/{link.id}/deactivate"))
    other = app.test_client()
    stranger = make_admin(make_account("Other MSP"))
    from tests.builders import DEFAULT_PASSWORD

    assert other.post("/login", data={"username": stranger.username, "password": DEFAULT_PASSWORD}).status_code == 302
    assert other.post(f"/users/wise-pay-links/{link.id}/deactivate").status_code == 404
    assert "Invoice PayNow" not in text(other.get("/users/wise-pay-links"))
    db.session.refresh(link)
    assert link.active is True
