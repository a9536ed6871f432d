"""An admin's user administration in a real browser (Debian chromium): create a user, then
check what a password manager would see on the edit page before and after "Change password"."""
from __future__ import annotations

import pytest

from tests.browser.steps import set_up_portal

pytestmark = pytest.mark.browser


def test_admin_creates_a_user_and_the_edit_page_has_nothing_to_autofill(live_portal, browser,
                                                                        screenshot_dir):
    url = live_portal()
    page = browser.new_page()
    set_up_portal(page, url)

    page.goto(url + "/users/new")
    assert "Create your companies first" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "users-new-without-companies.png"), full_page=True)
    page.click("text=Add a company")
    page.fill("#name", "Acme Holdings Ltd")
    page.fill("#sales_tax_code", "OUTPUT2")
    page.fill("#purchase_tax_code", "INPUT2")
    page.click("main button:has-text('Add company')")
    page.wait_for_url("**/companies/")
    page.screenshot(path=str(screenshot_dir / "companies.png"), full_page=True)

    page.goto(url + "/users/new")
    for field in ("#password", "#password_confirm"):
        assert page.get_attribute(field, "autocomplete") == "new-password"
        assert page.get_attribute(field, "value") in (None, "")
    page.fill("#first_name", "Sam")
    page.fill("#last_name", "Sync")
    page.fill("#email", "sam@example.com")
    page.check("input[name=role][value=user]")
    page.check("text=Acme Holdings Ltd")
    page.fill("#password", "Long-enough-1")
    page.fill("#password_confirm", "Long-enough-1")
    page.click("button:has-text('Create user')")
    page.wait_for_url("**/users/*")
    assert "Sam Sync was created" in page.inner_text("main")

    # Nothing a manager could fill on the edit page until "Change password" is clicked.
    assert page.locator("input[type=password]").count() == 0
    page.screenshot(path=str(screenshot_dir / "users-edit.png"), full_page=True)
    page.click("button:has-text('Change password')")
    inputs = page.locator("input[type=password]")
    assert inputs.count() == 2
    assert [inputs.nth(i).get_attribute("autocomplete") for i in range(2)] == ["new-password"] * 2
    page.fill("#password", "Another-long-1")
    page.fill("#password_confirm", "Another-long-1")
    page.click("button:has-text('Set password')")
    page.wait_for_load_state()
    assert "was changed" in page.inner_text("main")

    page.goto(url + "/users")
    assert "Acme Holdings Ltd" in page.inner_text("table")
    assert "All companies (admin)" in page.inner_text("table")
    page.screenshot(path=str(screenshot_dir / "users-list.png"), full_page=True)
