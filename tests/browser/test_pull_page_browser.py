"""The pull page in a real browser with a real job worker (issue 13): sync.js follows a pull
from "Queued" through per-kind counts to "Finished" without a reload by hand; a failed pull
says why once and offers Retry; Integrations lists the pulls."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT
from tests.browser.steps import connect_connectwise, set_up_portal
from wisesync.simulator.faults import Fault

pytestmark = pytest.mark.browser


@pytest.fixture
def worker(tmp_path):
    """``worker(url)`` starts ``flask jobs-worker`` on that live portal's instance folder."""
    procs = []

    def start(url: str) -> None:
        instance = tmp_path / f"instance-{url.rsplit(':', 1)[1]}"  # as live_portal lays it out
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{instance / 'wisesync.sqlite3'}",
               "SECRET_KEY": "browser-test-secret", "WISESYNC_INSTANCE_PATH": str(instance),
               "FLASK_APP": "wsgi", "WISESYNC_ALLOW_LOCAL_PSA": "1"}
        log = open(instance / "worker.log", "w")
        procs.append((subprocess.Popen([str(Path(sys.executable).parent / "flask"), "jobs-worker"],
                                       cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log))
        # Ready once its start hooks ran (they fail runs queued before it: start it first).
        for _ in range(600):
            if "consumer started" in (instance / "worker.log").read_text():
                return
            time.sleep(0.1)
        raise RuntimeError("the job worker did not start: " + (instance / "worker.log").read_text())

    yield start
    for proc, log in procs:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_sync_js_follows_a_pull_to_the_end_and_a_failed_one_is_retried(live_portal, worker, browser, psa_sim,
                                                                      sim_faults, screenshot_dir):
    url = live_portal(env={"WISESYNC_ALLOW_LOCAL_PSA": "1"})
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    set_up_portal(page, url)
    worker(url)
    # Every PSA call slow, so the counts can be watched as they grow.
    sim_faults.add(Fault(kind="slow", target="cw-rest", seconds=0.4, count=25))
    connect_connectwise(page, url, psa_sim.url)  # Test and Save queues the first pull

    page.click("text=A pull has started — follow its progress.")
    page.wait_for_url("**/integrations/sync/*")
    state = page.locator("[data-field=state]").inner_text()
    assert state.startswith(("Queued", "Running: ")), state
    assert "Waiting for the first page" not in page.inner_text("main")
    page.wait_for_function("() => document.querySelector('[data-field=state]').textContent.startsWith('Running: ')"
                           " && document.querySelectorAll('[data-count]').length > 0", timeout=30000)
    first = page.locator("[data-count]").first.inner_text()
    assert " of " in first
    page.screenshot(path=str(screenshot_dir / "pull-running.png"), full_page=True)
    assert page.locator("button:has-text('Retry')").count() == 0
    assert "scripts/serve" not in page.inner_text("main")

    # sync.js reloads once when it ends: the server's finished page.
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'succeeded'", timeout=60000)
    text = page.inner_text("main")
    assert "Finished " in text and "pulled" in text and "Running" not in text
    kinds = page.locator("[data-count]").all_inner_texts()
    assert kinds and all(" of " in k for k in kinds)
    page.screenshot(path=str(screenshot_dir / "pull-succeeded.png"), full_page=True)

    # A pull that fails: said once, with the fix, and Retry.
    sim_faults.add(Fault(kind="500", target="cw-rest", count=50))
    page.goto(url + "/integrations")
    page.click("#pulls button:has-text('Pull now')")
    page.wait_for_url("**/integrations/sync/*")
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'failed'", timeout=60000)
    text = page.inner_text("main")
    assert text.count("Failed ") == 1 and "Fix:" in text and "scripts/serve" not in text
    page.screenshot(path=str(screenshot_dir / "pull-failed.png"), full_page=True)
    failed_url = page.url
    sim_faults.clear()
    page.click("button:has-text('Retry')")
    page.wait_for_url(lambda u: "/integrations/sync/" in u and u != failed_url)
    page.wait_for_function("() => document.querySelector('#sync-run').dataset.status === 'succeeded'", timeout=60000)

    page.goto(url + "/integrations")
    rows = page.locator("table.pull-history tbody tr")
    assert rows.count() == 3
    assert [t.strip() for t in page.locator("table.pull-history tbody tr td:nth-child(3)").all_inner_texts()] == [
        "succeeded", "failed", "succeeded"]
    page.screenshot(path=str(screenshot_dir / "integrations-1366.png"), full_page=True)
    page.set_viewport_size({"width": 820, "height": 900})
    page.goto(url + "/integrations")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    page.screenshot(path=str(screenshot_dir / "integrations-820.png"), full_page=True)
