"""QLinks inside a fake ConnectWise, in Debian's Chromium.

The portal runs on http://127.0.0.1:<port>; "ConnectWise" is a tiny page on
http://localhost:<other port> — a different *site*, so the portal's frame is truly
third-party. Chromium treats both loopback hosts as potentially trustworthy, so the portal's
``Secure`` cookie is kept over plain http (the tests check the stored cookie too).
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

PASSWORD = "Correct-Horse-9"
# Playwright's contexts are off-the-record profiles, where Chromium blocks third-party cookies
# by default; the phase-out flag (Chrome's documented test switch) makes it explicit. Allowing
# them takes a real profile whose cookie_controls_mode preference is 0 ("allow").
BLOCK_3PC = ["--test-third-party-cookie-phaseout"]
ALLOW_3PC_PREFS = {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}


class FakeConnectWise:
    """Serves one page that frames ``self.frame_src`` (set by the test) on localhost."""

    def __init__(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/tracker":  # an ordinary, unpartitioned third-party cookie
                    self.send_response(200)
                    self.send_header("Set-Cookie", "tracker=1; SameSite=None; Secure; Path=/")
                    self.end_headers()
                    return
                body = (f'<!doctype html><title>ConnectWise</title><h1>Fake ConnectWise</h1>'
                        f'<iframe id="wisesync" src="{outer.frame_src}" width="1000" height="700">'
                        f'</iframe>').encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.frame_src = "about:blank"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def connectwise():
    sites = []

    def make():
        site = FakeConnectWise()
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.close()


def _seed(url: str, tmp_path: Path) -> dict:
    """Account, admin and a user with QLinks, written straight into the portal's SQLite file."""
    from wisesync.app import create_app
    from wisesync.extensions import db
    from wisesync.qlink import services
    from tests.builders import make_account, make_admin, make_user

    instance = tmp_path / f"instance-{url.rsplit(':', 1)[1]}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'wisesync.sqlite3'}",
                      "INSTANCE_PATH": str(instance), "SECRET_KEY": "browser-test-secret"})
    with app.app_context():
        account = make_account(name="Acme MSP")
        admin = make_admin(account, first_name="Ada", email="ada@example.com")
        user = make_user(account, first_name="Uma", email="uma@example.com")
        out = {"qlink": services.generate_qlink(user, actor=admin),
               "account_qlink": services.generate_account_qlink(account, actor=admin),
               "user_id": user.id}
        db.engine.dispose()
    return out


@pytest.fixture
def embedded(live_portal, connectwise, tmp_path):
    """(portal URL, fake ConnectWise, seeded tokens) with the fake ConnectWise allowed to frame."""
    cw = connectwise()
    url = live_portal(env={"WISESYNC_EMBED_ORIGINS": cw.origin})
    return url, cw, _seed(url, tmp_path), tmp_path / f"instance-{url.rsplit(':', 1)[1]}"


def _unpartitioned_cookie_kept_in_frame(context, connectwise) -> bool:
    """Does this context keep an ordinary third-party cookie? (Proves which mode we are in.)"""
    top, tracker = connectwise(), connectwise()
    top.frame_src = f"http://127.0.0.1:{tracker.server.server_port}/tracker"
    page = context.new_page()
    page.goto(top.origin + "/")
    page.wait_for_timeout(500)
    kept = any(c["name"] == "tracker" and not c.get("partitionKey")
               for c in context.cookies(top.frame_src))
    page.close()
    return kept


def _profile_context(playwright_instance, chromium_path, directory: Path, prefs: dict):
    """A persistent Chromium profile with the given preferences (cookie settings live there)."""
    (directory / "Default").mkdir(parents=True)
    (directory / "Default" / "Preferences").write_text(json.dumps(prefs))
    return playwright_instance.chromium.launch_persistent_context(
        str(directory), executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)


def _portal_frame(page):
    page.wait_for_selector("iframe#wisesync")
    return page.frame_locator("iframe#wisesync")


@pytest.fixture(params=["third-party-cookies-blocked", "third-party-cookies-allowed"])
def cookie_context(request, launch_browser, playwright_instance, chromium_path, tmp_path, connectwise):
    """A browser context in each third-party-cookie mode, checked to really be in that mode."""
    blocked = request.param.endswith("blocked")
    if blocked:
        context = launch_browser(BLOCK_3PC).new_context()
    else:
        context = _profile_context(playwright_instance, chromium_path, tmp_path / "profile-3pc",
                                   ALLOW_3PC_PREFS)
    assert _unpartitioned_cookie_kept_in_frame(context, connectwise) is not blocked
    yield context
    context.close()


def test_qlink_logs_in_inside_connectwise_and_a_form_post_passes_csrf(embedded, cookie_context):
    url, cw, seeded, _ = embedded
    page = cookie_context.new_page()
    cw.frame_src = f"{url}/q/{seeded['qlink']}"
    page.goto(cw.origin + "/")
    frame = _portal_frame(page)
    # Partitioned (CHIPS) cookies are kept even with third-party cookies blocked: the
    # designed outcome in both modes is a logged-in portal inside the frame (no probe page).
    frame.locator("text=Welcome, Uma").wait_for(timeout=10_000)

    cookie = next(c for c in page.context.cookies(url) if c["name"] == "session")
    assert cookie["sameSite"] == "None" and cookie["secure"] is True
    assert cookie.get("partitionKey"), cookie  # stored in ConnectWise's partition

    # A POST inside the frame: change own password (Flask-WTF's CSRF token lives in that cookie).
    frame.locator("a[title='Your profile']").click()
    frame.locator("#current_password").fill(PASSWORD)
    frame.locator("#password").fill("Another-Pass-2")
    frame.locator("#password_confirm").fill("Another-Pass-2")
    frame.locator("main button[type=submit]").click()
    frame.locator("text=Your password was changed").wait_for(timeout=10_000)
    # And the header's logout form, another POST.
    frame.locator("button:has-text('Log out')").click()
    frame.locator("text=You are logged out.").wait_for(timeout=10_000)


def test_account_qlink_login_page_works_inside_connectwise(embedded, browser):
    url, cw, seeded, _ = embedded
    page = browser.new_page()
    cw.frame_src = f"{url}/a/{seeded['account_qlink']}"
    page.goto(cw.origin + "/")
    frame = _portal_frame(page)
    frame.locator("text=Acme MSP").first.wait_for(timeout=10_000)
    frame.locator("#username").fill("uma@example.com")
    frame.locator("#password").fill(PASSWORD)
    frame.locator("button[type=submit]").click()
    frame.locator("text=Welcome, Uma").wait_for(timeout=10_000)


def test_refused_cookie_offers_a_new_window_instead_of_a_login_loop(embedded, playwright_instance,
                                                                     chromium_path, tmp_path):
    url, cw, seeded, _ = embedded
    # This profile refuses every cookie: the case of a browser that refuses even partitioned ones.
    context = _profile_context(playwright_instance, chromium_path, tmp_path / "profile-no-cookies",
                               {"profile": {"default_content_setting_values": {"cookies": 2}}})
    try:
        page = context.new_page()
        cw.frame_src = f"{url}/q/{seeded['qlink']}"
        page.goto(cw.origin + "/")
        frame = _portal_frame(page)
        link = frame.locator("#open-new-window")
        link.wait_for(timeout=10_000)
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("href") == f"{url}/q/{seeded['qlink']}"
        assert frame.locator("#password").count() == 0  # not the login page
        assert "/q/" in page.frames[1].url and "probe=1" in page.frames[1].url
    finally:
        context.close()


def test_a_site_not_in_embed_origins_cannot_frame_the_portal(embedded, connectwise, browser):
    url, _, seeded, _ = embedded
    intruder = connectwise()  # another origin, not in WISESYNC_EMBED_ORIGINS
    intruder.frame_src = f"{url}/login"
    page = browser.new_page()
    page.goto(intruder.origin + "/")
    page.wait_for_selector("iframe#wisesync")
    page.wait_for_timeout(1500)
    frame = page.frames[1]
    assert frame.url.startswith("chrome-error://"), frame.url
    assert "Wise-Sync" not in frame.content()


def test_without_embed_origins_even_connectwise_cannot_frame(live_portal, connectwise, browser):
    cw = connectwise()
    url = live_portal()
    cw.frame_src = f"{url}/login"
    page = browser.new_page()
    page.goto(cw.origin + "/")
    page.wait_for_selector("iframe#wisesync")
    page.wait_for_timeout(1500)
    assert page.frames[1].url.startswith("chrome-error://"), page.frames[1].url


def test_top_level_use_and_the_generated_qlink_page(embedded, browser, screenshot_dir):
    url, _, seeded, instance = embedded
    page = browser.new_page()
    page.goto(f"{url}/q/{seeded['qlink']}")
    assert page.url == url + "/"
    assert "Welcome, Uma" in page.inner_text("main")

    admin = browser.new_page()  # a new context: its own cookie jar
    admin.goto(url + "/login")
    admin.fill("#username", "ada@example.com")
    admin.fill("#password", PASSWORD)
    admin.click("button[type=submit]")
    admin.goto(f"{url}/users/{seeded['user_id']}#qlink")  # the QLink tab of the user page
    admin.locator("#qlink").screenshot(path=str(screenshot_dir / "qlink-section.png"))
    assert "Active" in admin.inner_text("#qlink")
    assert "inside ConnectWise" not in admin.inner_text("#qlink")  # the top-level use
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.click("#qlink button:has-text('Generate a new QLink')")
    admin.wait_for_selector("#qlink-url")
    new_url = admin.inner_text("#qlink-url")
    assert new_url.startswith(url + "/q/wsq_")
    admin.screenshot(path=str(screenshot_dir / "qlink-generated.png"), full_page=True)

    # The old link died at once; the new one works.
    assert admin.goto(f"{url}/q/{seeded['qlink']}").status == 404
    admin.goto(new_url)
    assert admin.url == url + "/"

    admin.goto(f"{url}/a/{seeded['account_qlink']}")
    log = (instance / "server.log").read_text()
    assert "GET /a/[masked] HTTP/1.1\" 303" in log
    for token in (seeded["qlink"], seeded["account_qlink"], new_url.rsplit("/", 1)[1]):
        assert token not in log
    assert "GET /q/[masked] HTTP/1.1\" 303" in log and "GET /q/[masked] HTTP/1.1\" 404" in log
