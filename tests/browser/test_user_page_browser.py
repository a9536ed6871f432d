"""The user page as a new admin meets it (issue 13), in a real browser against the simulator:
tabs (Account · PSA credentials · QLink), the Member ID editable beside its password, a
7-character member password that saves, a test that answers in its own section (POST/
redirect/GET, so Back works), a result that turns "outdated" when the password changes, the
busy test button, and Disable at the bottom of the Account tab."""
from __future__ import annotations

import base64

import pytest

from tests.browser.steps import add_company, add_user, connect_connectwise, set_up_portal
from wisesync.simulator import demo
from wisesync.simulator.faults import Fault

pytestmark = pytest.mark.browser

ENV = {"WISESYNC_ALLOW_LOCAL_PSA": "1"}


def visible_panels(page) -> list[str]:
    return page.eval_on_selector_all(".tab-panel", "els => els.filter(e => !e.hidden).map(e => e.id)")


def test_user_page_tabs_credentials_in_place_and_results_bound_to_their_values(live_portal, browser, psa_sim,
                                                                              sim_faults, screenshot_dir):
    url = live_portal(env=ENV)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    add_company(page, url)
    connect_connectwise(page, url, psa_sim.url)
    user_url = add_user(page, url)

    # Tabs; Account first, and Disable is the last thing of the Account tab.
    tabs = page.locator("[role=tab]").all_inner_texts()
    assert tabs == ["Account", "PSA credentials", "QLink", "Google"]
    assert visible_panels(page) == ["tab-account"]
    account = page.locator("#tab-account")
    assert account.locator(".card").last.get_attribute("id") == "disable"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 1500, height
    page.screenshot(path=str(screenshot_dir / "user-page-account-1366.png"), full_page=True)

    page.click("[role=tab]:has-text('PSA credentials')")
    assert visible_panels(page) == ["tab-psa"]
    assert page.url.endswith("#tab-psa")
    section = page.locator("#psa-connectwise")
    # The Member ID is an ordinary, visible field; no password input until the button.
    assert section.locator("input[name=cw_member_id]").is_visible()
    assert page.locator("input[type=password]").count() == 0
    section.locator("input[name=cw_member_id]").fill(demo.CW_MEMBER_ID)
    section.locator("button:has-text('Set member password')").click()
    assert section.locator("input[type=password]").count() == 2
    section.locator("#cw_member_password").fill("Pass7ch")  # 7 characters: a PSA's rule, not ours
    section.locator("#cw_member_password_confirm").fill("Pass7ch")
    section.locator("button:has-text('Save ConnectWise Member')").click()
    page.wait_for_load_state()
    assert "Saved the ConnectWise Member" in page.inner_text("main")
    assert visible_panels(page) == ["tab-psa"]  # back in the section it was saved from

    # The test answers in place; the button says it is busy meanwhile.
    sim_faults.add(Fault(kind="slow", target="cw-soap", seconds=2, count=1))
    # Clicked from inside the page, read 100 ms later: the request is still on its way then.
    busy = page.evaluate("""() => new Promise(done => {
        const button = [...document.querySelectorAll('#psa-connectwise button')]
            .find(b => b.textContent.includes('Test ConnectWise Connectivity'));
        button.click();
        setTimeout(() => done({disabled: button.disabled, text: button.textContent,
                                busy: button.classList.contains('busy')}), 100);
    })""")
    assert busy["disabled"] and busy["busy"] and busy["text"].startswith("Testing"), busy
    # Straight from the DevTools protocol: page.screenshot would wait for the navigation.
    shot = page.context.new_cdp_session(page).send("Page.captureScreenshot", {"format": "png"})
    (screenshot_dir / "user-page-test-busy.png").write_bytes(base64.b64decode(shot["data"]))
    page.wait_for_url("**/users/*?tested=connectwise#psa-connectwise")
    page.wait_for_load_state()
    assert visible_panels(page) == ["tab-psa"]
    section = page.locator("#psa-connectwise")
    assert "Last test: Not connected" in section.inner_text()
    assert "just-tested" in section.get_attribute("class")
    page.screenshot(path=str(screenshot_dir / "user-page-psa-not-connected.png"), full_page=True)

    # The right password: the old result is now of other values, and says so.
    section.locator("button:has-text('Change member password')").click()
    section.locator("#cw_member_password").fill(demo.CW_MEMBER_PASSWORD)
    section.locator("#cw_member_password_confirm").fill(demo.CW_MEMBER_PASSWORD)
    section.locator("button:has-text('Save ConnectWise Member')").click()
    page.wait_for_load_state()
    section = page.locator("#psa-connectwise")
    text = section.inner_text()
    assert "Outdated" in text and "tested with the previous member password" in text
    assert "Last test:" not in text
    page.screenshot(path=str(screenshot_dir / "user-page-psa-outdated.png"), full_page=True)

    section.locator("button:has-text('Test ConnectWise Connectivity')").click()
    page.wait_for_url("**?tested=connectwise#psa-connectwise")
    section = page.locator("#psa-connectwise")
    assert "Last test: Connected, just now" in section.inner_text()
    assert section.locator(".section-head .badge").inner_text() == "Works"
    page.screenshot(path=str(screenshot_dir / "user-page-psa-connected-1366.png"), full_page=True)

    # Back goes to the page before the test — a page, not an error.
    page.go_back()
    page.wait_for_load_state()
    assert "Not allowed" not in page.inner_text("body") and "Sam Sync" in page.inner_text("h1")

    page.goto(user_url + "#tab-qlink")
    assert visible_panels(page) == ["tab-qlink"]
    page.set_viewport_size({"width": 820, "height": 900})
    page.goto(user_url + "#tab-psa")
    page.screenshot(path=str(screenshot_dir / "user-page-psa-820.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow


def test_companies_box_greys_out_for_an_account_admin(live_portal, browser, screenshot_dir):
    url = live_portal()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    add_company(page, url)
    page.goto(url + "/users/new")
    box = page.locator(".companies-box")
    page.check("input[name=role][value=user]")
    assert "is-muted" not in box.get_attribute("class")
    assert page.locator("input[name=companies]").first.is_enabled()
    page.check("input[name=role][value=account-admin]")
    assert "is-muted" in box.get_attribute("class")
    assert not page.locator("input[name=companies]").first.is_enabled()
    assert "admins sync every company" in box.inner_text()
    page.screenshot(path=str(screenshot_dir / "users-new-admin-companies-greyed.png"), full_page=True)
