"""Payments back to Autotask end to end (issue 14): an invoice the Autotask sync put in Xero is
paid there, and the payment run gives it its paid date in Autotask — on the ledger rows the
Autotask sync itself wrote."""
from __future__ import annotations

from datetime import date

from tests.transactions.autotask_world import FIRST, at_world, entries  # noqa: F401
from tests.transactions.payments_world import pay, record_of, sync_payments
from tests.transactions.sync_world import app_config, books_sim, start_sync, sync_sim, wait_done  # noqa: F401
from wisesync.extensions import db
from wisesync.transactions.models import LedgerEntry

INVOICE = FIRST + 0  # 10001: unsynced, NZ's level, not voided (test_autotask_run uses it too)


def test_an_invoice_synced_from_autotask_and_paid_in_xero_gets_its_paid_date(client, at_world, sync_sim):
    at_world.nz.document_status = "AUTHORISED"
    db.session.commit()
    data = wait_done(client, start_sync(client, at_world.nz, records=[f"invoice:{INVOICE}"]))
    assert data["status"] == "succeeded" and data["counts"]["posted"] == 1, data
    entry = entries(at_world.nz)[str(INVOICE)]
    assert at_world.invoice(INVOICE)["paidDate"] is None
    pay(sync_sim.url, entry, entry.total, date="2026-05-04")
    paid = sync_payments(client, at_world.nz)
    assert paid["status"] == "succeeded" and paid["counts"]["posted"] == 1, paid
    assert record_of(paid, entry)["state"] == "posted"
    assert at_world.invoice(INVOICE)["paidDate"].startswith("2026-05-04")
    row = db.session.query(LedgerEntry).filter_by(company_id=at_world.nz.id, psa="autotask", kind="payment",
                                                  psa_id=str(INVOICE)).one()
    assert row.state == "posted" and row.document_date == date(2026, 5, 4) and row.xero_id == entry.xero_id
    assert sync_payments(client, at_world.nz)["counts"]["posted"] == 0
    assert date.fromisoformat(at_world.invoice(INVOICE)["paidDate"][:10]) == date(2026, 5, 4)
