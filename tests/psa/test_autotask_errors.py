"""Autotask as tenants see it, and each answer mapped to the fix that helps: nextPageUrl only
takes a POST (a GET is a 405), an unknown username is a 500 with an errors[] body (not a 401),
a wrong integration code a 500 naming it; Autotask's own words stay with the error and show
under the explanation in the checklist."""
from __future__ import annotations

import json

import pytest
import requests

from wisesync.psa.autotask_rest import AutotaskRestClient
from wisesync.psa.errors import PsaAuthError, PsaNotFound
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import demo

HEADERS = {"UserName": demo.AT_API_USERNAME, "Secret": demo.AT_API_SECRET,
           "ApiIntegrationCode": demo.AT_INTEGRATION_CODE}


def make(sim, username=demo.AT_API_USERNAME, secret=demo.AT_API_SECRET, code=demo.AT_INTEGRATION_CODE, **kw):
    return AutotaskRestClient(username, secret, code, policy=OutboundPolicy(allow_local=True, sleep=lambda s: None),
                              zone_lookup_url=f"{sim.url}/atservicesrest/v1.0/zoneInformation", **kw)


def test_a_get_on_next_page_url_is_a_405_and_a_post_with_the_body_pages_on(psa_sim, sim_faults):
    query = {"maxRecords": 10, "filter": [{"op": "gte", "field": "id", "value": 0}]}
    first = requests.post(f"{psa_sim.url}/ATServicesRest/V1.0/Companies/query", json=query,
                          headers=HEADERS, timeout=10).json()
    next_url = first["pageDetails"]["nextPageUrl"]
    refused = requests.get(next_url, headers=HEADERS, timeout=10)
    assert refused.status_code == 405
    assert refused.json() == {"Message": "The requested resource does not support http method 'GET'."}
    following = requests.post(next_url, json=query, headers=HEADERS, timeout=10).json()
    assert [c["id"] for c in following["items"]] == [c["id"] + 10 for c in first["items"]]
    narrower = requests.post(next_url, headers=HEADERS, timeout=10, json={
        "maxRecords": 10, "filter": [{"op": "gt", "field": "id", "value": first["items"][-1]["id"] + 5}]})
    assert narrower.json()["items"][0]["id"] == first["items"][-1]["id"] + 6  # the body's filter counts


def test_the_client_pages_by_post(psa_sim, sim_faults):
    client = make(psa_sim)
    assert len(list(client.query("Companies", max_records=40))) == psa_sim.state.records


def test_an_unknown_username_is_a_500_with_errors_and_says_check_the_username(psa_sim, sim_faults):
    raw = requests.get(f"{psa_sim.url}/ATServicesRest/V1.0/ThresholdInformation", timeout=10,
                       headers={**HEADERS, "UserName": "nobody@example.com"})
    assert raw.status_code == 500 and raw.json()["errors"]
    lookup = requests.get(f"{psa_sim.url}/atservicesrest/v1.0/zoneInformation",
                          params={"user": "nobody@example.com"}, timeout=10)
    assert lookup.status_code == 500
    assert lookup.json() == {"errors": ["Zone information could not be determined"]}
    with pytest.raises(PsaNotFound) as unknown:
        make(psa_sim, username="nobody@example.com").discover_zone()
    assert "Username (Key)" in unknown.value.fix
    assert unknown.value.psa_message == "Zone information could not be determined"
    overridden = make(psa_sim, username="nobody@example.com", zone_url=f"{psa_sim.url}/ATServicesRest/")
    with pytest.raises(PsaAuthError) as caught:
        overridden.threshold_information()
    assert "does not know the API username nobody@example.com" in caught.value.explanation
    assert caught.value.status == 500 and "Username (Key)" in caught.value.fix


def test_a_wrong_secret_is_still_a_401(psa_sim, sim_faults):
    raw = requests.get(f"{psa_sim.url}/ATServicesRest/V1.0/ThresholdInformation", timeout=10,
                       headers={**HEADERS, "Secret": "wrong"})
    assert raw.status_code == 401


def test_a_wrong_integration_code_is_a_500_naming_it(psa_sim, sim_faults):
    raw = requests.get(f"{psa_sim.url}/ATServicesRest/V1.0/ThresholdInformation", timeout=10,
                       headers={**HEADERS, "ApiIntegrationCode": "NOPE"})
    assert raw.status_code == 500 and raw.json() == {"errors": ["IntegrationCode is invalid."]}
    with pytest.raises(PsaAuthError) as caught:
        make(psa_sim, code="NOPE").count("Companies")
    assert "API Tracking Identifier" in caught.value.fix
    assert caught.value.psa_message == "IntegrationCode is invalid."


def test_the_checklist_keeps_autotask_own_words(psa_sim, sim_faults):
    report = make(psa_sim, code="NOPE").test_connection()
    failed = next(c for c in report.checks if c.name == "Authenticated")
    assert not failed.ok and failed.psa_said == "IntegrationCode is invalid."
    assert json.loads(json.dumps(report.as_dict()))["checks"][2]["psa_said"] == "IntegrationCode is invalid."
