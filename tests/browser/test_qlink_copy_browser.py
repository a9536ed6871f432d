"""Copying a QLink in a real browser (issue 13 #11): over plain HTTP the Clipboard API does
not exist, so the button selects the link and says "press Ctrl+C" instead of failing
silently; on a secure origin it copies. Back and Done lead to the user page's QLink section."""
from __future__ import annotations

import pytest

from tests.browser.steps import add_company, add_user, set_up_portal

pytestmark = pytest.mark.browser


def generate_qlink(page, user_url: str) -> str:
    page.goto(user_url + "#qlink")
    page.click("#qlink button:has-text('Generate QLink')")
    page.wait_for_selector("#qlink-url")
    return page.inner_text("#qlink-url").strip()


def test_over_plain_http_the_link_is_selected_and_the_keys_are_named(live_portal, launch_browser, screenshot_dir):
    url = live_portal()
    port = url.rsplit(":", 1)[1]
    # A name that is not localhost: Chromium treats http://portal.test as not secure, as it
    # would any portal served over plain HTTP on the network.
    browser = launch_browser(["--host-resolver-rules=MAP portal.test 127.0.0.1"])
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    plain = f"http://portal.test:{port}"
    set_up_portal(page, plain)
    add_company(page, plain)
    user_url = add_user(page, plain)
    assert page.evaluate("window.isSecureContext") is False
    link = generate_qlink(page, user_url)

    page.click("button[data-copy=qlink-url]")
    hint = page.locator("#qlink-url-hint")
    assert hint.inner_text() == "The link is selected: press Ctrl+C to copy it."
    assert page.evaluate("window.getSelection().toString().trim()") == link
    page.screenshot(path=str(screenshot_dir / "qlink-copy-plain-http.png"), full_page=True)
    assert page.get_attribute("nav.menu a[aria-current=page]", "href") == "/users/"  # a user's page

    page.click("a.button:has-text('Done')")
    page.wait_for_load_state()
    assert page.url.endswith("#qlink")
    assert page.locator("#tab-qlink").is_visible() and not page.locator("#tab-account").is_visible()


def test_on_a_secure_origin_the_link_is_copied(live_portal, browser):
    url = live_portal()  # http://127.0.0.1 counts as secure
    context = browser.new_context(viewport={"width": 1366, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    set_up_portal(page, url)
    add_company(page, url)
    link = generate_qlink(page, add_user(page, url))
    page.click("button[data-copy=qlink-url]")
    page.wait_for_function("() => (document.getElementById('qlink-url-hint') || {}).textContent === "
                           "'Copied to the clipboard.'")
    assert page.inner_text("button[data-copy=qlink-url]") == "Copied"
    assert page.evaluate("navigator.clipboard.readText()") == link
