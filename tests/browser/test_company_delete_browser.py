"""Deleting a company in a real browser (issue 13 #11): one nobody uses goes after the confirm
dialog; one ticked for a user says so and offers no Delete button."""
from __future__ import annotations

import re

import pytest

from tests.browser.steps import add_company, add_user, set_up_portal

pytestmark = pytest.mark.browser


def open_company(page, url: str, name: str) -> None:
    page.goto(url + "/companies/")
    page.click(f"table a:has-text('{name}')")
    page.wait_for_url(re.compile(r".*/companies/\d+$"))


def test_delete_an_unused_company_and_see_why_a_used_one_stays(live_portal, browser, screenshot_dir):
    url = live_portal()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    add_company(page, url, "Acme Holdings Ltd")  # the user below gets it ticked
    add_user(page, url)
    add_company(page, url, "Spare Ltd")

    open_company(page, url, "Acme Holdings Ltd")
    card = page.locator("#delete-company")
    assert "It is ticked for 1 user (Sam Sync); untick it on their user pages." in card.inner_text()
    assert card.locator("button").count() == 0
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "company-delete-refused.png"), full_page=True)

    open_company(page, url, "Spare Ltd")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-company button:has-text('Delete company')")
    page.wait_for_url("**/companies/")
    assert "Company 'Spare Ltd' deleted." in page.inner_text("main")
    assert "Spare Ltd" not in page.inner_text("table")
