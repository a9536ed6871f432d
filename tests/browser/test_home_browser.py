"""The home page in a real browser (issue 13 #7): "Getting set up" ticks each step as the
admin does it, and once all five are done the page shows the day — each company with its
unposted counts (filled in by home.js after the page is shown), last sync and problems."""
from __future__ import annotations

import re

import pytest
import requests

from tests.browser.steps import add_company_taking, add_user, connect_connectwise, connect_xero, set_up_portal
from tests.browser.test_sync_browser import sync_worker, xero_env  # noqa: F401  (fixture)
from wisesync.simulator import demo

pytestmark = pytest.mark.browser


def ticked(page, url: str) -> dict[str, str]:
    """The home page's steps → "yes"/"no"."""
    page.goto(url + "/")
    return {li.get_attribute("data-step"): li.get_attribute("data-done")
            for li in page.locator("#getting-set-up li[data-step]").all()}


def test_the_checklist_ticks_step_by_step_and_then_shows_the_day(live_portal, sync_worker, browser, psa_sim,
                                                                 screenshot_dir):
    requests.post(psa_sim.url + "/_sim/reset", timeout=10).raise_for_status()
    env = xero_env(psa_sim.url)
    url = live_portal(env)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    sync_worker(url, env)
    assert ticked(page, url) == {"companies": "no", "psa": "no", "users": "no", "xero": "no", "sync": "no"}
    page.screenshot(path=str(screenshot_dir / "home-nothing-done.png"), full_page=True)

    connect_connectwise(page, url, psa_sim.url)
    page.click("text=A pull has started — follow its progress.")
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'succeeded'",
                           timeout=60000)
    assert ticked(page, url)["psa"] == "yes"

    add_company_taking(page, url, "Acme NZ Ltd")
    assert ticked(page, url) == {"companies": "yes", "psa": "yes", "users": "no", "xero": "no", "sync": "no"}
    assert "0 of 1 connected; not yet: Acme NZ Ltd." in page.inner_text("#getting-set-up")

    # A person who syncs, with a ConnectWise Member.
    user_url = add_user(page, url)
    page.goto(user_url + "#tab-psa")
    section = page.locator("#psa-connectwise")
    section.locator("input[name=cw_member_id]").fill(demo.CW_MEMBER_ID)
    section.locator("button:has-text('Set member password')").click()
    section.locator("#cw_member_password").fill(demo.CW_MEMBER_PASSWORD)
    section.locator("#cw_member_password_confirm").fill(demo.CW_MEMBER_PASSWORD)
    section.locator("button:has-text('Save ConnectWise Member')").click()
    page.wait_for_load_state()
    assert ticked(page, url)["users"] == "yes"

    # Xero.
    connect_xero(page, url, psa_sim.url, "Acme NZ Ltd")
    assert ticked(page, url) == {"companies": "yes", "psa": "yes", "users": "yes", "xero": "yes", "sync": "no"}
    assert "4 of 5 steps done." in page.inner_text("#getting-set-up")
    page.screenshot(path=str(screenshot_dir / "home-four-of-five.png"), full_page=True)

    # The first sync: two invoices.
    page.goto(url + "/sync/")
    page.click("#sync-companies a:has-text('Review')")
    page.check("tr[data-record='invoice:1'] input[name=records]")
    page.check("tr[data-record='invoice:3'] input[name=records]")
    page.click("#sync-selected")
    page.wait_for_url(re.compile(r".*/sync/runs/\d+$"))
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'succeeded'",
                           timeout=60000)

    page.goto(url + "/")
    assert page.locator("#getting-set-up").count() == 0
    assert page.inner_text("[data-setup=complete]") == "Set-up complete"
    page.wait_for_function("() => document.querySelector('#home-companies').dataset.counted === 'yes'",
                           timeout=30000)
    row = page.locator("#home-companies tr[data-company]")
    assert row.count() == 1
    assert "Acme NZ Ltd" in row.inner_text()
    assert re.search(r"\d+ invoices?, \d+ credit memos?, \d+ purchase orders?",
                     row.locator("[data-field=unposted]").inner_text())
    assert "succeeded" in row.inner_text()
    assert "succeeded" in page.inner_text("#last-pull")
    assert "Counted at" in page.inner_text("#unposted-note")
    page.click("#recount")  # counts again from ConnectWise, not the reused counts
    page.wait_for_function("() => document.querySelector('#home-companies').dataset.counted === 'yes'",
                           timeout=30000)
    assert page.is_visible("#recount")
    page.screenshot(path=str(screenshot_dir / "home-daily.png"), full_page=True)
