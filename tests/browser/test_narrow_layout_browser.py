"""The portal inside a ConnectWise pod (about 820 px) and on a phone (360 px), in a real browser
(issue 13): a one-line header, the current section marked in the menu, no page wider than the
window (wide tables scroll inside themselves). Screenshots at 820 and 1366 px."""
from __future__ import annotations

import pytest

from tests.browser.steps import add_company, add_user, set_up_portal

pytestmark = pytest.mark.browser

# path → the menu item that must be marked there
PAGES = {"/users": "Users", "/companies/": "Companies", "/integrations/": "Integrations",
         "/psa/customers": "PSA data", "/audit": "Audit", "/account": "Account"}


def header_height(page) -> float:
    return page.evaluate("document.querySelector('header.topbar').getBoundingClientRect().height")


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_pages_fit_a_connectwise_pod_and_a_phone_with_the_section_marked(live_portal, browser, screenshot_dir):
    url = live_portal()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    add_company(page, url)
    user_url = add_user(page, url)
    pages = {**PAGES, user_url.removeprefix(url): "Users"}

    for width in (1366, 820, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for path, item in pages.items():
            page.goto(url + path)
            current = page.locator("nav.menu a[aria-current=page]").all_inner_texts()
            assert current == [item], (width, path, current)
            assert header_height(page) < 60, (width, path, header_height(page))
            assert overflow(page) <= 0, (width, path, overflow(page))
            if width != 360:
                name = path.strip("/").replace("/", "-") or "home"
                page.screenshot(path=str(screenshot_dir / f"narrow-{name}-{width}.png"), full_page=True)
        page.goto(url + "/")
        assert page.locator("nav.menu a[aria-current=page]").count() == 0  # home is no menu item

    # A table wider than the window scrolls inside itself instead of widening the page.
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(url + "/audit")
    table = page.locator("main table").first
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"
    page.screenshot(path=str(screenshot_dir / "narrow-audit-360.png"), full_page=True)
