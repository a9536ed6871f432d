"""Syncing transactions in a real browser (Debian chromium) with a real job worker (issue 10):
an admin connects ConnectWise and Xero, reviews a company's unposted invoices, ticks two,
Sync selected, the progress page follows the background run to the end by itself, and the
history links each record to its document in (the simulated) Xero."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.browser.conftest import ROOT
from tests.browser.steps import connect_connectwise, set_up_portal
from wisesync.simulator.faults import Fault

pytestmark = pytest.mark.browser


def xero_env(sim: str) -> dict:
    return {"WISESYNC_ALLOW_LOCAL_PSA": "1", "WISESYNC_XERO_CLIENT_ID": "simxero",
            "WISESYNC_XERO_CLIENT_SECRET": "simxero-secret",
            "WISESYNC_XERO_AUTHORIZE_URL": sim + "/xero/identity/connect/authorize",
            "WISESYNC_XERO_IDENTITY_URL": sim + "/xero/identity", "WISESYNC_XERO_API_URL": sim + "/xero/api"}


@pytest.fixture
def sync_worker(tmp_path):
    """``sync_worker(url, env)``: ``flask jobs-worker`` on that live portal's instance folder."""
    procs = []

    def start(url: str, extra: dict) -> None:
        instance = tmp_path / f"instance-{url.rsplit(':', 1)[1]}"  # as live_portal lays it out
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{instance / 'wisesync.sqlite3'}",
               "SECRET_KEY": "browser-test-secret", "WISESYNC_INSTANCE_PATH": str(instance),
               "FLASK_APP": "wsgi", **extra}
        log = open(instance / "worker.log", "w")
        procs.append((subprocess.Popen([str(Path(sys.executable).parent / "flask"), "jobs-worker"],
                                       cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log))
        for _ in range(600):
            if "consumer started" in (instance / "worker.log").read_text():
                return
            time.sleep(0.1)
        raise RuntimeError("the job worker did not start: " + (instance / "worker.log").read_text())

    yield start
    for proc, log in procs:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_review_sync_selected_progress_and_history_link_to_xero(live_portal, sync_worker, browser, psa_sim,
                                                                sim_faults, screenshot_dir):
    requests.post(psa_sim.url + "/_sim/reset", timeout=10).raise_for_status()
    env = xero_env(psa_sim.url)
    url = live_portal(env)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    sync_worker(url, env)
    connect_connectwise(page, url, psa_sim.url)  # Test and Save queues the first pull (locations too)
    page.click("text=A pull has started — follow its progress.")
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'succeeded'",
                           timeout=60000)

    # A company taking Auckland and Head Office, connected to the NZ organisation.
    page.goto(url + "/companies/new")
    page.fill("#name", "Acme NZ Ltd")
    page.fill("#sales_tax_code", "OUTPUT2")
    page.fill("#purchase_tax_code", "INPUT2")
    page.check("input[name=psa_locations][value='1']")
    page.check("input[name=psa_locations][value='3']")
    page.click("main button:has-text('Add company')")
    page.wait_for_url("**/companies/")
    page.click("table a:has-text('Acme NZ Ltd')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))
    page.click("#xero button:has-text('Connect Xero')")
    page.wait_for_url(psa_sim.url + "/xero/identity/connect/authorize**")
    page.check("text=Wisesim NZ Ltd")
    page.click("button:has-text('Allow access')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))
    page.select_option("#sales_exempt_tax_code", "EXEMPTOUTPUT")
    page.select_option("#purchase_exempt_tax_code", "EXEMPTINPUT")
    page.click("main button:has-text('Save company')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))

    # The review: the company's unposted records, each with its state.
    page.click("nav.menu a:has-text('Sync')")
    page.wait_for_url("**/sync/")
    assert "Acme NZ Ltd" in page.inner_text("#sync-companies")
    page.click("#sync-companies a:has-text('Review')")
    page.wait_for_url(re.compile(r".*/sync/\d+$"))
    assert "Reads and posts with the API keys in Integration Settings." in page.inner_text("#sync-facts")
    assert page.get_attribute("tr[data-record='invoice:5']", "data-state") == "blocked"
    assert page.is_disabled("tr[data-record='invoice:5'] input[name=records]")
    assert "no GL entries" in page.inner_text("tr[data-record='invoice:5']")
    page.screenshot(path=str(screenshot_dir / "sync-review.png"))  # the top: facts, totals, first rows

    # Sync two of them; Xero slowed down, so the run can be watched in progress.
    sim_faults.add(Fault(kind="slow", target="xero", seconds=0.5, count=6))
    page.check("tr[data-record='invoice:1'] input[name=records]")
    page.check("tr[data-record='invoice:3'] input[name=records]")
    page.click("#sync-selected")
    page.wait_for_url(re.compile(r".*/sync/runs/\d+$"))
    assert page.get_attribute("#sync-run", "data-status") in ("queued", "running", "succeeded")
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'succeeded'",
                           timeout=60000)
    assert page.inner_text("[data-count=posted]") == "2"
    records = page.inner_text("#run-records")
    assert "10001" in records and "10003" in records and "Posted" in records
    page.screenshot(path=str(screenshot_dir / "sync-run-finished.png"), full_page=True)

    # The history: each row links to its Xero document.
    page.click("text=See Acme NZ Ltd's history")
    page.wait_for_url("**/sync/history**")
    link = page.locator("tr[data-record='invoice:1'] a.xero-link")
    href = link.get_attribute("href")
    assert href.startswith(psa_sim.url + "/_sim/xero/")
    document = requests.get(href, timeout=10).json()["document"]
    assert document["InvoiceNumber"] == "10001" and document["Type"] == "ACCREC"
    page.screenshot(path=str(screenshot_dir / "sync-history.png"), full_page=True)
    # ... and the review no longer lists them.
    page.goto(page.url.split("/sync/")[0] + "/sync/")
    page.click("#sync-companies a:has-text('Review')")
    assert page.locator("tr[data-record='invoice:1']").count() == 0
