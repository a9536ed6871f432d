"""XeroOAuth against the simulated Xero identity server, end to end (no Flask app needed)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.accounting.sim import (Recorder, consent, sim_settings, sleepless, validate_identity_request)
from tests.xero_spec import specs_available
from wisesync.accounting.errors import XeroAuthError, XeroBlockedTarget, XeroGrantRevoked, XeroUnavailable
from wisesync.accounting.xero import SCOPES, XeroOAuth
from wisesync.simulator.faults import Fault
from wisesync.simulator.xero_data import AU_TENANT_ID, NZ_TENANT_ID

pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")


@pytest.fixture
def sim(psa_sim):
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()
    yield psa_sim
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()


@pytest.fixture
def oauth(sim):
    return XeroOAuth(sim_settings(sim.url), policy=sleepless())


def test_consent_and_code_exchange_give_a_thirty_minute_token_and_a_refresh_token(sim, oauth):
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    tokens = consent(sim.url, oauth, [NZ_TENANT_ID])
    assert tokens.access_token and tokens.refresh_token
    assert before + timedelta(minutes=29) <= tokens.expires_at <= before + timedelta(minutes=31)
    assert set(tokens.scope.split()) == set(SCOPES.split())


def test_connections_list_the_ticked_organisations(sim, oauth):
    tokens = consent(sim.url, oauth, [NZ_TENANT_ID, AU_TENANT_ID])
    tenants = {t.tenant_id: t for t in oauth.connections(tokens.access_token)}
    assert set(tenants) == {NZ_TENANT_ID, AU_TENANT_ID}
    assert tenants[NZ_TENANT_ID].tenant_name == "Wisesim NZ Ltd"
    assert tenants[AU_TENANT_ID].tenant_type == "ORGANISATION" and tenants[AU_TENANT_ID].connection_id


def test_refresh_rotates_and_the_spent_token_is_refused_with_reconnect(sim, oauth):
    first = consent(sim.url, oauth, [NZ_TENANT_ID])
    second = oauth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token and second.access_token != first.access_token
    assert oauth.connections(second.access_token)
    with pytest.raises(XeroGrantRevoked) as caught:
        oauth.refresh(first.refresh_token)
    assert caught.value.fix.startswith("Reconnect Xero on the company's page")
    assert first.refresh_token not in str(caught.value.as_dict())
    assert oauth.refresh(second.refresh_token).refresh_token  # the rotated one still works


def test_revoke_ends_the_grant(sim, oauth):
    tokens = consent(sim.url, oauth, [NZ_TENANT_ID])
    oauth.revoke(tokens.refresh_token)
    with pytest.raises(XeroGrantRevoked):
        oauth.refresh(tokens.refresh_token)
    oauth.revoke(tokens.refresh_token)  # revoking again is harmless


def test_delete_connection_disconnects_one_organisation(sim, oauth):
    tokens = consent(sim.url, oauth, [NZ_TENANT_ID, AU_TENANT_ID])
    au = next(t for t in oauth.connections(tokens.access_token) if t.tenant_id == AU_TENANT_ID)
    oauth.delete_connection(tokens.access_token, au.connection_id)
    assert [t.tenant_id for t in oauth.connections(tokens.access_token)] == [NZ_TENANT_ID]
    oauth.delete_connection(tokens.access_token, au.connection_id)  # already gone: done


def test_wrong_client_secret_is_an_auth_error(sim):
    oauth = XeroOAuth(sim_settings(sim.url, secret="not-the-secret"), policy=sleepless())
    with pytest.raises(XeroAuthError) as caught:
        consent(sim.url, oauth, [NZ_TENANT_ID])
    assert "WISESYNC_XERO_CLIENT_SECRET" in caught.value.fix
    assert "not-the-secret" not in str(caught.value.as_dict())


def test_an_expired_access_token_is_an_auth_error_on_connections(sim, oauth):
    tokens = consent(sim.url, oauth, [NZ_TENANT_ID])
    sim.state.faults.add(Fault("auth", target="xero", path="/connections"))
    with pytest.raises(XeroAuthError) as caught:
        oauth.connections(tokens.access_token)
    assert tokens.access_token not in str(caught.value.as_dict())


def test_a_failing_token_endpoint_is_unavailable_and_not_repeated(sim, oauth):
    tokens = consent(sim.url, oauth, [NZ_TENANT_ID])
    recorder = Recorder(fault="500")
    faulty = XeroOAuth(sim_settings(sim.url), recorder.session, sleepless())
    with pytest.raises(XeroUnavailable):
        faulty.refresh(tokens.refresh_token)
    assert len(recorder.sent) == 1
    assert oauth.refresh(tokens.refresh_token).access_token  # the 500 spent nothing


def test_a_429_on_connections_is_waited_for(sim, oauth):
    tokens = consent(sim.url, oauth, [NZ_TENANT_ID])
    sim.state.faults.add(Fault("429", target="xero", path="/connections", count=1, retry_after=2))
    sleeps: list = []
    patient = XeroOAuth(sim_settings(sim.url), policy=sleepless(sleeps))
    assert patient.connections(tokens.access_token)
    assert sleeps == [2.0]


def test_the_simulator_on_loopback_is_refused_without_allow_local(sim):
    from dataclasses import replace

    oauth = XeroOAuth(replace(sim_settings(sim.url), allow_local=False))
    with pytest.raises(XeroBlockedTarget):
        oauth.refresh("anything")


@pytest.mark.skipif(not specs_available(), reason="!!! Xero OpenAPI fixtures not found !!!")
def test_connection_requests_match_xeros_identity_description(sim):
    recorder = Recorder()
    oauth = XeroOAuth(sim_settings(sim.url), recorder.session, sleepless())
    tokens = consent(sim.url, oauth, [NZ_TENANT_ID, AU_TENANT_ID])
    au = next(t for t in oauth.connections(tokens.access_token) if t.tenant_id == AU_TENANT_ID)
    oauth.delete_connection(tokens.access_token, au.connection_id)
    checked = [r for r in recorder.sent if "/connections" in r.url]
    assert [r.method for r in checked] == ["GET", "DELETE"]
    for prepared in checked:
        validate_identity_request(prepared)
