"""Wise-Pay links in a real browser (issue 13 #12): an admin adds a PayNow link for a user on
Users > Wise-Pay links, and the user's Disable page then warns that it will stop working."""
from __future__ import annotations

import pytest

from tests.browser.steps import add_company, add_user, set_up_portal

pytestmark = pytest.mark.browser


def test_a_link_added_on_the_page_shows_in_the_disable_warning(live_portal, browser, screenshot_dir):
    url = live_portal()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    add_company(page, url)
    user_url = add_user(page, url, first="Sam", last="Sync", email="sam@example.com")

    page.goto(url + "/users/")
    page.click("a.button:has-text('Wise-Pay links')")
    page.select_option("#kind", label="PayNow link")
    page.fill("#name", "Invoice PayNow")
    page.select_option("#owner", label="Sam Sync (sam@example.com)")
    page.click("#new-payment-link button:has-text('Add link')")
    page.wait_for_load_state()
    assert "PayNow link 'Invoice PayNow' of Sam Sync is active." in page.inner_text("main")
    row = page.locator("#payment-links tbody tr").first
    assert "Invoice PayNow" in row.inner_text() and "Active" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "wise-pay-links.png"), full_page=True)

    page.goto(user_url.rstrip("/") + "/disable")
    assert "PayNow link: Invoice PayNow" in page.inner_text(".links-to-stop")
    page.screenshot(path=str(screenshot_dir / "wise-pay-disable-warning.png"), full_page=True)
