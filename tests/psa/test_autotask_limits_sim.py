"""Autotask's request limits (issue 14): the simulator refuses a fourth concurrent request on one
endpoint with Autotask's thread-threshold words and every request past 10,000 in the rolling
hour; the client retries the first (Autotask never ran it, so a PATCH too) and explains both
with the fix, never retrying the hourly one."""
from __future__ import annotations

import threading

import pytest
import requests

from tests.psa.test_autotask_rest import fault, make_client
from wisesync.psa.autotask_billing import AutotaskBilling
from wisesync.psa.errors import PsaRateLimited
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import at_data, at_limits, demo

HEADERS = {"UserName": demo.AT_API_USERNAME, "Secret": demo.AT_API_SECRET,
           "ApiIntegrationCode": demo.AT_INTEGRATION_CODE}


@pytest.fixture
def stats(psa_sim, sim_faults):
    stats = psa_sim.app.extensions["at_sim"]
    stats.reset()
    yield stats
    stats.in_flight.clear()
    stats.clock = at_limits.time.time
    stats.reset()


def count(sim, entity="Companies") -> requests.Response:
    return requests.post(f"{sim.url}/ATServicesRest/V1.0/{entity}/query/count", headers=HEADERS,
                         json={"filter": [{"op": "gte", "field": "id", "value": 0}]}, timeout=10)


def test_a_fourth_concurrent_request_on_one_endpoint_is_refused_with_autotasks_words(psa_sim, stats, sim_faults):
    fault(sim_faults, "slow", seconds=0.5, path="/Companies/")
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(count(psa_sim))) for _ in range(3)]
    [t.start() for t in threads]
    while stats.in_flight["Companies"] < 3:  # the three are inside Autotask now
        threading.Event().wait(0.01)
    fourth = count(psa_sim)
    other = count(psa_sim, "Products")  # another endpoint has threads of its own
    zone = requests.get(f"{psa_sim.url}/atservicesrest/v1.0/zoneInformation",
                        params={"user": demo.AT_API_USERNAME}, timeout=10)
    [t.join() for t in threads]
    assert fourth.status_code == 429
    assert fourth.json() == {"errors": ["The Autotask API thread threshold of 3 threads has been exceeded."]}
    assert other.status_code == 200 and zone.status_code == 200
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert stats.max_in_flight["Companies"] == 3 and stats.refused["threads"] == 1


def test_past_10000_requests_in_the_rolling_hour_every_request_is_refused(psa_sim, stats):
    now = [1_000_000.0]
    stats.clock = lambda: now[0]
    stats.requests = 5_000  # other integrations, half an hour ago
    now[0] += 30 * 60
    for _ in range(2):
        assert count(psa_sim).status_code == 200
    stats._minutes[stats._minute()] += 4_998  # and the rest of the hour just now
    refused = count(psa_sim)
    assert refused.status_code == 429 and refused.json() == {"errors": [at_limits.HOURLY_EXCEEDED]}
    threshold = requests.get(f"{psa_sim.url}/ATServicesRest/V1.0/ThresholdInformation", headers=HEADERS, timeout=10)
    assert threshold.status_code == 429  # it counts like any endpoint; only the zone lookup is exempt
    assert stats.requests == 10_000  # refused requests are not counted
    now[0] += 31 * 60  # the first 5,000 fall out of the rolling hour
    assert count(psa_sim).status_code == 200 and stats.requests == 5_001


def test_the_client_waits_out_a_thread_refusal_and_the_request_goes_through(psa_sim, stats):
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        if len(waits) == 2:
            stats.in_flight["Companies"] = 0  # the other integration finished

    client = make_client(psa_sim, policy=OutboundPolicy(allow_local=True, sleep=sleep))
    client.discover_zone()
    stats.in_flight["Companies"] = 3  # another integration on this tracking identifier holds them
    assert client.count("Companies") == 200
    assert waits == [0.5, 1.0] and stats.refused["threads"] == 2


def test_a_refused_patch_is_sent_again_and_applied_once(psa_sim, stats):
    from wisesync.simulator import at_invoices

    def sleep(seconds):
        stats.in_flight["Invoices"] = 0

    client = make_client(psa_sim, policy=OutboundPolicy(allow_local=True, sleep=sleep))
    client.discover_zone()
    invoice_id = at_data.BASE_IDS["Invoices"]
    stats.in_flight["Invoices"] = 3
    try:
        AutotaskBilling(client).mark_synced(invoice_id, "2026-12-02T13:00:00Z")
        writes = at_invoices.writes_for(psa_sim.state)
        assert writes.changes[invoice_id]["webServiceDate"].startswith("2026-12-02T13:00:00")
        assert stats.refused["threads"] == 1
    finally:
        at_invoices.writes_for(psa_sim.state).reset()


def test_threads_held_too_long_become_the_message_with_the_fix(psa_sim, stats):
    client = make_client(psa_sim)
    client.discover_zone()
    stats.in_flight["Companies"] = 3
    with pytest.raises(PsaRateLimited) as caught:
        client.count("Companies")
    error = caught.value
    assert "more than 3 were running on it at once" in error.explanation and "Companies" in error.explanation
    assert "thread threshold of 3 threads has been exceeded" in error.psa_message
    assert "own tracking identifier" in error.fix and "Nothing was changed" in error.fix
    assert stats.refused["threads"] == 5  # the first try and four retries


def test_the_hourly_threshold_is_not_retried_and_says_when_and_where_to_look(psa_sim, stats):
    waits = []
    client = make_client(psa_sim, policy=OutboundPolicy(allow_local=True, sleep=waits.append))
    client.discover_zone()
    stats.requests = 10_000
    with pytest.raises(PsaRateLimited) as caught:
        client.count("Companies")
    error = caught.value
    assert waits == [] and stats.refused["hourly"] == 1
    assert "hourly API limit for this database" in error.explanation and error.status == 429
    assert error.psa_message == at_limits.HOURLY_EXCEEDED
    assert "rolling hour" in error.fix and "API Activity by Hour" in error.fix
