"""QLink and account-QLink tokens never reach the werkzeug request log (gunicorn: browser tests)."""
from __future__ import annotations

import logging
import threading

import requests
from werkzeug.serving import make_server

from tests.qlink.helpers import cw_account_with_people
from wisesync.gunicorn_logging import MaskingLogger
from wisesync.logs import mask_tokens
from wisesync.qlink import services


def test_werkzeug_request_log_masks_qlink_and_account_tokens(app, caplog, monkeypatch):
    # Alembic's fileConfig (the schema fixture migrates in-process) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", False)
    account, admin, user = cw_account_with_people()
    token = services.generate_qlink(user, actor=admin)
    account_token = services.generate_account_qlink(account, actor=admin)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            requests.get(f"{base}/q/{token}", allow_redirects=False, timeout=5)
            requests.get(f"{base}/a/{account_token}", allow_redirects=False, timeout=5)
            requests.get(f"{base}/q/wsq_guess", allow_redirects=False, timeout=5)
    finally:
        server.shutdown()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/q/[masked]" in line and " 303 " in line for line in lines), lines
    assert any("/a/[masked]" in line for line in lines), lines
    text = "\n".join(lines)
    assert token not in text and account_token not in text and "wsq_guess" not in text


def test_gunicorn_access_log_masks_path_and_referer():
    logged = {}

    class Capture(MaskingLogger):
        def __init__(self):  # no gunicorn config needed to check what reaches the formatter
            pass

    def fake_access(self, resp, req, environ, request_time):
        logged.update(environ)

    base = MaskingLogger.__mro__[1]
    original = base.access
    base.access = fake_access
    try:
        Capture().access(None, None, {"PATH_INFO": "/q/wsq_secret", "RAW_URI": "/q/wsq_secret?probe=1",
                                      "HTTP_REFERER": "https://x/a/wsa_secret"}, 0)
    finally:
        base.access = original
    assert logged["PATH_INFO"] == "/q/[masked]" and logged["RAW_URI"] == "/q/[masked]?probe=1"
    assert logged["HTTP_REFERER"] == "https://x/a/[masked]"


def test_mask_keeps_the_rest_of_the_line():
    assert mask_tokens('"GET /q/wsq_abc-_1 HTTP/1.1" 303') == '"GET /q/[masked] HTTP/1.1" 303'
