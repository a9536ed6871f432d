"""Payments back to Autotask (issue 14): a Xero payment that settles a synced invoice becomes the
invoice's paid date in Autotask, once, whatever answer is lost; a partly paid one waits. The
invoices' ledger rows are written here directly (the Autotask sync lands separately)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.builders import make_account, make_admin, make_company
from tests.companies.xero_flow import connect
from tests.integrations.helpers import save_at_settings
from tests.transactions.payments_world import pay, payment_row, record_of, sync_payments
from tests.transactions.sync_world import NZ_CODES, app_config, books_sim, sync_sim  # noqa: F401
from wisesync.extensions import db
from wisesync.integrations.clients import account_autotask_client
from wisesync.psa.autotask_payments import AutotaskPayments
from wisesync.simulator import at_data
from wisesync.simulator.faults import Fault
from wisesync.simulator.xero_data import NZ_TENANT_ID
from wisesync.transactions.models import LedgerEntry


@pytest.fixture
def at_world(app, client, login, sync_sim):
    account = make_account("Tasked MSP", "autotask")
    save_at_settings(account)
    company = make_company(account, "Tasked NZ Ltd", **NZ_CODES)
    company.document_status = "AUTHORISED"
    admin = make_admin(account)
    login(admin)
    assert connect(client, company, tenant_ids=(NZ_TENANT_ID,)).status_code == 303
    db.session.expire_all()
    payments = AutotaskPayments(account_autotask_client(account))
    # Two live, unpaid seed invoices (the seed pays some of those it calls synced).
    ids = [at_data.BASE_IDS["Invoices"] + i for i in range(1, 60)]
    unpaid = [i for i in ids if payments.paid_date(i) is None][:2]
    from wisesync.companies.xero import xero_client_for

    xero = xero_client_for(company)
    entries = []
    for n, invoice_id in enumerate(unpaid):
        number = f"AT-{invoice_id}"
        (doc,) = xero.put_invoices([{
            "Type": "ACCREC", "Contact": {"Name": "Tasked customer"}, "Date": "2026-04-01", "DueDate": "2026-05-01",
            "Status": "AUTHORISED", "InvoiceNumber": number, "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Support", "Quantity": 1, "UnitAmount": 100 + n, "AccountCode": "4000"}]}],
            f"at-{invoice_id}")
        entry = LedgerEntry(account_id=account.id, company_id=company.id, psa="autotask", kind="invoice",
                            psa_id=str(invoice_id), number=number, counterparty="Tasked customer",
                            total=doc["Total"], currency="NZD", state="posted", xero_id=doc["InvoiceID"],
                            xero_number=number, xero_type="ACCREC")
        db.session.add(entry)
        entries.append(entry)
    db.session.commit()
    return company, payments, entries


def test_an_invoice_paid_in_full_in_xero_gets_its_paid_date_in_autotask_once(client, at_world, sync_sim):
    company, payments, (full, partly) = at_world
    pay(sync_sim.url, full, full.total, date="2026-04-03")
    pay(sync_sim.url, partly, "10.00", date="2026-04-03")
    data = sync_payments(client, company)
    assert data["status"] == "succeeded", data
    assert record_of(data, full)["state"] == "posted" and "its paid date" in record_of(data, full)["message"]
    assert record_of(data, partly)["state"] == "waiting"
    assert "Autotask keeps only the date" in record_of(data, partly)["message"]
    assert payments.paid_date(int(full.psa_id)) == date(2026, 4, 3)
    assert payments.paid_date(int(partly.psa_id)) is None
    again = sync_payments(client, company)
    assert again["counts"]["posted"] == 0 and payments.paid_date(int(full.psa_id)) == date(2026, 4, 3)


def test_a_lost_autotask_answer_is_adopted_on_the_next_run(client, at_world, sync_sim):
    company, payments, (entry, _other) = at_world
    pay(sync_sim.url, entry, entry.total, date="2026-04-05")
    # The run reads the invoice (passes), then PATCHes it: that answer is lost.
    sync_sim.state.faults.add(Fault(kind="drop", target="at", path="Invoices", after=1, count=1))
    first = sync_payments(client, company)
    assert record_of(first, entry)["state"] == "failed", first
    assert payments.paid_date(int(entry.psa_id)) == date(2026, 4, 5)  # Autotask took it
    again = sync_payments(client, company)
    assert again["counts"]["adopted"] == 1 and again["counts"]["posted"] == 0, again
    assert payment_row(company, entry).state == "posted"


def test_an_autotask_refusal_is_named_on_the_invoice_with_the_fix(client, at_world, sync_sim):
    company, payments, (entry, _other) = at_world
    pay(sync_sim.url, entry, Decimal(entry.total))
    sync_sim.state.faults.add(Fault(kind="500", target="at", path="Invoices", after=1))
    data = sync_payments(client, company)
    record = record_of(data, entry)
    assert record["state"] == "failed", record
    assert record["message"].startswith(f"Invoice {entry.number}: Autotask did not record the payment")
    assert record["fix"] and data["fix"]
    sync_sim.state.faults.clear()
    assert payments.paid_date(int(entry.psa_id)) is None
