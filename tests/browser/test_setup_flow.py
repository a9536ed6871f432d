"""A new admin's first minutes, in a real browser: setup, then the login form's autofill hints."""
from tests.browser.steps import ADMIN_EMAIL, ADMIN_PASSWORD, set_up_portal


def test_first_run_setup_then_login_in_a_real_browser(live_portal, browser, screenshot_dir):
    url = live_portal()
    page = browser.new_page()
    page.goto(url + "/")
    assert page.url.endswith("/setup")
    set_up_portal(page, url)
    page.goto(url + "/")
    assert "Ada Admin" in page.inner_text("header")
    page.screenshot(path=str(screenshot_dir / "after-setup.png"), full_page=True)

    page.click("text=Log out")
    page.wait_for_url("**/login")
    assert page.get_attribute("#username", "autocomplete") == "username"
    assert page.get_attribute("#password", "autocomplete") == "current-password"
    page.fill("#username", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "Welcome, Ada" in page.inner_text("main")
