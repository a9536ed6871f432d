"""Linked Xero contacts are updated from the PSA billing details on later syncs (DESIGN §10.1):
only when what the PSA has differs from what was last sent, by ContactID, and a new name
another Xero contact holds is a warning on the record — the document is sent all the same."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from tests.transactions.sync_world import (app_config, by_key, start_sync, sync_sim,  # noqa: F401
                                           wait_done, world)
from wisesync.extensions import db
from wisesync.simulator.xero_data import NZ_TENANT_ID
from wisesync.transactions.models import XeroContactLink

# Ten companies, so invoices 1, 11 and 21 (all Auckland, NZ) are the same customer: company 1.
CUSTOMER = "Tidewater Medical Group"


@pytest.fixture(scope="module")
def books_sim():
    from wisesync.simulator.server import RunningSim

    with RunningSim(records=10, sizes={"invoices": 30, "procurement": 8}) as sim:
        yield sim


def sync(client, company, *records) -> dict:
    data = wait_done(client, start_sync(client, company, records=list(records)))
    assert data["status"] == "succeeded", data
    return data


def change_company(sim, company_id: int, **values) -> None:
    """A person edits the company in ConnectWise (its billing e-mail, address...)."""
    requests.post(f"{sim.url}/_sim/records", timeout=10, json={
        "psa": "cw", "collection": "company/companies", "id": company_id, "set": values}).raise_for_status()


def contacts(world) -> list[dict]:
    return world.documents(NZ_TENANT_ID)["contacts"]


def customer_contact(world) -> dict:
    link = db.session.scalar(select(XeroContactLink).where(XeroContactLink.company_id == world.nz.id,
                                                           XeroContactLink.counterparty_id == "1"))
    return next(c for c in contacts(world) if c["ContactID"] == link.contact_id)


@pytest.fixture
def counted(sync_sim, monkeypatch):
    """Every Xero write the app makes, as (method, resource)."""
    from wisesync.accounting import xero_http

    calls, attempt = [], xero_http.XeroTransport._attempt

    def counting(self, method, url, **kwargs):
        calls.append((method, url.rsplit("/", 1)[-1].split("?")[0].lower()))
        return attempt(self, method, url, **kwargs)

    monkeypatch.setattr(xero_http.XeroTransport, "_attempt", counting)
    return calls


def test_a_changed_billing_email_and_address_update_the_linked_contact(client, world, sync_sim, counted):
    assert by_key(sync(client, world.nz, "invoice:1"))["invoice:1"]["state"] == "posted"
    first = customer_contact(world)
    assert first["Name"] == CUSTOMER
    change_company(sync_sim, 1, invoiceToEmailAddress="accounts@tidewater.example",
                   addressLine1="1 Harbour Quay", city="Wellington", zip="6011")
    counted.clear()
    records = by_key(sync(client, world.nz, "invoice:11"))
    assert records["invoice:11"]["state"] == "posted" and records["invoice:11"]["message"] == ""
    assert counted.count(("POST", "contacts")) == 1
    updated = customer_contact(world)
    assert updated["ContactID"] == first["ContactID"] and updated["EmailAddress"] == "accounts@tidewater.example"
    assert updated["Addresses"][0]["AddressLine1"] == "1 Harbour Quay"
    assert updated["Addresses"][0]["City"] == "Wellington"
    assert [c["Name"] for c in contacts(world)].count(CUSTOMER) == 1  # updated, never a second contact
    invoice = next(d for d in world.documents(NZ_TENANT_ID)["invoices"] if d["InvoiceNumber"] == "10011")
    assert invoice["Contact"]["ContactID"] == first["ContactID"]


def test_unchanged_details_are_not_sent_again(client, world, sync_sim, counted):
    sync(client, world.nz, "invoice:1")
    sync(client, world.nz, "invoice:11")  # sends the address the inline contact could not carry
    link = db.session.scalar(select(XeroContactLink).where(XeroContactLink.counterparty_id == "1"))
    assert len(link.sent_fingerprint) == 64
    counted.clear()
    records = by_key(sync(client, world.nz, "invoice:21"))
    assert records["invoice:21"]["state"] == "posted"
    assert ("POST", "contacts") not in counted
    change_company(sync_sim, 1, invoiceToEmailAddress="ap@tidewater.example")
    counted.clear()
    sync(client, world.nz, "invoice:3")  # another customer: company 1's contact is left alone
    assert ("POST", "contacts") not in counted
    assert customer_contact(world)["EmailAddress"] != "ap@tidewater.example"


def test_a_name_another_contact_holds_is_a_warning_and_the_invoice_still_posts(client, world, sync_sim):
    from wisesync.companies.xero import xero_client_for

    sync(client, world.nz, "invoice:1")
    ours = customer_contact(world)
    xero = xero_client_for(world.nz)
    # In Xero, someone renamed our contact and gave its old name to another one.
    xero.update_contacts([{"ContactID": ours["ContactID"], "Name": "Tidewater (old)"}], "test-rename-1")
    xero.put_contacts([{"Name": CUSTOMER, "ContactNumber": "SOMEONE-ELSE"}], "test-other-1")
    change_company(sync_sim, 1, invoiceToEmailAddress="accounts@tidewater.example")
    records = by_key(sync(client, world.nz, "invoice:11"))
    record = records["invoice:11"]
    assert record["state"] == "posted", record
    assert "Invoice 10011" in record["message"] and CUSTOMER in record["message"]
    assert "another contact of that name" in record["message"] and "e-mail" in record["message"]
    assert "Rename one of the two" in record["fix"]
    kept = customer_contact(world)
    assert kept["Name"] == "Tidewater (old)" and kept["EmailAddress"] == "accounts@tidewater.example"
    assert [c["Name"] for c in contacts(world)].count(CUSTOMER) == 1
    invoice = next(d for d in world.documents(NZ_TENANT_ID)["invoices"] if d["InvoiceNumber"] == "10011")
    assert invoice["Contact"]["ContactID"] == ours["ContactID"]


def test_a_xero_failure_updating_contacts_never_holds_the_invoice_back(client, world, sync_sim):
    from wisesync.simulator.faults import Fault

    sync(client, world.nz, "invoice:1")
    change_company(sync_sim, 1, invoiceToEmailAddress="accounts@tidewater.example")
    # Xero keeps failing on Contacts (the only Contacts call this sync makes is the update:
    # the customer is linked, so it is not looked up).
    sync_sim.state.faults.add(Fault(kind="500", target="xero", path="/Contacts"))
    records = by_key(sync(client, world.nz, "invoice:11"))
    record = records["invoice:11"]
    assert record["state"] == "posted", record
    assert "not updated" in record["message"] and "next sync" in record["fix"]
    sync_sim.state.faults.clear()
    sync(client, world.nz, "invoice:21")  # the next sync sends them
    assert customer_contact(world)["EmailAddress"] == "accounts@tidewater.example"


def test_the_client_updates_by_contact_id_only_and_xero_replays_a_repeated_call(world):
    from wisesync.companies.xero import xero_client_for

    xero = xero_client_for(world.nz)
    with pytest.raises(ValueError):
        xero.update_contacts([{"Name": "No id"}], "test-update-0")
    created = xero.put_contacts([{"Name": "Kauri Ltd", "ContactNumber": "KAURI1"}], "test-create-1")[0]
    change = [{"ContactID": created["ContactID"], "EmailAddress": "ap@kauri.example"}]
    first = xero.update_contacts(change, "test-update-1")[0]
    again = xero.update_contacts(change, "test-update-1")[0]  # a retry after a lost answer: replayed
    assert first["EmailAddress"] == again["EmailAddress"] == "ap@kauri.example"
    assert first["ContactID"] == created["ContactID"] and first["Name"] == "Kauri Ltd"  # the rest kept
    assert [c["Name"] for c in contacts(world)].count("Kauri Ltd") == 1
    gone = xero.update_contacts([{"ContactID": "00000000-0000-0000-0000-0000000000aa", "Name": "X"}],
                                "test-update-2")[0]
    assert gone["ValidationErrors"] and gone["ContactID"] == "00000000-0000-0000-0000-000000000000"
