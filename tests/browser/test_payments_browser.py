"""Payments back in a real browser (Debian chromium) with a real job worker (issue 14): an
invoice synced to Xero as approved is paid there in full; *Sync payments now* on the review
page opens the payment run, whose page follows the worker to the end by itself, ConnectWise
holds one payment, and the history lists it linked to the invoice in (the simulated) Xero."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests

from tests.browser.steps import connect_connectwise, set_up_portal
from tests.browser.test_sync_browser import sync_worker, xero_env  # noqa: F401
from wisesync.simulator.xero_data import NZ_TENANT_ID

pytestmark = pytest.mark.browser
DONE = "() => document.querySelector('#sync-run').dataset.status === 'succeeded'"


def test_sync_payments_now_records_the_xero_payment_in_connectwise(live_portal, sync_worker, browser,  # noqa: F811
                                                                   psa_sim, screenshot_dir):
    requests.post(psa_sim.url + "/_sim/reset", timeout=10).raise_for_status()
    env = xero_env(psa_sim.url)
    url = live_portal(env)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    sync_worker(url, env)
    connect_connectwise(page, url, psa_sim.url)
    page.click("text=A pull has started — follow its progress.")
    page.wait_for_function(DONE, timeout=60000)

    # One company for every location, its documents approved in Xero so they can be paid.
    page.goto(url + "/companies/new")
    page.fill("#name", "Acme NZ Ltd")
    page.fill("#sales_tax_code", "OUTPUT2")
    page.fill("#purchase_tax_code", "INPUT2")
    page.click("main button:has-text('Add company')")
    page.click("table a:has-text('Acme NZ Ltd')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))
    page.click("#xero button:has-text('Connect Xero')")
    page.check("text=Wisesim NZ Ltd")
    page.click("button:has-text('Allow access')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))
    page.select_option("#sales_exempt_tax_code", "EXEMPTOUTPUT")
    page.select_option("#purchase_exempt_tax_code", "EXEMPTINPUT")
    page.check("input[name=document_status][value=AUTHORISED]")
    page.click("main button:has-text('Save company')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))

    page.click("nav.menu a:has-text('Sync')")
    page.click("#sync-companies a:has-text('Review')")
    page.wait_for_url(re.compile(r".*/sync/\d+$"))
    review = page.url
    page.check("tr[data-record='invoice:1'] input[name=records]")
    page.click("#sync-selected")
    page.wait_for_function(DONE, timeout=60000)

    # The customer pays the invoice in Xero.
    docs = requests.get(f"{psa_sim.url}/_sim/xero/{NZ_TENANT_ID}/documents", timeout=10).json()
    (invoice,) = [d for d in docs["invoices"] if d["InvoiceNumber"] == "10001"]
    paid = requests.post(f"{psa_sim.url}/_sim/xero/{NZ_TENANT_ID}/pay", timeout=10,
                         json={"invoice_id": invoice["InvoiceID"], "amount": str(invoice["Total"])})
    assert paid.status_code == 200, paid.text

    page.goto(review)
    page.screenshot(path=str(screenshot_dir / "payments-review-button.png"))
    page.click("#sync-payments")
    page.wait_for_url(re.compile(r".*/sync/runs/\d+$"))
    assert "Payment sync #" in page.inner_text("h1")
    page.wait_for_function(DONE, timeout=60000)
    assert page.inner_text("[data-count=posted]") == "1"
    assert "paid in full in Xero" in page.inner_text("tr[data-record='payment:1']")
    (held,) = psa_sim.state.cw_books.payments_for(1)
    assert Decimal(str(held["amount"])) == Decimal(str(invoice["Total"]))
    page.screenshot(path=str(screenshot_dir / "payments-run-finished.png"), full_page=True)

    page.click("text=See Acme NZ Ltd's history")
    page.wait_for_url("**/sync/history**")
    link = page.locator("tr[data-record='payment:1'] a.xero-link").get_attribute("href")
    assert requests.get(link, timeout=10).json()["document"]["Status"] == "PAID"
