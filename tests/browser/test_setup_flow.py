"""A new admin's first minutes, in a real browser: setup, then the login form's autofill hints."""


def test_first_run_setup_then_login_in_a_real_browser(live_portal, browser, screenshot_dir):
    url = live_portal()
    page = browser.new_page()
    page.goto(url + "/")
    assert page.url.endswith("/setup")
    page.fill("#account_name", "Acme MSP")
    page.check("input[name=psa_type][value=connectwise]")
    page.fill("#first_name", "Ada")
    page.fill("#last_name", "Admin")
    page.fill("#email", "ada@example.com")
    page.fill("#password", "Long-enough-1")
    page.fill("#password_confirm", "Long-enough-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/companies**")
    page.goto(url + "/")
    assert "Ada Admin" in page.inner_text("header")
    page.screenshot(path=str(screenshot_dir / "after-setup.png"), full_page=True)

    page.click("text=Log out")
    page.wait_for_url("**/login")
    assert page.get_attribute("#username", "autocomplete") == "username"
    assert page.get_attribute("#password", "autocomplete") == "current-password"
    page.fill("#username", "ada@example.com")
    page.fill("#password", "Long-enough-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "Welcome, Ada" in page.inner_text("main")
