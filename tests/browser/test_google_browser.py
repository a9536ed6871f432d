"""Google account and documents in a real browser (Debian chromium) with a real job worker (issue
15): an admin connects ConnectWise, Xero and their own Google account (the simulator's consent
page), attaches a signed quote from their Drive to an unposted invoice on the review, syncs it,
and the background worker sends the file to the invoice in (the simulated) Xero, once."""
from __future__ import annotations

import re
import time

import pytest
import requests

from tests.browser.steps import add_company_taking, connect_connectwise, connect_xero, set_up_portal
from tests.browser.test_sync_browser import sync_worker, xero_env  # noqa: F401  (fixture)
from tests.google.google_flow import google_config
from wisesync.simulator.xero_data import NZ_TENANT_ID

pytestmark = pytest.mark.browser


def attachments(sim_url: str) -> list[dict]:
    return requests.get(f"{sim_url}/_sim/xero/{NZ_TENANT_ID}/documents", timeout=10).json()["attachments"]


def test_connect_google_then_attach_a_drive_file_that_reaches_xero_with_the_sync(
        live_portal, sync_worker, browser, psa_sim, screenshot_dir):  # noqa: F811
    requests.post(psa_sim.url + "/_sim/reset", timeout=10).raise_for_status()
    env = {**xero_env(psa_sim.url), **google_config(psa_sim.url)}
    url = live_portal(env)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    sync_worker(url, env)
    connect_connectwise(page, url, psa_sim.url)
    page.click("text=A pull has started — follow its progress.")
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'succeeded'",
                           timeout=60000)
    add_company_taking(page, url, "Acme NZ Ltd")
    connect_xero(page, url, psa_sim.url, "Acme NZ Ltd")

    # Connect Google: from the profile to the person's own Google page, Google's consent, back.
    page.goto(url + "/profile")
    page.click("#google a:has-text('Open your Google account')")
    page.wait_for_url("**/google")
    assert "Not connected" in page.inner_text("#google")
    page.click("#google button:has-text('Connect Google Account')")
    page.wait_for_url(psa_sim.url + "/google/o/oauth2/v2/auth**")
    assert "drive.readonly" in page.content()
    page.click("button:has-text('Allow')")
    page.wait_for_url("**/google")
    card = page.inner_text("#google")
    assert "Connected" in card and "finance@wisesim.example" in card
    page.screenshot(path=str(screenshot_dir / "google-connected.png"), full_page=True)

    # The user page's Google tab says the same.
    page.goto(url + "/users/")
    page.click("table a:has-text('Ada Admin')")
    page.wait_for_url(re.compile(r".*/users/\d+.*"))
    page.click("a[role=tab]:has-text('Google')")
    assert "finance@wisesim.example" in page.inner_text("#google")

    # Attach on the review: the invoice's documents page, search Drive, Attach.
    page.goto(url + "/sync/")
    page.click("#sync-companies a:has-text('Review')")
    page.wait_for_url(re.compile(r".*/sync/\d+$"))
    page.click("tr[data-record='invoice:1'] a.attach-link")
    page.wait_for_url(re.compile(r".*/documents/\d+/invoice/1(\?.*)?$"))
    page.fill("#q", "quote")
    page.click("#drive-search button:has-text('Search Drive')")
    page.wait_for_load_state()
    assert page.locator("#drive-files tr[data-drive-file]").count() == 1
    page.click("#drive-files button:has-text('Attach')")
    page.wait_for_url(re.compile(r".*/documents/\d+/invoice/1(\?.*)?$"))
    assert "goes to Xero when 10001 syncs" in page.inner_text("main")
    assert "Waiting" in page.inner_text("#attachments")
    page.screenshot(path=str(screenshot_dir / "google-attach-waiting.png"), full_page=True)

    # Sync the invoice: the worker sends the document after the run.
    page.click("a:has-text('Review Acme NZ Ltd')")
    page.check("tr[data-record='invoice:1'] input[name=records]")
    page.click("#sync-selected")
    page.wait_for_url(re.compile(r".*/sync/runs/\d+$"))
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'succeeded'",
                           timeout=60000)
    deadline = time.monotonic() + 30
    while not attachments(psa_sim.url) and time.monotonic() < deadline:
        time.sleep(0.2)  # the after-run job runs on the worker, just after the run's end
    [sent] = attachments(psa_sim.url)
    assert (sent["FileName"], sent["MimeType"], sent["Writes"]) == ("Signed quote Q-10001.pdf", "application/pdf", 1)

    page.goto(url + "/sync/history")
    page.click("tr[data-record='invoice:1'] a.attach-link")
    page.wait_for_url(re.compile(r".*/documents/\d+/invoice/1(\?.*)?$"))
    assert "Sent" in page.inner_text("#attachments")
    page.screenshot(path=str(screenshot_dir / "google-attach-sent.png"), full_page=True)
