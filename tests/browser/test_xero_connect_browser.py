"""Connecting a company to Xero in a real browser (Debian chromium): the company page's Connect
Xero button, the (simulated) Xero consent page, Allow access, and back on the company page
with the organisation bound — through the portal's CSP, cookies and redirects as they are."""
from __future__ import annotations

import re

import pytest

from tests.browser.steps import set_up_portal

pytestmark = pytest.mark.browser


def test_admin_connects_a_company_to_xero_and_sees_the_organisation(live_portal, browser, psa_sim,
                                                                    screenshot_dir):
    psa_sim.state.xero.reset()
    sim = psa_sim.url
    url = live_portal({"WISESYNC_ALLOW_LOCAL_PSA": "1", "WISESYNC_XERO_CLIENT_ID": "simxero",
                       "WISESYNC_XERO_CLIENT_SECRET": "simxero-secret",
                       "WISESYNC_XERO_AUTHORIZE_URL": sim + "/xero/identity/connect/authorize",
                       "WISESYNC_XERO_IDENTITY_URL": sim + "/xero/identity",
                       "WISESYNC_XERO_API_URL": sim + "/xero/api"})
    page = browser.new_page()
    set_up_portal(page, url)
    page.goto(url + "/companies/new")
    page.fill("#name", "Acme NZ Ltd")
    page.fill("#sales_tax_code", "OUTPUT2")
    page.fill("#purchase_tax_code", "INPUT2")
    page.click("main button:has-text('Add company')")
    page.wait_for_url("**/companies/")
    page.click("table a:has-text('Acme NZ Ltd')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))
    assert "Not linked to a Xero organisation yet" in page.inner_text("#xero")

    page.click("#xero button:has-text('Connect Xero')")
    page.wait_for_url(sim + "/xero/identity/connect/authorize**")
    assert "Allow access" in page.content()
    page.check("text=Wisesim NZ Ltd")
    page.click("button:has-text('Allow access')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))

    section = page.inner_text("#xero")
    assert "Wisesim NZ Ltd" in section and "(NZ)" in section
    assert "now linked to the Xero organisation Wisesim NZ Ltd" in page.inner_text("main")
    selected = page.eval_on_selector("#sales_tax_code", "s => s.options[s.selectedIndex].text")
    assert selected == "15% GST on Income (15%) — OUTPUT2"
    page.screenshot(path=str(screenshot_dir / "company-xero-connected.png"), full_page=True)

    page.select_option("#sales_exempt_tax_code", "EXEMPTOUTPUT")
    page.select_option("#purchase_exempt_tax_code", "EXEMPTINPUT")
    page.click("main button:has-text('Save company')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))
    assert "saved" in page.inner_text("main")
    page.click("#xero button:has-text('Test')")
    page.wait_for_load_state()
    assert page.inner_text(".test-result").startswith("Connected")
    assert "Not connected" not in page.inner_text(".test-result")
    page.screenshot(path=str(screenshot_dir / "company-xero-tested.png"), full_page=True)
