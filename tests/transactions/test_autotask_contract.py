"""What the Autotask sync sends and reads, checked against the real Swagger subset (issue 14): the
queries for unsynced invoices, billing items, companies and billing codes, the webServiceDate
PATCH (an InvoiceModel body, answered OperationResultModel), ThresholdInformation
(ThresholdStatusResultModel); and the simulator's billing items carry the organisational levels
and 7-decimal amounts the sync must cope with."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.simulator.test_autotask_contract import SPEC, Recorder, _operation_for, validate
from wisesync.psa.autotask_billing import AutotaskBilling, Budget, service_date
from wisesync.psa.autotask_rest import AutotaskRestClient
from wisesync.psa.errors import PsaUnavailable
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import at_data, at_invoices, demo

FIRST = at_data.BASE_IDS["Invoices"]


@pytest.fixture
def billing(psa_sim, sim_faults):
    at_invoices.writes_for(psa_sim.state).reset()
    session = Recorder()
    rest = AutotaskRestClient(demo.AT_API_USERNAME, demo.AT_API_SECRET, demo.AT_INTEGRATION_CODE,
                              zone_lookup_url=f"{psa_sim.url}/atservicesrest/v1.0/zoneInformation", session=session,
                              policy=OutboundPolicy(allow_local=True, sleep=lambda s: None))
    yield AutotaskBilling(rest, Budget(rest, sleep=lambda s: None)), session
    at_invoices.writes_for(psa_sim.state).reset()


def test_every_request_of_a_sync_is_in_the_swagger_with_a_valid_body(billing, psa_sim):
    books, session = billing
    invoices = books.unsynced_invoices()
    assert invoices and all(not i["webServiceDate"] and not i["isVoided"] for i in invoices)
    items = books.billing_items(i["id"] for i in invoices)
    books.companies({i["companyID"] for i in invoices})
    books.billing_codes()
    books.mark_synced(invoices[0]["id"], service_date())
    checked = 0
    for method, url, headers, body in session.sent:
        operation = _operation_for(method, url)
        if operation is None:
            assert "/query/next" in url or "zoneInformation" in url, url
            continue
        for param in operation.get("parameters", []):
            if param["in"] == "header" and param.get("required"):
                assert headers.get(param["name"]), f"{param['name']} missing on {url}"
            if param["in"] == "body":
                validate(body, param["schema"]["$ref"])
        checked += 1
    assert checked >= 6
    patch = next(body for method, url, _, body in session.sent if method == "PATCH")
    assert set(patch) == {"id", "webServiceDate"}
    assert SPEC["definitions"]["InvoiceModel"]["properties"]["webServiceDate"]["format"] == "date-time"
    assert set(items) <= {i["id"] for i in invoices}


def test_the_patch_is_answered_with_the_invoice_id_and_reads_see_the_date(billing, psa_sim):
    books, _ = billing
    when = service_date()
    books.mark_synced(FIRST, when)
    invoice = books.invoice(FIRST)
    assert invoice["webServiceDate"] == when
    validate(invoice, "#/definitions/InvoiceModel")
    assert FIRST not in {i["id"] for i in books.unsynced_invoices()}
    threshold = books.rest.threshold_information()
    validate(threshold, "#/definitions/ThresholdStatusResultModel")
    assert threshold["externalRequestThreshold"] == 10_000


def test_a_patch_the_simulator_refuses_is_a_psa_error_naming_autotasks_words(billing, psa_sim):
    books, _ = billing
    at_invoices.writes_for(psa_sim.state).refuse_next("Invoice 10001 is locked by another user.")
    with pytest.raises(PsaUnavailable) as caught:
        books.mark_synced(FIRST, service_date())
    assert "Invoice 10001 is locked by another user." in caught.value.explanation


def test_billing_items_carry_organisational_levels_and_seven_decimal_amounts():
    items = [at_data.record("BillingItems", i, 200) for i in range(40)]
    assert {i["organizationalLevelAssociationID"] for i in items} == set(at_data.ORG_LEVELS)
    sevens = [i for i in items if len(str(Decimal(str(i["quantity"]))).split(".")[-1]) == 7
              or len(str(Decimal(str(i["rate"]))).split(".")[-1]) == 7]
    assert len(sevens) >= 2
    for item in items:
        validate(item, "#/definitions/BillingItemModel")
        assert item["extendedPrice"] == round(item["quantity"] * item["rate"], 2)
