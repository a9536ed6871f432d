"""The simulated Xero identity server, end to end with plain requests: consent page, PKCE, code
exchange, rotating single-use refresh tokens, revocation, and ``/connections`` (validated with
openapi-core against ../shared/fixtures/xero/xero-identity.yaml)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import requests

from tests.xero_spec import (
    SIM_REDIRECT, identity_raw, on_spec_server, pkce_pair, sim_authorize, sim_tokens,
    specs_available, xero_identity_spec)
from wisesync.simulator.xero_data import AU_TENANT_ID, NZ_TENANT_ID

pytestmark = [
    pytest.mark.skipif(not specs_available(),
                       reason="!!! Xero OpenAPI fixtures not found: XERO CONTRACT NOT CHECKED !!!"),
    # openapi-core does not check OAuth2 security schemes (Bearer is checked by these tests)
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")]
CLIENT = ("simxero", "simxero-secret")


@pytest.fixture
def sim(psa_sim):
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()
    yield psa_sim
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()


def _token(sim, data: dict, auth=CLIENT) -> requests.Response:
    return requests.post(f"{sim.url}/xero/identity/connect/token", auth=auth, data=data, timeout=10)


def _code(answer: requests.Response) -> str:
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["st4te"]
    return query["code"][0]


def _exchange(sim, code: str, verifier: str, **extra) -> requests.Response:
    return _token(sim, {"grant_type": "authorization_code", "code": code,
                        "redirect_uri": SIM_REDIRECT, "code_verifier": verifier, **extra})


def _connections(sim, access: str, **params) -> requests.Response:
    return requests.get(f"{sim.url}/xero/api/connections", params=params,
                        headers={"Authorization": f"Bearer {access}"}, timeout=10)


def _validate_connections(response: requests.Response) -> None:
    """openapi-core on request and answer. The one tolerated difference: Xero writes
    ``createdDateUtc`` with seven fraction digits and no zone (the file's own example), which
    its ``format: date-time`` does not allow; everything else must match."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
    from openapi_core.validation.response.exceptions import InvalidData

    prepared = response.request.copy()
    prepared.url = on_spec_server(prepared.url)
    request = RequestsOpenAPIRequest(prepared)
    spec = xero_identity_spec()
    spec.validate_request(request)
    try:
        spec.validate_response(request, RequestsOpenAPIResponse(response))
    except InvalidData as exc:
        errors = list(exc.__cause__.schema_errors)
        assert errors and all("is not a 'date-time'" in e.message for e in errors), errors
    # and with the date-times set aside, the shape is exactly the file's Connection
    schema = dict(identity_raw()["components"]["schemas"]["Connection"])
    for row in response.json():
        jsonschema.validate(row, {**schema, "required": list(schema["properties"])})


def test_consent_page_offers_both_organisations(sim):
    _, challenge = pkce_pair()
    page = requests.get(f"{sim.url}/xero/identity/connect/authorize", timeout=10, params={
        "response_type": "code", "client_id": "simxero", "redirect_uri": SIM_REDIRECT,
        "scope": "openid offline_access accounting.transactions", "state": "s",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    for tenant_id in (NZ_TENANT_ID, AU_TENANT_ID):
        assert f'name="tenant_ids" value="{tenant_id}"' in page.text
    assert "Wisesim NZ Ltd" in page.text and "Wisesim AU Pty" in page.text
    assert "Allow access" in page.text and "Cancel" in page.text


def test_unknown_client_gets_an_error_page_not_a_redirect(sim):
    page = requests.get(f"{sim.url}/xero/identity/connect/authorize", allow_redirects=False,
                        timeout=10, params={"response_type": "code", "client_id": "nope",
                                            "redirect_uri": SIM_REDIRECT, "scope": "openid",
                                            "state": "s", "code_challenge": "x",
                                            "code_challenge_method": "S256"})
    assert page.status_code == 400 and "unauthorized_client" in page.text
    assert "Location" not in page.headers


@pytest.mark.parametrize("change,error", [
    ({"code_challenge": ""}, "invalid_request"), ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"), ({"scope": "accounting.everything"},
                                                               "invalid_scope"),
    ({"state": ""}, "invalid_request")])
def test_bad_authorize_parameters_are_sent_back_as_errors(sim, change, error):
    params = {"response_type": "code", "client_id": "simxero", "redirect_uri": SIM_REDIRECT,
              "scope": "openid", "state": "st4te", "code_challenge": "abc",
              "code_challenge_method": "S256", **change}
    answer = requests.get(f"{sim.url}/xero/identity/connect/authorize", params=params,
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == [error]


def test_no_organisation_ticked_shows_the_page_again(sim):
    _, challenge = pkce_pair()
    answer = sim_authorize(sim.url, [], challenge=challenge)
    assert answer.status_code == 200 and "Select at least one organisation" in answer.text


def test_cancel_is_access_denied_with_state(sim):
    _, challenge = pkce_pair()
    answer = sim_authorize(sim.url, [NZ_TENANT_ID], challenge=challenge, action="cancel")
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["st4te"]}


def test_code_exchange_answers_xero_token_shape(sim):
    verifier, challenge = pkce_pair()
    answer = _exchange(sim, _code(sim_authorize(sim.url, [NZ_TENANT_ID], challenge=challenge)),
                       verifier)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    jsonschema.validate(body, identity_raw()["components"]["schemas"]["AccessToken"])
    assert body["expires_in"] == 1800 and body["token_type"] == "Bearer"
    assert body["refresh_token"] and body["access_token"].count(".") == 2
    assert "accounting.transactions" in body["scope"].split()
    assert answer.headers["Cache-Control"] == "no-store"


def test_client_secret_post_is_accepted_and_bad_secrets_refused(sim):
    verifier, challenge = pkce_pair()
    code = _code(sim_authorize(sim.url, [NZ_TENANT_ID], challenge=challenge))
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SIM_REDIRECT,
            "code_verifier": verifier}
    wrong_basic = _token(sim, data, auth=("simxero", "wrong"))
    assert wrong_basic.status_code == 401 and wrong_basic.json() == {"error": "invalid_client"}
    wrong_post = _token(sim, {**data, "client_id": "simxero", "client_secret": "wrong"}, auth=None)
    assert wrong_post.status_code == 400 and wrong_post.json() == {"error": "invalid_client"}
    good = _token(sim, {**data, "client_id": "simxero", "client_secret": "simxero-secret"}, auth=None)
    assert good.status_code == 200, good.text


def test_wrong_pkce_verifier_is_refused_and_burns_the_code(sim):
    verifier, challenge = pkce_pair()
    code = _code(sim_authorize(sim.url, [NZ_TENANT_ID], challenge=challenge))
    bad = _exchange(sim, code, verifier + "x")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    assert _exchange(sim, code, verifier).json()["error"] == "invalid_grant"


def test_code_is_single_use_bound_to_redirect_and_short_lived(sim):
    verifier, challenge = pkce_pair()
    code = _code(sim_authorize(sim.url, [NZ_TENANT_ID], challenge=challenge))
    other_redirect = _token(sim, {"grant_type": "authorization_code", "code": code,
                                  "redirect_uri": SIM_REDIRECT + "/other", "code_verifier": verifier})
    assert other_redirect.json()["error"] == "invalid_grant"

    code = _code(sim_authorize(sim.url, [NZ_TENANT_ID], challenge=challenge))
    assert _exchange(sim, code, verifier).status_code == 200
    replay = _exchange(sim, code, verifier)
    assert replay.status_code == 400 and replay.json() == {"error": "invalid_grant"}

    code = _code(sim_authorize(sim.url, [NZ_TENANT_ID], challenge=challenge))
    sim.state.xero.advance(301)
    assert _exchange(sim, code, verifier).json()["error"] == "invalid_grant"


def test_refresh_tokens_rotate_and_work_once(sim):
    first = sim_tokens(sim.url, [NZ_TENANT_ID])
    second = _token(sim, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"] and second["expires_in"] == 1800
    reused = _token(sim, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert reused.status_code == 400 and reused.json() == {"error": "invalid_grant"}
    third = _token(sim, {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]})
    assert third.status_code == 200
    assert _connections(sim, third.json()["access_token"]).status_code == 200


def test_refresh_needs_the_same_client(sim):
    sim.state.xero.grants.clients["other"] = "other-secret"
    tokens = sim_tokens(sim.url, [NZ_TENANT_ID])
    stolen = _token(sim, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                    auth=("other", "other-secret"))
    assert stolen.json() == {"error": "invalid_grant"}


def test_no_offline_access_no_refresh_token(sim):
    tokens = sim_tokens(sim.url, [NZ_TENANT_ID], scope="openid accounting.transactions")
    assert "refresh_token" not in tokens and tokens["access_token"]


def test_connections_list_the_ticked_organisations(sim):
    tokens = sim_tokens(sim.url, [NZ_TENANT_ID, AU_TENANT_ID])
    answer = _connections(sim, tokens["access_token"])
    assert answer.status_code == 200
    _validate_connections(answer)
    rows = answer.json()
    assert [(r["tenantId"], r["tenantName"], r["tenantType"]) for r in rows] == [
        (NZ_TENANT_ID, "Wisesim NZ Ltd", "ORGANISATION"), (AU_TENANT_ID, "Wisesim AU Pty", "ORGANISATION")]
    assert len({r["authEventId"] for r in rows}) == 1 and len({r["id"] for r in rows}) == 2
    assert _connections(sim, tokens["access_token"], authEventId=rows[0]["authEventId"]).json() == rows
    assert _connections(sim, tokens["access_token"],
                        authEventId="00000000-0000-0000-0000-000000000000").json() == []


def test_deleting_a_connection(sim):
    tokens = sim_tokens(sim.url, [NZ_TENANT_ID, AU_TENANT_ID])
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    rows = _connections(sim, tokens["access_token"]).json()
    gone = requests.delete(f"{sim.url}/xero/api/connections/{rows[0]['id']}", headers=headers, timeout=10)
    assert gone.status_code == 204 and gone.content == b""
    assert [r["tenantId"] for r in _connections(sim, tokens["access_token"]).json()] == [AU_TENANT_ID]
    again = requests.delete(f"{sim.url}/xero/api/connections/{rows[0]['id']}", headers=headers, timeout=10)
    assert again.status_code == 404


def test_access_tokens_expire_after_30_minutes_with_xeros_401(sim):
    tokens = sim_tokens(sim.url, [NZ_TENANT_ID])
    sim.state.xero.advance(1799)
    assert _connections(sim, tokens["access_token"]).status_code == 200
    sim.state.xero.advance(2)
    answer = _connections(sim, tokens["access_token"])
    assert answer.status_code == 401
    body = answer.json()
    assert body["Title"] == "Unauthorized" and body["Status"] == 401 and body["Type"] is None
    assert body["Detail"].startswith("TokenExpired: token expired at ")
    assert _connections(sim, "not-a-token").json()["Detail"] == "AuthenticationUnsuccessful"
    assert requests.get(f"{sim.url}/xero/api/connections", timeout=10).status_code == 401


def test_revocation_ends_the_grant(sim):
    tokens = sim_tokens(sim.url, [NZ_TENANT_ID])
    revoked = requests.post(f"{sim.url}/xero/identity/connect/revocation", auth=CLIENT,
                            data={"token": tokens["refresh_token"]}, timeout=10)
    assert revoked.status_code == 200
    assert _connections(sim, tokens["access_token"]).status_code == 401
    refreshed = _token(sim, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.json() == {"error": "invalid_grant"}
    assert not sim.state.xero.grants.grants[-1].connections
    unknown = requests.post(f"{sim.url}/xero/identity/connect/revocation", auth=CLIENT,
                            data={"token": "unknown"}, timeout=10)
    assert unknown.status_code == 200  # RFC 7009


def test_faults_reach_the_identity_side(sim):
    tokens = sim_tokens(sim.url, [NZ_TENANT_ID])
    refused = _token(sim, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 200
    refresh = refused.json()["refresh_token"]
    faulted = requests.post(f"{sim.url}/xero/identity/connect/token", auth=CLIENT, timeout=10,
                            data={"grant_type": "refresh_token", "refresh_token": refresh},
                            headers={"X-Sim-Fault": "auth"})
    assert faulted.json() == {"error": "invalid_grant"}
    down = requests.get(f"{sim.url}/xero/api/connections", timeout=10,
                        headers={"Authorization": f"Bearer {tokens['access_token']}",
                                 "X-Sim-Fault": "500"})
    assert down.status_code == 500
    from wisesync.simulator.faults import Fault

    sim.state.faults.add(Fault(kind="429", target="xero", count=1))
    limited = _connections(sim, tokens["access_token"])
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert _connections(sim, tokens["access_token"]).status_code == 200
