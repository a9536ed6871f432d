"""The simulator's payment side the payment sync depends on: a customer "pays" an invoice
through ``/_sim/xero/<tenant>/pay``, a payment is deleted through the API
(``POST /Payments/{id}`` ``{"Status": "DELETED"}``, checked against the spec) or the helper, and
``GET /Payments`` with ``If-Modified-Since`` shows both; the Flask-free client reads them."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import requests

from tests.xero_spec import SimApi, sim_tokens, specs_available
from wisesync.accounting.xero import XeroClient, XeroSettings, parse_ms_date
from wisesync.simulator.xero_data import AU_TENANT_ID, NZ_TENANT_ID

pytestmark = [
    pytest.mark.skipif(not specs_available(),
                       reason="!!! Xero OpenAPI fixtures not found: XERO CONTRACT NOT CHECKED !!!"),
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")]


@pytest.fixture
def api(psa_sim):
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()
    tokens = sim_tokens(psa_sim.url, [NZ_TENANT_ID, AU_TENANT_ID])
    yield SimApi(psa_sim.url, tokens["access_token"], NZ_TENANT_ID)
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()


def _invoice(api, number: str, status: str = "AUTHORISED") -> dict:
    body = {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "Date": "2026-01-15",
                          "DueDate": "2026-02-14", "Status": status, "InvoiceNumber": number,
                          "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": 100,
                                         "AccountCode": "4000"}]}]}
    answer = api.put("Invoices", body)
    assert answer.status_code == 200, answer.text
    return answer.json()["Invoices"][0]


def _pay(api, **body) -> requests.Response:
    return requests.post(f"{api.base}/_sim/xero/{NZ_TENANT_ID}/pay", json=body, timeout=10)


def _now(api, invoice_id: str) -> dict:
    return api.get(f"Invoices/{invoice_id}").json()["Invoices"][0]


def test_the_pay_helper_follows_the_payment_rules(api):
    invoice = _invoice(api, "INV-P1")  # 115.00 with NZ GST
    draft = _invoice(api, "INV-P2", status="DRAFT")
    part = _pay(api, invoice_number="INV-P1", amount="40.00", date="2026-02-01")
    assert part.status_code == 200, part.text
    assert part.json()["payment"]["Invoice"]["InvoiceID"] == invoice["InvoiceID"]
    assert _pay(api, invoice_id=invoice["InvoiceID"], amount="80").json() == {
        "errors": ["Payment amount exceeds the amount outstanding on this document"]}
    assert _pay(api, invoice_id=draft["InvoiceID"], amount="1").json() == {
        "errors": ["Invoice not of valid status for payment"]}
    rest = _pay(api, invoice_id=invoice["InvoiceID"], amount="75.00", date="2026-02-10")
    assert rest.status_code == 200
    now = _now(api, invoice["InvoiceID"])
    assert (now["Status"], now["AmountPaid"], now["AmountDue"]) == ("PAID", 115, 0)


def test_a_payment_deleted_through_the_api_makes_the_invoice_due_again(api):
    invoice = _invoice(api, "INV-D1")
    payment = _pay(api, invoice_number="INV-D1", amount="115.00").json()["payment"]
    assert _now(api, invoice["InvoiceID"])["Status"] == "PAID"
    answer = api.post(f"Payments/{payment['PaymentID']}", {"Status": "DELETED"})  # PaymentDelete
    assert answer.status_code == 200, answer.text
    assert answer.json()["Payments"][0]["Status"] == "DELETED"
    now = _now(api, invoice["InvoiceID"])
    assert (now["Status"], now["AmountPaid"], now["AmountDue"], now["Payments"]) == ("AUTHORISED", 0, 115, [])
    again = api.call("POST", f"Payments/{payment['PaymentID']}", json={"Payments": [{"Status": "DELETED"}]},
                     check=False)  # the spec's example wraps it; the simulator takes both
    assert [e["Message"] for e in again.json()["Payments"][0]["ValidationErrors"]] == [
        "Payment has already been deleted"]
    other = _pay(api, invoice_number="INV-D1", amount="10").json()["payment"]
    gone = requests.post(f"{api.base}/_sim/xero/{NZ_TENANT_ID}/payments/{other['PaymentID']}/delete", timeout=10)
    assert gone.status_code == 200 and gone.json()["payment"]["Status"] == "DELETED"


def test_the_client_reads_payments_changed_since_a_moment_deleted_ones_included(api, psa_sim):
    first = _invoice(api, "INV-C1")
    second = _invoice(api, "INV-C2")
    old = _pay(api, invoice_id=first["InvoiceID"], amount="15").json()["payment"]
    psa_sim.state.xero.advance(120)
    since = psa_sim.state.xero.utcnow() - timedelta(seconds=1)
    psa_sim.state.xero.advance(60)
    new = _pay(api, invoice_id=second["InvoiceID"], amount="115").json()["payment"]
    requests.post(f"{api.base}/_sim/xero/{NZ_TENANT_ID}/payments/{old['PaymentID']}/delete", timeout=10)
    settings = XeroSettings("simxero", "simxero-secret", api.base, api.base, api.base + "/xero/api",
                            allow_local=True)
    client = XeroClient(settings, api.access_token, NZ_TENANT_ID)
    changed = {p["PaymentID"]: p for p in client.payments(modified_since=since)}
    assert set(changed) == {old["PaymentID"], new["PaymentID"]}
    assert changed[old["PaymentID"]]["Status"] == "DELETED"
    assert changed[new["PaymentID"]]["Amount"] == Decimal("115.00")
    assert parse_ms_date(changed[new["PaymentID"]]["UpdatedDateUTC"]) >= since
    assert len(client.payments()) == 2
