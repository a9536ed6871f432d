"""The simulated Xero's rate limits and their headers, Idempotency-Key replay, the request size
limit, and faults on demand (target ``xero``)."""
from __future__ import annotations

import threading

import pytest
import requests

from tests.xero_spec import SimApi, sim_tokens, specs_available
from wisesync.simulator.faults import Fault
from wisesync.simulator.xero_data import AU_TENANT_ID, NZ_TENANT_ID

pytestmark = [
    pytest.mark.skipif(not specs_available(),
                       reason="!!! Xero OpenAPI fixtures not found: XERO CONTRACT NOT CHECKED !!!"),
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")]
LIMIT_HEADERS = ("X-DayLimit-Remaining", "X-MinLimit-Remaining", "X-AppMinLimit-Remaining")


@pytest.fixture
def api(psa_sim):
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()
    tokens = sim_tokens(psa_sim.url, [NZ_TENANT_ID, AU_TENANT_ID])
    yield SimApi(psa_sim.url, tokens["access_token"], NZ_TENANT_ID)
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()


def _settings(api, **values) -> dict:
    answer = requests.post(f"{api.base}/_sim/xero/{NZ_TENANT_ID}/settings", json=values, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _invoice(number: str = "CW-1") -> dict:
    return {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "Date": "2026-01-15",
                          "InvoiceNumber": number, "Status": "AUTHORISED",
                          "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": 10,
                                         "AccountCode": "4000"}]}]}


# -- rate limits --------------------------------------------------------------------------------

def test_every_answer_carries_the_limit_headers(api):
    first = api.get("Organisation")
    assert [first.headers[h] for h in LIMIT_HEADERS] == ["4999", "59", "9999"]
    second = api.put("Contacts", {"Contacts": [{"Name": ""}]})  # a refused element still counts
    assert [second.headers[h] for h in LIMIT_HEADERS] == ["4998", "58", "9998"]
    bad_where = api.get("Contacts", params={"where": "Name>1"}, check=False)
    assert bad_where.status_code == 400 and bad_where.headers["X-MinLimit-Remaining"] == "57"
    other_org = api.get("Organisation", tenant_id=AU_TENANT_ID)
    assert [other_org.headers[h] for h in LIMIT_HEADERS] == ["4999", "59", "9996"]


def test_sixty_calls_a_minute_then_429_minute(api, psa_sim):
    for _ in range(60):
        assert api.get("Organisation", check=False).status_code == 200
    refused = api.get("Organisation", check=False)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-MinLimit-Remaining"] == "0"
    assert api.get("Organisation", tenant_id=AU_TENANT_ID, check=False).status_code == 200
    psa_sim.state.xero.advance(61)
    assert api.get("Organisation", check=False).status_code == 200


def test_a_day_limit_tests_can_lower(api, psa_sim):
    assert _settings(api, day_limit=10)["day_limit"] == 10
    for _ in range(10):
        assert api.get("Organisation", check=False).status_code == 200
    refused = api.get("Organisation", check=False)
    assert (refused.status_code, refused.headers["X-Rate-Limit-Problem"]) == (429, "day")
    assert refused.headers["X-DayLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) > 60
    psa_sim.state.xero.advance(86_401)
    api.access_token = sim_tokens(api.base, [NZ_TENANT_ID])["access_token"]  # the old one expired
    assert api.get("Organisation", check=False).status_code == 200


def test_five_calls_in_progress_at_most(api):
    results: list[requests.Response] = []

    def slow_call():
        results.append(api.get("Organisation", headers={"X-Sim-Fault": "slow;seconds=1.5"}, check=False))

    threads = [threading.Thread(target=slow_call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 5 + [429]
    refused = next(r for r in results if r.status_code == 429)
    assert refused.headers["X-Rate-Limit-Problem"] == "concurrent"


def test_the_app_wide_minute_limit(api):
    requests.post(f"{api.base}/_sim/xero/settings", json={"app_minute_limit": 3}, timeout=10)
    assert api.get("Organisation", check=False).status_code == 200
    assert api.get("Organisation", tenant_id=AU_TENANT_ID, check=False).status_code == 200
    assert api.get("Organisation", check=False).status_code == 200
    refused = api.get("Organisation", tenant_id=AU_TENANT_ID, check=False)
    assert (refused.status_code, refused.headers["X-Rate-Limit-Problem"]) == (429, "appminute")
    assert refused.headers["X-AppMinLimit-Remaining"] == "0"


def test_429_body_and_settings_validation(api):
    _settings(api, minute_limit=1)
    api.get("Organisation")
    body = api.get("Organisation", check=False).json()
    assert (body["Title"], body["Status"]) == ("Too Many Requests", 429)
    bad = requests.post(f"{api.base}/_sim/xero/{NZ_TENANT_ID}/settings", json={"day_limit": "x"}, timeout=10)
    assert bad.status_code == 400


# -- idempotency ---------------------------------------------------------------------------------

def test_a_replayed_idempotency_key_creates_nothing(api):
    key = {"Idempotency-Key": "run-7:invoice:1001"}
    first = api.put("Invoices", _invoice(), headers=key)
    again = api.put("Invoices", _invoice(), headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json()["Invoices"] == first.json()["Invoices"]
    docs = requests.get(f"{api.base}/_sim/xero/{NZ_TENANT_ID}/documents", timeout=10).json()
    assert len(docs["invoices"]) == 1 and len(docs["contacts"]) == 1
    # a new key with the same body is a new request: the number is taken now
    fresh = api.put("Invoices", _invoice(), headers={"Idempotency-Key": "run-8:invoice:1001"})
    assert fresh.json()["Invoices"][0]["ValidationErrors"][0]["Message"] == "Invoice # must be unique."


def test_a_reused_key_with_another_body_is_refused(api):
    key = {"Idempotency-Key": "k-1"}
    api.put("Invoices", _invoice("CW-1"), headers=key)
    other = api.put("Invoices", _invoice("CW-2"), headers=key, check=False)
    assert other.status_code == 400 and "already been used" in other.json()["Message"]
    too_long = api.put("Invoices", _invoice("CW-3"), headers={"Idempotency-Key": "k" * 129}, check=False)
    assert too_long.status_code == 400 and "128" in too_long.json()["Message"]
    ok_length = api.put("Invoices", _invoice("CW-4"), headers={"Idempotency-Key": "k" * 128})
    assert ok_length.status_code == 200


def test_keys_are_per_organisation_and_refusals_replay_too(api):
    key = {"Idempotency-Key": "same"}
    au_body = {"Invoices": [{**_invoice()["Invoices"][0], "LineItems": [
        {"Description": "Work", "Quantity": 1, "UnitAmount": 10, "AccountCode": "4000", "TaxType": "OUTPUT"}]}]}
    assert api.put("Invoices", _invoice(), headers=key).status_code == 200
    assert api.put("Invoices", au_body, headers=key, tenant_id=AU_TENANT_ID).status_code == 200
    summarized = api.put("Invoices", _invoice("CW-1"), params={"summarizeErrors": "true"},
                         headers={"Idempotency-Key": "dup"})
    assert summarized.status_code == 400
    replay = api.put("Invoices", _invoice("CW-1"), params={"summarizeErrors": "true"},
                     headers={"Idempotency-Key": "dup"})
    assert replay.status_code == 400 and replay.json() == summarized.json()


def test_summarize_errors_true_saves_nothing(api):
    body = {"Contacts": [{"Name": "Fine Ltd"}, {"Name": "Dup"}, {"Name": "dup"}]}
    refused = api.put("Contacts", body, params={"summarizeErrors": "true"})
    assert refused.status_code == 400
    assert [e["Name"] for e in refused.json()["Elements"]] == ["dup"]
    assert api.get("Contacts").json()["Contacts"] == []
    mixed = api.put("Contacts", body)
    assert [c["StatusAttributeString"] for c in mixed.json()["Contacts"]] == ["OK", "OK", "ERROR"]
    assert len(api.get("Contacts").json()["Contacts"]) == 2


# -- request size and faults ----------------------------------------------------------------------

def test_bodies_over_3_5_mb_are_refused(api):
    huge = {"Contacts": [{"Name": f"C{n}", "EmailAddress": "x" * 200 + "@example.com"} for n in range(17_000)]}
    answer = api.put("Contacts", huge, check=False)
    assert answer.status_code == 413
    assert api.get("Contacts").json()["Contacts"] == []


@pytest.mark.parametrize("spec,status", [("500", 500), ("auth", 401), ("429;retry_after=3", 429),
                                         ("deny", 403)])
def test_faults_reach_the_accounting_api(api, spec, status):
    answer = api.get("Organisation", headers={"X-Sim-Fault": spec}, check=False)
    assert answer.status_code == status
    if status == 429:
        assert answer.headers["Retry-After"] == "3" and answer.headers["X-Rate-Limit-Problem"] == "minute"
    if status == 401:
        assert answer.json()["Detail"].startswith("TokenExpired")


def test_board_faults_with_target_xero(api, psa_sim):
    psa_sim.state.faults.add(Fault(kind="malformed", target="xero", path="/Invoices", count=1))
    broken = api.get("Invoices", check=False)
    with pytest.raises(ValueError):
        broken.json()
    assert api.get("Invoices").status_code == 200
    psa_sim.state.faults.add(Fault(kind="500", target="xero", after=1, count=1))
    assert api.get("Organisation").status_code == 200
    assert api.get("Organisation", check=False).status_code == 500
    assert api.get("Organisation").status_code == 200
    psa_sim.state.faults.add(Fault(kind="drop", target="xero", count=1))
    with pytest.raises(requests.exceptions.RequestException):
        api.get("Organisation", check=False)
    psa_sim.state.faults.add(Fault(kind="500", target="cw-rest"))
    assert api.get("Organisation").status_code == 200  # other targets leave Xero alone
