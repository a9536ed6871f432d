"""The same payment is never recorded twice in ConnectWise (issue 14): a lost answer after the
PSA took the payment, a worker killed between the PSA write and the ledger, two runs at once;
and the failures that stop a payment run say the cause and the fix. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.transactions.payments_world import (cw_payments, paid_world, pay, payment_row,  # noqa: F401
                                               record_of, sync_payments, synced)
from tests.transactions.sync_world import app_config, books_sim, sync_sim  # noqa: F401
from wisesync.extensions import db
from wisesync.simulator.faults import Fault
from wisesync.transactions import payments_run, services
from wisesync.transactions.models import TransactionRun


class Killed(BaseException):
    """What SIGKILL does to the worker: nothing after this line runs, no handler sees it."""


def test_a_lost_answer_after_connectwise_took_the_payment_is_found_there_not_posted_again(
        client, paid_world, sync_sim):
    entry = synced(paid_world)[0]
    pay(sync_sim.url, entry, entry.total)
    # The run reads the invoice's payments first (passes), then POSTs: that answer is lost.
    sync_sim.state.faults.add(Fault(kind="drop", target="cw-rest", path="/payments", after=1, count=1))
    first = sync_payments(client, paid_world.nz)
    assert record_of(first, entry)["state"] == "failed", first
    assert len(cw_payments(sync_sim, entry)) == 1  # ConnectWise did take it
    assert payment_row(paid_world.nz, entry).state == "failed"
    again = sync_payments(client, paid_world.nz)
    assert again["counts"]["adopted"] == 1 and again["counts"]["posted"] == 0, again
    assert record_of(again, entry)["state"] == "posted"
    assert len(cw_payments(sync_sim, entry)) == 1
    row = payment_row(paid_world.nz, entry)
    assert row.state == "posted" and row.adopted and row.psa_batch_id == cw_payments(sync_sim, entry)[0]["id"]


def test_a_worker_killed_after_the_psa_write_is_finished_without_a_second_payment(
        app, client, paid_world, sync_sim, monkeypatch):
    from wisesync.transactions.payments_psa import ConnectWiseSide

    entries = synced(paid_world)[:3]
    for entry in entries:
        pay(sync_sim.url, entry, entry.total)
    monkeypatch.setattr(payments_run, "enqueue_payments", lambda run_id: None)
    real, written = ConnectWiseSide.write, []

    def write_then_killed(self, invoice_id, amount, day):
        result = real(self, invoice_id, amount, day)
        written.append(invoice_id)
        if len(written) == 2:
            raise Killed()
        return result

    monkeypatch.setattr(ConnectWiseSide, "write", write_then_killed)
    run, _ = payments_run.start_payments(paid_world.nz, actor=paid_world.admin)
    with pytest.raises(Killed):
        payments_run.execute(run.id)
    monkeypatch.setattr(ConnectWiseSide, "write", real)
    db.session.rollback()
    states = {e.psa_id: payment_row(paid_world.nz, e).state for e in entries if payment_row(paid_world.nz, e)}
    assert sorted(states.values()) == ["posted", "pushing"]  # the third was never reached

    assert services.mark_abandoned_runs() == 1  # the worker restarts
    second, started = payments_run.start_payments(paid_world.nz, actor=paid_world.admin)
    assert started
    payments_run.execute(second.id)
    data = payments_run.progress(db.session.get(TransactionRun, second.id))
    assert data["status"] == "succeeded", data
    assert (data["counts"]["adopted"], data["counts"]["posted"]) == (1, 1), data["counts"]
    for entry in entries:
        assert len(cw_payments(sync_sim, entry)) == 1, entry.psa_id
        assert payment_row(paid_world.nz, entry).state == "posted"


def test_a_payment_entered_in_connectwise_by_hand_is_not_doubled(client, paid_world, sync_sim):
    from decimal import Decimal

    entry = synced(paid_world)[0]
    sync_sim.state.cw_books.add_payment(int(entry.psa_id), Decimal("1.00"), "Cash", "2026-03-01T00:00:00Z", "jsmith")
    pay(sync_sim.url, entry, entry.total)
    data = sync_payments(client, paid_world.nz)
    record = record_of(data, entry)
    assert record["state"] == "blocked" and "already holds a payment of 1.00" in record["message"], record
    assert len(cw_payments(sync_sim, entry)) == 1


def test_a_missing_invoicing_right_stops_the_run_with_the_fix(client, paid_world, sync_sim):
    entry = synced(paid_world)[0]
    pay(sync_sim.url, entry, entry.total)
    sync_sim.state.faults.add(Fault(kind="deny", target="cw-rest", right="payments"))
    data = sync_payments(client, paid_world.nz)
    assert data["status"] == "failed" and "Finance > Invoicing" in data["fix"], data
    assert record_of(data, entry)["state"] == "failed" and cw_payments(sync_sim, entry) == []
    sync_sim.state.faults.clear()
    again = sync_payments(client, paid_world.nz)
    assert again["status"] == "succeeded" and again["counts"]["posted"] == 1
    assert len(cw_payments(sync_sim, entry)) == 1


def test_a_revoked_xero_grant_fails_the_run_saying_reconnect(client, paid_world, sync_sim):
    from wisesync.companies.xero_models import STATUS_RECONNECT

    connection = paid_world.nz.xero
    connection.status, connection.status_reason = STATUS_RECONNECT, "invalid_grant"
    db.session.commit()
    data = sync_payments(client, paid_world.nz)
    assert data["status"] == "failed" and "Reconnect Xero" in data["fix"], data


def test_xero_asking_to_wait_an_hour_fails_the_run_with_when_to_try_again(client, paid_world, sync_sim):
    sync_sim.state.faults.add(Fault(kind="429", target="xero", path="Payments", retry_after=7200))
    data = sync_payments(client, paid_world.nz)
    assert data["status"] == "failed" and data["message"], data
    assert "Xero kept refusing calls for the payments" in data["message"]
    assert data["fix"].startswith("Sync again in about 2 hours")


def test_a_payment_run_and_a_sync_of_one_company_never_run_at_once(app, client, paid_world, monkeypatch):
    from wisesync.transactions import run as run_module

    monkeypatch.setattr(payments_run, "enqueue_payments", lambda run_id: None)
    monkeypatch.setattr(run_module, "enqueue_sync", lambda run_id: None)
    queued, started = payments_run.start_payments(paid_world.nz, actor=paid_world.admin)
    assert started
    again = client.post(f"/sync/{paid_world.nz.id}/payments")
    assert again.status_code == 303 and again.headers["Location"] == f"/sync/runs/{queued.id}"
    sync = client.post(f"/sync/{paid_world.nz.id}", data={"all": "1"})
    assert sync.status_code == 303 and sync.headers["Location"] == f"/sync/runs/{queued.id}"
    assert db.session.query(TransactionRun).filter_by(purpose="payments").count() == 1
