from __future__ import annotations

import pytest

from tests.builders import make_account, make_admin


@pytest.mark.parametrize("path", ["/login", "/reset-password", "/healthz"])
def test_security_headers_on_every_page(client, path):
    make_admin(make_account())
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert script_src.split()[1:] == ["'self'"] or all(
        s in ("'self'",) or s.startswith("'nonce-") for s in script_src.split()[1:])
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP


def test_hsts_over_https(client):
    r = client.get("/login", base_url="https://portal.example")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_scripts_in_pages(client):
    make_admin(make_account())
    import re

    for path in ("/login", "/reset-password"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " onclick=" not in html and "javascript:" not in html


def test_reset_token_page_sends_no_referrer_and_no_cache(client):
    r = client.get("/reset-password/whatever")
    assert r.headers["Referrer-Policy"] == "no-referrer" and r.headers["Cache-Control"] == "no-store"
