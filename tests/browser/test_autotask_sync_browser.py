"""An Autotask sync in a real browser (Debian chromium) with a real job worker, on the demo data
(issue 14): an admin sets up an Autotask account against the simulator, connects a company to
the NZ demo organisation, reviews the Autotask invoices with no web service date (a credit note
among them, Australian ones blocked with the reason), ticks two, Sync selected, follows the run
to the end, and the invoices leave the review because Autotask now has their web service date;
the history links each to its document in (the simulated) Xero."""
from __future__ import annotations

import re

import pytest
import requests

from tests.browser.steps import connect_xero, set_up_portal
from tests.browser.test_sync_browser import sync_worker, xero_env  # noqa: F401
from wisesync.simulator import at_data, demo

pytestmark = pytest.mark.browser
FIRST = at_data.BASE_IDS["Invoices"]
NZ_INVOICE, NZ_THIRDS, NZ_CREDIT, AU_INVOICE = FIRST, FIRST + 23, FIRST + 53, FIRST + 2


def set_up_autotask_portal(page, url: str, sim_url: str) -> None:
    set_up_portal(page, url, psa="autotask", account="Tasked MSP")
    page.goto(url + "/integrations")
    page.fill("#at_username", demo.AT_API_USERNAME)
    page.fill("#at_secret", demo.AT_API_SECRET)
    page.fill("#at_integration_code", demo.AT_INTEGRATION_CODE)
    page.click("button:has-text('Test and Save')")
    page.wait_for_load_state()
    assert "Connected and saved" in page.inner_text("main"), page.inner_text("main")


def test_an_autotask_sync_from_review_to_marked_invoices_and_history(live_portal, sync_worker, browser,  # noqa: F811
                                                                     psa_sim, sim_faults, screenshot_dir):
    requests.post(psa_sim.url + "/_sim/reset", timeout=10).raise_for_status()
    env = {**xero_env(psa_sim.url),
           "WISESYNC_AUTOTASK_ZONE_LOOKUP_URL": psa_sim.url + "/atservicesrest/v1.0/zoneInformation"}
    url = live_portal(env)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_autotask_portal(page, url, psa_sim.url)
    sync_worker(url, env)

    page.goto(url + "/companies/new")
    page.fill("#name", "Tasked NZ Ltd")
    page.fill("#sales_tax_code", "OUTPUT2")
    page.fill("#purchase_tax_code", "INPUT2")
    page.click("main button:has-text('Add company')")
    page.wait_for_url("**/companies/")
    connect_xero(page, url, psa_sim.url, "Tasked NZ Ltd")

    # The review: Autotask's invoices with no web service date, each with its state.
    page.click("nav.menu a:has-text('Sync')")
    page.wait_for_url("**/sync/")
    assert "Tasked NZ Ltd" in page.inner_text("#sync-companies")
    page.click("#sync-companies a:has-text('Review')")
    page.wait_for_url(re.compile(r".*/sync/\d+$"))
    facts = page.inner_text("#sync-facts")
    assert "Autotask identity" in facts and "the Autotask API user in Integration Settings" in facts
    assert page.get_attribute(f"tr[data-record='invoice:{NZ_INVOICE}']", "data-state") == "new"
    assert page.get_attribute(f"tr[data-record='credit:{NZ_CREDIT}']", "data-state") == "new"
    assert page.get_attribute(f"tr[data-record='invoice:{AU_INVOICE}']", "data-state") == "blocked"
    assert page.is_disabled(f"tr[data-record='invoice:{AU_INVOICE}'] input[name=records]")
    assert "Autotask's total is" in page.inner_text(f"tr[data-record='invoice:{AU_INVOICE}']")
    assert page.locator(f"tr[data-record='invoice:{FIRST + 1}']").count() == 0  # synced before
    page.screenshot(path=str(screenshot_dir / "autotask-sync-review.png"))

    # Sync an invoice billed in thirds of an hour and a credit note.
    page.check(f"tr[data-record='invoice:{NZ_THIRDS}'] input[name=records]")
    page.check(f"tr[data-record='credit:{NZ_CREDIT}'] input[name=records]")
    page.click("#sync-selected")
    page.wait_for_url(re.compile(r".*/sync/runs/\d+$"))
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'succeeded'",
                           timeout=60000)
    assert page.inner_text("[data-count=posted]") == "2"
    assert "Posted in Autotask" in page.inner_text("main")
    records = page.inner_text("#run-records")
    assert "10024" in records and "10054" in records
    page.screenshot(path=str(screenshot_dir / "autotask-sync-run-finished.png"), full_page=True)

    # Autotask has their web service dates now: they left the review.
    page.goto(page.url.split("/sync/")[0] + "/sync/")
    page.click("#sync-companies a:has-text('Review')")
    page.wait_for_url(re.compile(r".*/sync/\d+$"))
    assert page.locator(f"tr[data-record='invoice:{NZ_THIRDS}']").count() == 0
    assert page.locator(f"tr[data-record='credit:{NZ_CREDIT}']").count() == 0
    headers = {"UserName": demo.AT_API_USERNAME, "Secret": demo.AT_API_SECRET,
               "ApiIntegrationCode": demo.AT_INTEGRATION_CODE}
    marked = requests.get(f"{psa_sim.url}/ATServicesRest/V1.0/Invoices/{NZ_THIRDS}", headers=headers, timeout=10)
    assert marked.json()["item"]["webServiceDate"]

    # The history links the records to their Xero documents.
    page.goto(url + "/sync/history")
    link = page.locator(f"tr[data-record='invoice:{NZ_THIRDS}'] a.xero-link")
    href = link.get_attribute("href")
    assert href.startswith(psa_sim.url + "/_sim/xero/")
    document = requests.get(href, timeout=10).json()["document"]
    assert document["InvoiceNumber"] == "10024" and document["Type"] == "ACCREC"
    page.screenshot(path=str(screenshot_dir / "autotask-sync-history.png"), full_page=True)
