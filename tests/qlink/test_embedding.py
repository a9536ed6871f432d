"""Embedded mode headers, session cookie attributes, origin parsing and ProxyFix."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.qlink.helpers import cw_account_with_people, token_from
from wisesync.config import parse_embed_origins
from wisesync.extensions import db
from wisesync.qlink import services
from wisesync.qlink.models import QLink

CW = "https://na.myconnectwise.net"


def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def _open_qlink(client):
    _, admin, user = cw_account_with_people()
    return client.get(f"/q/{services.generate_qlink(user, actor=admin)}")


class TestWithoutEmbedOrigins:
    def test_frames_are_refused_and_cookie_is_lax(self, app, client):
        page = client.get("/login")
        assert page.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")
        assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert page.headers["Referrer-Policy"] == "same-origin"
        cookie = _session_cookie(_open_qlink(client))
        assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
        assert "Secure" not in cookie and "Partitioned" not in cookie


@pytest.fixture
def embed_env(monkeypatch):
    monkeypatch.setenv("WISESYNC_EMBED_ORIGINS", f"{CW}/, https://eu.myconnectwise.net")
    return {}


class TestWithEmbedOrigins:
    @pytest.fixture
    def app_config(self, embed_env):
        return embed_env

    def test_every_response_allows_the_origins_and_has_no_x_frame_options(self, app, client):
        for response in (client.get("/login"), client.get("/healthz"), client.get("/nowhere"),
                         _open_qlink(client)):
            assert response.headers["Content-Security-Policy"].endswith(
                f"frame-ancestors 'self' {CW} https://eu.myconnectwise.net")
            assert "X-Frame-Options" not in response.headers

    def test_session_cookie_is_samesite_none_secure_partitioned(self, app, client):
        cookie = _session_cookie(_open_qlink(client))
        for attribute in ("SameSite=None", "Secure", "Partitioned", "HttpOnly"):
            assert attribute in cookie

    def test_referrer_policy_stays_same_origin_except_on_the_qlink_redirect(self, app, client):
        assert client.get("/login").headers["Referrer-Policy"] == "same-origin"
        assert _open_qlink(client).headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("bad", ["*", "na.myconnectwise.net", "https://x.example/path", "'none'",
                                 "javascript:alert(1)"])
def test_embed_origins_refuse_anything_but_an_origin(bad):
    with pytest.raises(ValueError, match="WISESYNC_EMBED_ORIGINS"):
        parse_embed_origins(bad)


def test_embed_origins_accept_spaces_commas_slashes_and_wildcards():
    assert parse_embed_origins(" https://NA.myconnectwise.net/,https://*.example.com:8443 ") == [
        "https://na.myconnectwise.net", "https://*.example.com:8443"]
    assert parse_embed_origins("") == []


class TestBehindATlsProxy:
    @pytest.fixture
    def app_config(self, monkeypatch):
        monkeypatch.setenv("WISESYNC_PROXY_FIX", "1")
        return {}

    def test_proxy_headers_give_https_links_and_the_real_client_ip(self, app, client, login):
        _, admin, user = cw_account_with_people()
        login(admin)
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sync.example.com",
                     "X-Forwarded-For": "198.51.100.7"}
        response = client.post(f"/users/{user.id}/qlink", headers=forwarded)
        html = response.get_data(as_text=True)
        assert "https://sync.example.com/q/wsq_" in html
        assert response.headers["Strict-Transport-Security"]
        token = html.split("https://sync.example.com/q/")[1].split("<")[0]
        client.get(f"/q/{token}", headers=forwarded)
        assert db.session.scalar(select(QLink)).last_used_ip == "198.51.100.7"


def test_without_proxy_fix_forwarded_headers_are_ignored(app, client, login):
    _, admin, user = cw_account_with_people()
    login(admin)
    response = client.post(f"/users/{user.id}/qlink", headers={"X-Forwarded-Proto": "https",
                                                               "X-Forwarded-For": "198.51.100.7"})
    client.get(f"/q/{token_from(response)}")
    assert db.session.scalar(select(QLink)).last_used_ip == "127.0.0.1"
