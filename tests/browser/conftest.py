"""Real-browser fixtures: Debian's chromium driven by Playwright (never a downloaded browser).

``live_portal(env)`` starts the portal with gunicorn on a free loopback port, on its own
SQLite file, migrated like ``scripts/serve`` does, and returns its base URL. Browser tests are
skipped, loudly, only when chromium or Playwright is missing (scripts/test installs both).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path():
    if not Path(CHROMIUM).exists():
        pytest.skip("SKIPPED LOUDLY: /usr/bin/chromium is missing; run scripts/test as root "
                    "(it apt-get installs Debian's chromium) to run the browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("SKIPPED LOUDLY: the playwright package is missing (requirements-dev.txt)")
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright_instance(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def launch_browser(playwright_instance, chromium_path):
    """``launch_browser(extra_args=[...])`` → a headless Chromium, closed after the test."""
    browsers = []

    def launch(extra_args=()):
        browser = playwright_instance.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS + list(extra_args))
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


@pytest.fixture
def browser(launch_browser):
    return launch_browser()


@pytest.fixture
def live_portal(tmp_path):
    """``live_portal(env={...})`` → base URL of a fresh portal served by gunicorn."""
    procs = []

    def start(env: dict | None = None, host: str = "127.0.0.1") -> str:
        port = _free_port()
        instance = tmp_path / f"instance-{port}"
        instance.mkdir()
        full_env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{instance / 'wisesync.sqlite3'}",
            "SECRET_KEY": "browser-test-secret",
            "WISESYNC_INSTANCE_PATH": str(instance),
            "FLASK_APP": "wsgi",
            **(env or {}),
        }
        bin_dir = Path(sys.executable).parent
        subprocess.run([str(bin_dir / "flask"), "db", "upgrade"], cwd=ROOT, env=full_env,
                       check=True, capture_output=True)
        log = open(instance / "server.log", "w")
        proc = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "--bind", f"{host}:{port}", "--workers", "1",
             "--threads", "4", "--access-logfile", "-",
             "--logger-class", "wisesync.gunicorn_logging.MaskingLogger", "wsgi:app"],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        procs.append((proc, log))
        url = f"http://{host}:{port}"
        for _ in range(100):
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    return url
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"portal did not start: {(instance / 'server.log').read_text()}")

    yield start
    for proc, log in procs:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def screenshot_dir():
    """Screenshots land in test-artifacts/ (git-ignored) for a person to look at."""
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
