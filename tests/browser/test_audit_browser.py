"""The audit log in a real browser (issue 13 #9): actions in words, the action, person and
date filters, and the CSV export of what the filters show."""
from __future__ import annotations

import csv
import io

import pytest

from tests.browser.steps import add_company, add_user, set_up_portal

pytestmark = pytest.mark.browser


def test_filter_the_audit_log_and_export_what_is_shown(live_portal, browser, screenshot_dir):
    url = live_portal()
    page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    set_up_portal(page, url)
    add_company(page, url)
    add_user(page, url, first="Sam", last="Sync", email="sam@example.com")
    add_user(page, url, first="Tess", last="Test", email="tess@example.com")

    page.click("nav.menu a:has-text('Audit')")
    page.wait_for_url("**/audit")
    whats = page.locator("#audit-events tbody td:nth-child(3)").all_inner_texts()
    assert "User created" in whats and "Company created" in whats and "Account created" in whats
    assert not any("." in what for what in whats), whats  # words, never codes like user.created
    page.screenshot(path=str(screenshot_dir / "audit-all.png"), full_page=True)

    page.select_option("#action", label="User created")
    page.fill("#person", "tess")
    page.click("#audit-filters button:has-text('Filter')")
    page.wait_for_url("**/audit?*")
    rows = page.locator("#audit-events tbody tr")
    assert rows.count() == 1
    assert "Tess Test" in rows.inner_text() and "User created" in rows.inner_text()
    assert page.input_value("#person") == "tess"
    page.screenshot(path=str(screenshot_dir / "audit-filtered.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#audit-csv")
    body = open(info.value.path(), encoding="utf-8").read()
    exported = list(csv.reader(io.StringIO(body)))
    assert exported[0][3] == "What" and len(exported) == 2
    assert exported[1][3] == "User created" and exported[1][4] == "Tess Test"

    # A start date after the end date: said next to the field, nothing listed.
    page.fill("#from", "2026-12-31")
    page.fill("#to", "2026-01-01")
    page.click("#audit-filters button:has-text('Filter')")
    page.wait_for_load_state()
    assert "The end date is before the start date." in page.inner_text("#field-to")
    assert page.locator("#audit-events").count() == 0
