"""Helpers for the payment tests: a synced ConnectWise world whose NZ documents are created
AUTHORISED (Xero takes payments only on approved invoices), paying and deleting in Xero
through the simulator, and starting payment runs through the page."""
from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from tests.transactions.sync_world import build_world, wait_done
from wisesync.extensions import db
from wisesync.simulator.xero_data import NZ_TENANT_ID
from wisesync.transactions.models import LedgerEntry


@pytest.fixture
def paid_world(app, client, login, sync_sim):
    """The sync world with every NZ record synced (AUTHORISED in Xero, posted in ConnectWise)."""
    world = build_world(app, client, login, sync_sim)
    world.nz.document_status = "AUTHORISED"
    db.session.commit()
    response = client.post(f"/sync/{world.nz.id}", data={"all": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    data = wait_done(client, response.headers["Location"])
    assert data["status"] == "succeeded" and data["counts"]["posted"] >= 1, data
    return world


def synced(world, *, psa: str = "connectwise") -> list[LedgerEntry]:
    """The company's synced invoices (ledger rows in Xero), by PSA id."""
    return sorted(db.session.query(LedgerEntry).filter_by(company_id=world.nz.id, psa=psa, kind="invoice")
                  .filter(LedgerEntry.xero_id != "").all(), key=lambda e: int(e.psa_id))


def pay(sim_url: str, entry, amount, date: str | None = None, tenant: str = NZ_TENANT_ID) -> dict:
    body = {"invoice_id": entry.xero_id, "amount": str(amount)}
    if date:
        body["date"] = date
    response = requests.post(f"{sim_url}/_sim/xero/{tenant}/pay", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["payment"]


def delete_payment(sim_url: str, payment: dict, tenant: str = NZ_TENANT_ID) -> None:
    response = requests.post(f"{sim_url}/_sim/xero/{tenant}/payments/{payment['PaymentID']}/delete", timeout=10)
    assert response.status_code == 200, response.text


def sync_payments(client, company) -> dict:
    response = client.post(f"/sync/{company.id}/payments")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].startswith("/sync/runs/")
    return wait_done(client, response.headers["Location"])


def cw_payments(sim, entry) -> list[dict]:
    return sim.state.cw_books.payments_for(int(entry.psa_id))


def payment_row(company, entry) -> LedgerEntry | None:
    db.session.expire_all()
    return db.session.query(LedgerEntry).filter_by(company_id=company.id, kind="payment", psa_id=entry.psa_id).first()


def record_of(data: dict, entry) -> dict:
    return next(r for r in data["records"] if r["kind"] == "payment" and r["psa_id"] == entry.psa_id)


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
