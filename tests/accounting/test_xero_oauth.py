"""Xero's identity side through Authlib, on the fake session: PKCE, client auth, errors, the guard."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.accounting.fakes import SETTINGS, FakeXero, oauth, reply
from wisesync.accounting.errors import (XeroAuthError, XeroBadResponse, XeroBlockedTarget, XeroGrantRevoked,
                                        XeroRateLimited, XeroUnavailable)
from wisesync.accounting.xero import SCOPES, TokenSet, XeroTenant, new_code_verifier

VERIFIER = new_code_verifier()
TOKENS = {"access_token": "new-access-token", "refresh_token": "new-refresh-token", "expires_in": 1800,
          "token_type": "Bearer", "scope": SCOPES, "id_token": "id.token.jwt"}


def basic_auth():
    return "Basic " + base64.b64encode(f"{SETTINGS.client_id}:{SETTINGS.client_secret}".encode()).decode()


def test_authorization_url_asks_for_a_code_with_pkce_s256():
    url = oauth(FakeXero()).authorization_url("https://portal.example/xero/callback", "state-123", VERIFIER)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == SETTINGS.authorize_url
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    assert query == {"response_type": "code", "client_id": SETTINGS.client_id,
                     "redirect_uri": "https://portal.example/xero/callback", "scope": SCOPES,
                     "state": "state-123", "code_challenge": challenge, "code_challenge_method": "S256"}
    assert 43 <= len(VERIFIER) <= 128


def test_scopes_are_granular_with_offline_access():
    scopes = SCOPES.split()
    assert {"offline_access", "accounting.settings", "accounting.contacts", "accounting.invoices",
            "accounting.payments"} <= set(scopes)
    assert "accounting.transactions" not in scopes


def test_exchange_code_posts_the_code_and_verifier_with_basic_client_auth():
    fake = FakeXero(reply(200, TOKENS))
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    tokens = oauth(fake, timeout=(2.0, 9.0)).exchange_code("the-code", "https://portal.example/cb", VERIFIER)
    sent = fake.sent[0]
    assert sent.method == "POST" and sent.url == SETTINGS.identity_url + "/connect/token"
    assert sent.headers["Authorization"] == basic_auth()
    assert sent.form() == {"grant_type": "authorization_code", "code": "the-code", "code_verifier": VERIFIER,
                           "redirect_uri": "https://portal.example/cb"}
    assert sent.kwargs["timeout"] == (2.0, 9.0)
    assert tokens.access_token == "new-access-token" and tokens.refresh_token == "new-refresh-token"
    assert tokens.expires_at.tzinfo is None
    assert before + timedelta(minutes=29) <= tokens.expires_at <= before + timedelta(minutes=31)
    assert tokens.scope == SCOPES


def test_token_set_repr_holds_no_token():
    tokens = TokenSet("access-secret", "refresh-secret", datetime(2026, 1, 1))
    assert "secret" not in repr(tokens)
    assert "s3cret" not in repr(SETTINGS) and "s3cret" not in repr(oauth(FakeXero()))


def test_refresh_sends_the_refresh_token_and_returns_the_rotated_one():
    fake = FakeXero(reply(200, TOKENS))
    tokens = oauth(fake).refresh("old-refresh-token")
    assert fake.sent[0].form() == {"grant_type": "refresh_token", "refresh_token": "old-refresh-token"}
    assert fake.sent[0].headers["Authorization"] == basic_auth()
    assert tokens.refresh_token == "new-refresh-token"


def test_refresh_refused_with_invalid_grant_says_reconnect():
    fake = FakeXero(reply(400, {"error": "invalid_grant", "error_description": "old-refresh-token spent"}))
    with pytest.raises(XeroGrantRevoked) as caught:
        oauth(fake).refresh("old-refresh-token")
    error = caught.value
    assert error.explanation.startswith("Xero refused to renew access")
    assert error.fix.startswith("Reconnect Xero on the company's page")
    assert "old-refresh-token" not in str(error) + str(error.as_dict())


def test_wrong_client_secret_is_an_auth_error_naming_the_settings():
    fake = FakeXero(reply(400, {"error": "invalid_client"}))
    with pytest.raises(XeroAuthError) as caught:
        oauth(fake).refresh("r")
    assert not isinstance(caught.value, XeroGrantRevoked)
    assert "WISESYNC_XERO_CLIENT_SECRET" in caught.value.fix
    assert SETTINGS.client_secret not in str(caught.value)


def test_an_expired_code_is_an_auth_error_that_says_connect_again():
    with pytest.raises(XeroAuthError, match="Connect Xero again"):
        oauth(FakeXero(reply(400, {"error": "invalid_grant"}))).exchange_code("c", "https://p/cb", VERIFIER)


def test_a_refresh_is_never_repeated_after_a_5xx():
    fake = FakeXero(reply(502, b"Bad gateway"))
    with pytest.raises(XeroUnavailable):
        oauth(fake).refresh("r")
    assert len(fake.sent) == 1


def test_a_429_on_the_token_endpoint_is_waited_for():
    sleeps = []
    fake = FakeXero(reply(429, b"", {"Retry-After": "2"}), reply(200, TOKENS))
    assert oauth(fake, sleeps).refresh("r").access_token == "new-access-token" and sleeps == [2.0]
    with pytest.raises(XeroRateLimited):
        oauth(FakeXero(reply(429, b"", {"Retry-After": "2"})), max_retries=0).refresh("r")


def test_a_token_answer_without_a_refresh_token_is_refused():
    body = {k: v for k, v in TOKENS.items() if k != "refresh_token"}
    with pytest.raises(XeroBadResponse, match="refresh token"):
        oauth(FakeXero(reply(200, body))).exchange_code("c", "https://p/cb", VERIFIER)


def test_a_non_json_token_answer_is_a_bad_response():
    with pytest.raises(XeroBadResponse):
        oauth(FakeXero(reply(200, b"<html>login</html>"))).refresh("r")


def test_the_identity_server_goes_through_the_guard():
    settings = dataclasses.replace(SETTINGS, identity_url="http://127.0.0.1:9/identity", allow_local=False)
    fake = FakeXero(reply(200, TOKENS))
    with pytest.raises(XeroBlockedTarget):
        oauth(fake, settings=settings).refresh("r")
    assert fake.sent == []


def test_revoke_posts_the_refresh_token():
    fake = FakeXero(reply(200, b""))
    oauth(fake).revoke("the-refresh-token")
    sent = fake.sent[0]
    assert sent.url == SETTINGS.identity_url + "/connect/revocation"
    assert sent.form()["token"] == "the-refresh-token" and sent.headers["Authorization"] == basic_auth()


def test_revoking_a_token_xero_no_longer_knows_counts_as_done():
    oauth(FakeXero(reply(400, {"error": "invalid_grant"}))).revoke("gone")
    with pytest.raises(XeroAuthError):
        oauth(FakeXero(reply(400, {"error": "invalid_client"}))).revoke("r")


CONNECTIONS = [{"id": "conn-1", "authEventId": "ev", "tenantId": "tenant-nz", "tenantType": "ORGANISATION",
                "tenantName": "Wisesim NZ Ltd", "createdDateUtc": "2026-05-01T00:00:00",
                "updatedDateUtc": "2026-05-01T00:00:00"}]


def test_connections_lists_the_tenants_with_the_bearer_token():
    fake = FakeXero(reply(200, CONNECTIONS))
    assert oauth(fake).connections("access-1") == [
        XeroTenant("conn-1", "tenant-nz", "Wisesim NZ Ltd", "ORGANISATION")]
    sent = fake.sent[0]
    assert sent.method == "GET" and sent.url == SETTINGS.api_url + "/connections"
    assert sent.headers["Authorization"] == "Bearer access-1"


def test_connections_with_an_expired_token_is_an_auth_error():
    with pytest.raises(XeroAuthError) as caught:
        oauth(FakeXero(reply(401, {"Detail": "TokenExpired access-1"}))).connections("access-1")
    assert "access-1" not in str(caught.value.as_dict())


def test_delete_connection_and_an_already_deleted_one():
    fake = FakeXero(reply(204, b""), reply(404, b""))
    oauth(fake).delete_connection("access-1", "conn-1")
    oauth(fake).delete_connection("access-1", "conn-1")
    url = SETTINGS.api_url + "/connections/conn-1"
    assert [(s.method, s.url) for s in fake.sent] == [("DELETE", url)] * 2
