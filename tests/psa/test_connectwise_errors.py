"""What ConnectWise says when it refuses, as the REST client maps it: each answer to the fix
that helps, with ConnectWise's own code and message kept (scrubbed) for support.

Wording from public sources (see the simulator's cw_rest/cw_query): 400 ApiFindCondition
"<name> is not a recognized name."; 401 "Unauthorized"/"Incorrect public/private key" and
"ConnectWiseApi"/"UserNotAuthenticated"; Cloudflare's 429 with Retry-After."""
from __future__ import annotations

import pytest
import requests

from wisesync.psa.connectwise_rest import ConnectWiseRestClient
from wisesync.psa.errors import PsaAuthError, PsaBadResponse, PsaConfigError, PsaRateLimited
from wisesync.psa.http import OutboundPolicy
from wisesync.psa.report import ConnectionReport
from wisesync.simulator import demo


@pytest.fixture
def client(psa_sim):
    def make(fault: str | None = None, sleeps=None, client_id="errors-tests"):
        session = requests.Session()
        if fault:
            session.headers["X-Sim-Fault"] = fault
        policy = OutboundPolicy(allow_local=True, sleep=(sleeps if sleeps is not None else []).append)
        return ConnectWiseRestClient(psa_sim.url, demo.CW_COMPANY_ID, demo.CW_PUBLIC_KEY, demo.CW_PRIVATE_KEY,
                                     client_id, session=session, policy=policy)
    return make


def test_a_filter_connectwise_does_not_know_says_so_and_keeps_its_words(client):
    with pytest.raises(PsaBadResponse) as refused:
        client().count("/company/companies", "typeids=1")
    assert "did not accept the filter" in refused.value.explanation
    assert refused.value.psa_message == "ApiFindCondition: typeids is not a recognized name."
    assert "Nothing was changed in ConnectWise" in refused.value.fix


def test_wrong_keys_and_a_member_not_signed_in_get_different_fixes(client):
    with pytest.raises(PsaAuthError) as wrong:
        client("auth").system_info()
    assert wrong.value.psa_message == "Unauthorized: Incorrect public/private key"
    assert "API Keys tab" in wrong.value.fix
    with pytest.raises(PsaAuthError) as member:
        client("auth;code=UserNotAuthenticated").system_info()
    assert "UserNotAuthenticated" in member.value.explanation
    assert member.value.psa_message == "ConnectWiseApi: UserNotAuthenticated"
    assert "not inactive" in member.value.fix and member.value.fix != wrong.value.fix
    assert demo.CW_PRIVATE_KEY not in str(member.value) + (member.value.psa_message or "")


def test_a_refused_member_token_names_the_member(client):
    acting = client().as_member({"publicKey": "expired", "privateKey": "token"}, "jsmith")
    with pytest.raises(PsaAuthError) as refused:
        acting.system_info()
    assert "member token of member jsmith" in refused.value.explanation
    assert "new member token" in refused.value.fix


def test_the_cloudflare_429_is_retried_then_explained_with_its_wait(client):
    sleeps = []
    with pytest.raises(PsaRateLimited) as limited:
        client("429;retry_after=3", sleeps=sleeps).system_info()
    assert sleeps == [3.0] * 4  # Retry-After honoured on every retry
    assert limited.value.retry_after == 3.0 and limited.value.status == 429
    assert "wait 3 seconds" in limited.value.explanation and "Cloudflare" in limited.value.fix
    assert limited.value.psa_message == "HTTP 429 Too Many Requests (Retry-After: 3)"


def test_a_missing_client_id_is_a_settings_error(psa_sim):
    session = requests.Session()
    client = ConnectWiseRestClient(psa_sim.url, demo.CW_COMPANY_ID, demo.CW_PUBLIC_KEY, demo.CW_PRIVATE_KEY,
                                   "x", session=session, policy=OutboundPolicy(allow_local=True))
    client._headers["clientId"] = ""  # as if ConnectWise did not get one
    with pytest.raises(PsaConfigError) as refused:
        client.system_info()
    assert "Client ID" in refused.value.explanation and "clientId" in refused.value.psa_message


def test_the_checklist_shows_connectwise_own_words_under_the_explanation(client):
    report = client("auth;code=UserNotAuthenticated").test_connection()
    authenticated = next(c for c in report.checks if c.name == "Authenticated")
    assert not authenticated.ok and authenticated.psa_said == "ConnectWiseApi: UserNotAuthenticated"
    again = ConnectionReport.from_dict(report.as_dict())  # stored and read back
    assert next(c for c in again.checks if c.name == "Authenticated").psa_said == authenticated.psa_said
