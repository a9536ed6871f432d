"""Autotask's limits in an Autotask sync (issue 14): 10,000 requests an hour per database, read
from ThresholdInformation so the run slows down past 80 % and stops before Autotask refuses;
never more than 3 requests in flight on one endpoint; and Autotask's errors[] answers named with
the fix."""
from __future__ import annotations

import pytest

from tests.transactions.autotask_world import FIRST, at_world, entries  # noqa: F401
from tests.transactions.sync_world import app_config, books_sim, by_key, start_sync, sync_sim, wait_done  # noqa: F401
from wisesync.psa.autotask_billing import RESERVE, SLOW_FROM, Budget
from wisesync.psa.errors import PsaRateLimited


class Usage:
    """A stand-in for AutotaskRestClient.threshold_information (what the budget reads)."""

    def __init__(self, used: int, limit: int = 10_000):
        self.used, self.limit, self.reads = used, limit, 0

    def threshold_information(self) -> dict:
        self.reads += 1
        return {"externalRequestThreshold": self.limit, "requestThresholdTimeframe": 60,
                "currentTimeframeRequestCount": self.used}


@pytest.mark.parametrize("used, pauses", [(0, 0), (int(SLOW_FROM * 10_000) - 10, 0), (9_000, 10)])
def test_calls_are_spread_over_the_hour_only_once_most_of_the_budget_is_used(used, pauses):
    slept = []
    budget = Budget(Usage(used), sleep=slept.append)
    for _ in range(10):
        budget.spend()
    assert len(slept) == pauses
    assert all(0 < s <= 5.0 for s in slept)


def test_the_budget_stops_before_autotask_refuses_and_says_why_and_what_to_do():
    budget = Budget(Usage(10_000 - RESERVE - 2), sleep=lambda s: None)
    budget.spend()
    with pytest.raises(PsaRateLimited) as caught:
        for _ in range(5):
            budget.spend()
    assert "nearly spent" in caught.value.explanation and "10,000" in caught.value.explanation
    assert "Wait for the hour to pass" in caught.value.fix


def test_threshold_information_is_read_again_every_50_calls():
    usage = Usage(100)
    budget = Budget(usage, sleep=lambda s: None)
    for _ in range(120):
        budget.spend()
    assert usage.reads == 3


def test_a_run_near_the_hourly_threshold_stops_with_the_message_and_sends_nothing(client, at_world, sync_sim):
    stats = sync_sim.app.extensions["at_sim"]
    stats.requests = 10_000 - RESERVE  # other integrations used the hour
    try:
        data = wait_done(client, start_sync(client, at_world.nz, records=[f"invoice:{FIRST}"]))
    finally:
        stats.requests = 0
    assert data["status"] == "failed", data
    assert "Autotask's hourly API limit is nearly spent" in data["message"] and "Wait for the hour" in data["fix"]
    assert sum(at_world.numbers().values()) == 0 and at_world.web_service_dates() == {}


def test_past_the_threshold_the_simulator_refuses_the_patch_and_the_invoice_waits_in_xero(client, at_world, sync_sim,
                                                                                          monkeypatch):
    from wisesync.psa import autotask_billing

    monkeypatch.setattr(autotask_billing, "RESERVE", 0)  # a client that does not hold back
    stats = sync_sim.app.extensions["at_sim"]
    real_mark = autotask_billing.AutotaskBilling.mark_synced

    def crowded(self, invoice_id, when):
        stats.requests = 10_001  # someone else spent the hour meanwhile
        return real_mark(self, invoice_id, when)

    monkeypatch.setattr(autotask_billing.AutotaskBilling, "mark_synced", crowded)
    try:
        data = wait_done(client, start_sync(client, at_world.nz, records=[f"invoice:{FIRST}"]))
    finally:
        stats.requests = 0
    (record,) = data["records"]
    assert record["state"] == "failed" and "its hourly API limit for this database" in record["message"], record
    assert "rolling hour" in record["fix"] and "API Activity by Hour" in record["fix"], record
    assert entries(at_world.nz)[str(FIRST)].state == "pushed"  # in Xero; the next run only marks it


def test_no_more_than_three_requests_are_in_flight_on_one_endpoint(client, at_world, sync_sim):
    stats = sync_sim.app.extensions["at_sim"]
    stats.reset_max()
    data = wait_done(client, start_sync(client, at_world.nz, all="1"))
    assert data["counts"]["posted"] > 50
    assert 1 <= max(stats.max_in_flight.values()) <= 3


def test_an_errors_answer_on_the_patch_is_named_with_the_fix(client, at_world, sync_sim):
    from wisesync.simulator.at_invoices import writes_for

    writes_for(sync_sim.state).refuse_next("IntegrationCode is invalid.")
    data = wait_done(client, start_sync(client, at_world.nz, records=[f"invoice:{FIRST}"]))
    record = by_key(data)[f"invoice:{FIRST}"]
    assert "Autotask did not accept the integration code" in record["message"]
    assert "API Tracking Identifier" in record["fix"]
