"""Finding 1: links that leave the request come from WISESYNC_PUBLIC_URL, never the Host header."""
from __future__ import annotations

import re

import pytest

from tests.builders import make_account, make_admin
from wisesync.config import parse_public_url
from wisesync.urls import external_url

PUBLIC = "https://portal.example.com"


@pytest.fixture
def app_config(mail_config):
    return {**mail_config, "WISESYNC_PUBLIC_URL": PUBLIC + "/"}


def test_reset_mail_link_comes_from_the_public_url_whatever_the_host_header(app, mailbox):
    user = make_admin(make_account())
    client = app.test_client()
    # The attack: a reset for the victim, asked for through a forged Host header.
    forged = client.post("/reset-password", data={"email": user.email},
                         base_url="http://evil.example")
    assert forged.status_code == 400
    assert mailbox.messages == []
    client.post("/reset-password", data={"email": user.email}, base_url=PUBLIC)
    body = mailbox.last_body()
    assert re.search(r"https://portal\.example\.com/reset-password/\S{43,}", body), body
    assert "evil.example" not in body


@pytest.mark.parametrize("header", ["X-Forwarded-Host", "X-Host", "Forwarded"])
def test_forwarded_host_headers_do_not_count_without_proxy_fix(app, mailbox, header):
    user = make_admin(make_account())
    value = "host=evil.example" if header == "Forwarded" else "evil.example"
    app.test_client().post("/reset-password", data={"email": user.email}, base_url=PUBLIC,
                           headers={header: value})
    assert "evil.example" not in mailbox.last_body()


def test_untrusted_host_gets_a_readable_400_page_not_a_500(app):
    response = app.test_client().get("/login", base_url="http://evil.example")
    assert response.status_code == 400
    assert "address" in response.get_data(as_text=True).lower()


def test_qlink_shown_to_copy_uses_the_public_url(app):
    from tests.security.world import build_world, client_for

    # The test client talks to the trusted host (a cookie jar is per host).
    app.config.update(SERVER_NAME="portal.example.com", PREFERRED_URL_SCHEME="https")
    world = build_world()
    client = client_for(app, world, "admin")
    html = client.post(f"/users/{world.target.id}/qlink").get_data(as_text=True)
    assert re.search(r"https://portal\.example\.com/q/wsq_[\w-]{40,}", html), html
    html = client.post("/account/qlink").get_data(as_text=True)
    assert re.search(r"https://portal\.example\.com/a/wsa_[\w-]{40,}", html)


def test_external_url_works_outside_a_request_and_keeps_a_path_prefix(app):
    app.config["WISESYNC_PUBLIC_URL"] = "https://example.com/wisesync"
    assert external_url("security.reset_password", token="abc") == \
        "https://example.com/wisesync/reset-password/abc"
    assert external_url("auth.login", next="/users", _anchor="x") == \
        "https://example.com/wisesync/login?next=/users#x"


def test_external_url_without_public_url_uses_the_request(app):
    app.config.update(WISESYNC_PUBLIC_URL="", TRUSTED_HOSTS=None)
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        assert external_url("auth.login") == "http://127.0.0.1:5000/login"


@pytest.mark.parametrize("value", ["portal.example.com", "ftp://portal.example.com",
                                   "https://user@portal.example.com", "https://portal.example.com/?a=1",
                                   "https://portal.example.com#x", "https://", "https://a b.example",
                                   "https://portal.example.com:99999"])
def test_a_public_url_that_is_not_a_base_url_stops_the_start(value):
    with pytest.raises(ValueError, match="WISESYNC_PUBLIC_URL"):
        parse_public_url(value)


def test_public_url_sets_trusted_hosts(app):
    assert app.config["TRUSTED_HOSTS"] == ["portal.example.com"]
    assert parse_public_url("https://Portal.example.com/") == "https://Portal.example.com"
