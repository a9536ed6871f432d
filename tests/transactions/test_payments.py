"""Payments back from Xero to ConnectWise (issue 14), against the simulator, on SQLite and
PostgreSQL: a payment recorded once whatever happens, the rules for partial, over- and deleted
payments, and payments the portal cannot match."""
from __future__ import annotations

from tests.transactions.payments_world import (cw_payments, delete_payment, money, paid_world, pay,  # noqa: F401
                                               payment_row, record_of, sync_payments, synced)
from tests.transactions.sync_world import app_config, books_sim, sync_sim  # noqa: F401
from wisesync.extensions import db


def test_an_invoice_paid_in_xero_is_paid_once_in_connectwise_and_shows_in_history(client, paid_world, sync_sim):
    entry = synced(paid_world)[0]
    pay(sync_sim.url, entry, entry.total, date="2026-03-02")
    data = sync_payments(client, paid_world.nz)
    assert data["status"] == "succeeded", data
    assert data["counts"]["posted"] == 1 and data["purpose"] == "payments"
    assert [r["psa_id"] for r in data["records"]] == [entry.psa_id]  # the unpaid invoices say nothing
    (held,) = cw_payments(sync_sim, entry)
    assert money(held["amount"]) == money(entry.total) and held["paymentDate"].startswith("2026-03-02")
    row = payment_row(paid_world.nz, entry)
    assert row.state == "posted" and row.psa_batch_id == held["id"] and money(row.total) == money(entry.total)
    again = sync_payments(client, paid_world.nz)
    assert again["status"] == "succeeded" and again["counts"]["posted"] == 0, again
    assert again["records"] == []
    assert len(cw_payments(sync_sim, entry)) == 1
    page = client.get(f"/sync/history?company={paid_world.nz.id}&state=posted").get_data(as_text=True)
    assert f'data-record="payment:{entry.psa_id}"' in page


def test_a_partial_payment_waits_and_the_whole_amount_is_recorded_once_paid_in_full(client, paid_world, sync_sim):
    entry = synced(paid_world)[0]
    pay(sync_sim.url, entry, "10.00", date="2026-03-01")
    first = sync_payments(client, paid_world.nz)
    assert record_of(first, entry)["state"] == "waiting"
    assert f"10.00 of {money(entry.total):,.2f}" in record_of(first, entry)["message"]
    assert cw_payments(sync_sim, entry) == [] and payment_row(paid_world.nz, entry).state == "waiting"
    pay(sync_sim.url, entry, money(entry.total) - money("10.00"), date="2026-03-09")
    second = sync_payments(client, paid_world.nz)
    assert record_of(second, entry)["state"] == "posted", second
    (held,) = cw_payments(sync_sim, entry)
    assert money(held["amount"]) == money(entry.total) and held["paymentDate"].startswith("2026-03-09")


def test_more_paid_in_xero_than_the_connectwise_total_records_the_total_and_says_so(client, paid_world, sync_sim):
    entry = synced(paid_world)[0]
    pay(sync_sim.url, entry, entry.total)
    entry.total = money(entry.total) - money("5.00")  # the Xero invoice was raised after the sync
    db.session.commit()
    data = sync_payments(client, paid_world.nz)
    record = record_of(data, entry)
    assert record["state"] == "posted" and "5.00 more than the ConnectWise total" in record["message"]
    (held,) = cw_payments(sync_sim, entry)
    assert money(held["amount"]) == money(entry.total)
    assert "more than the ConnectWise total" in payment_row(paid_world.nz, entry).reason


def test_a_payment_deleted_in_xero_after_it_was_recorded_is_flagged_not_undone(client, paid_world, sync_sim):
    entry = synced(paid_world)[0]
    payment = pay(sync_sim.url, entry, entry.total)
    sync_payments(client, paid_world.nz)
    delete_payment(sync_sim.url, payment)
    data = sync_payments(client, paid_world.nz)
    record = record_of(data, entry)
    assert record["state"] == "blocked" and "deleted in Xero after Wise-Sync recorded" in record["message"]
    assert "delete the payment on invoice" in record["fix"] and "Finance > Invoices" in record["fix"]
    assert len(cw_payments(sync_sim, entry)) == 1  # a person decides
    row = payment_row(paid_world.nz, entry)
    assert row.state == "posted" and row.fix and data["counts"]["blocked"] == 1
    pay(sync_sim.url, entry, entry.total)  # paid again in Xero: matches what ConnectWise holds
    settled = sync_payments(client, paid_world.nz)
    assert record_of(settled, entry)["state"] == "posted" and settled["counts"]["posted"] == 0
    assert payment_row(paid_world.nz, entry).fix == "" and len(cw_payments(sync_sim, entry)) == 1


def test_a_partial_payment_deleted_before_it_was_recorded_leaves_nothing(client, paid_world, sync_sim):
    entry = synced(paid_world)[0]
    payment = pay(sync_sim.url, entry, "10.00")
    sync_payments(client, paid_world.nz)
    delete_payment(sync_sim.url, payment)
    data = sync_payments(client, paid_world.nz)
    assert record_of(data, entry)["state"] == "ignored" and "no payment in Xero" in record_of(data, entry)["message"]
    assert payment_row(paid_world.nz, entry) is None and cw_payments(sync_sim, entry) == []


def test_a_payment_on_an_invoice_the_portal_never_synced_is_ignored_with_the_reason(app, client, paid_world, sync_sim):
    from wisesync.companies.xero import xero_client_for

    xero = xero_client_for(paid_world.nz)
    (typed,) = xero.put_invoices([{
        "Type": "ACCREC", "Contact": {"Name": "Walk-in customer"}, "Date": "2026-03-01", "DueDate": "2026-03-31",
        "Status": "AUTHORISED", "InvoiceNumber": "TYPED-1", "LineAmountTypes": "Exclusive",
        "LineItems": [{"Description": "Cable", "Quantity": 1, "UnitAmount": 20, "AccountCode": "4000"}]}], "typed-1")
    assert not typed.get("HasErrors"), typed
    pay(sync_sim.url, type("E", (), {"xero_id": typed["InvoiceID"]}), typed["Total"])
    data = sync_payments(client, paid_world.nz)
    (ignored,) = [r for r in data["records"] if r["state"] == "ignored"]
    assert ignored["number"] == "TYPED-1" and "never synced for this company" in ignored["message"]
    assert data["counts"]["ignored"] == 1 and data["counts"]["posted"] == 0
    assert sum(len(p) for p in sync_sim.state.cw_books.payments.values()) == 0


def test_a_deleted_payment_is_seen_even_if_xero_does_not_list_deleted_payments(client, paid_world, sync_sim,
                                                                               monkeypatch):
    from datetime import timedelta

    from wisesync.accounting.xero import XeroClient
    from wisesync.transactions import payments_run

    monkeypatch.setattr(payments_run, "OVERLAP", timedelta(0))  # the sync's invoices are not re-read
    real = XeroClient.payments
    # Whether Xero's GET /Payments returns deleted ones is not documented: the invoice read catches it.
    monkeypatch.setattr(XeroClient, "payments", lambda self, **kw: [
        p for p in real(self, **kw) if p.get("Status") != "DELETED"])
    entry = synced(paid_world)[0]
    payment = pay(sync_sim.url, entry, entry.total)
    sync_payments(client, paid_world.nz)
    delete_payment(sync_sim.url, payment)
    data = sync_payments(client, paid_world.nz)
    assert record_of(data, entry)["state"] == "blocked", data
