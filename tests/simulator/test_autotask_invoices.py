"""The simulated Autotask invoices: the seed the sync reads, and PATCH/PUT /V1.0/Invoices."""
from __future__ import annotations

import json

import pytest
import requests

from wisesync.simulator import at_data, at_invoices, demo
from wisesync.simulator.faults import Fault
from wisesync.simulator.server import create_sim_app

HEADERS = {"UserName": demo.AT_API_USERNAME, "Secret": demo.AT_API_SECRET,
           "ApiIntegrationCode": demo.AT_INTEGRATION_CODE}
FIRST = at_data.BASE_IDS["Invoices"]
UNSYNCED, SYNCED_PAID, VOIDED = FIRST + 0, FIRST + 1, FIRST + 9  # see at_data's docstring


@pytest.fixture
def at(psa_sim, sim_faults):
    """Calls to the simulator's Autotask REST API, with its invoice writes undone around the test."""
    writes = at_invoices.writes_for(psa_sim.state)
    writes.reset()
    base = f"{psa_sim.url}/ATServicesRest/V1.0"

    def call(method, path, body=None, headers=None, raw=None):
        return requests.request(method, base + path, json=body, data=raw, timeout=10,
                                headers={**HEADERS, **(headers or {})})
    yield call
    writes.reset()


def invoice(at, invoice_id):
    return at("GET", f"/Invoices/{invoice_id}").json()["item"]


def query(at, entity, filters, max_records=500):
    answer = at("POST", f"/{entity}/query", {"filter": filters, "maxRecords": max_records})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def count(at, entity, filters):
    return at("POST", f"/{entity}/query/count", {"filter": filters}).json()["queryCount"]


UNSYNCED_FILTER = [{"op": "notExist", "field": "webServiceDate"},
                   {"op": "eq", "field": "isVoided", "value": False}]


# --- the seed ---------------------------------------------------------------------------------

def test_invoices_come_with_and_without_web_service_date_and_each_has_its_billing_items(at, psa_sim):
    invoices = query(at, "Invoices", [{"op": "gte", "field": "id", "value": 0}])
    items = query(at, "BillingItems", [{"op": "gte", "field": "id", "value": 0}])
    assert len(invoices) == len(items) == psa_sim.state.records
    lines: dict[int, list[dict]] = {}
    for item in items:
        lines.setdefault(item["invoiceID"], []).append(item)
    live = [i for i in invoices if not i["isVoided"]]
    synced = [i for i in live if i["webServiceDate"]]
    assert synced and len(synced) < len(live)
    assert any(i["paidDate"] for i in synced)
    for inv in live:
        mine = lines.get(inv["id"])
        assert mine, f"invoice {inv['id']} has no billing items"
        assert {item["companyID"] for item in mine} == {inv["companyID"]}
        assert round(sum(item["totalAmount"] for item in mine), 2) == inv["invoiceTotal"]
        assert round(sum(item["taxDollars"] for item in mine), 2) == inv["totalTaxValue"]
    for inv in invoices:
        if inv["isVoided"]:
            assert inv["id"] not in lines and inv["voidedDate"] and not inv["webServiceDate"]
    assert lines.get(None), "some billing items are waiting to be invoiced"
    assert any(len(v) > 1 and len({i["billingCodeID"] for i in v}) > 1
               for k, v in lines.items() if k), "a multi-line invoice on two billing codes"
    assert any(inv["invoiceTotal"] < 0 for inv in live), "a credit (negative invoice)"


def test_the_query_the_sync_makes_finds_only_unsynced_live_invoices(at):
    found = query(at, "Invoices", UNSYNCED_FILTER)
    assert found and all(i["webServiceDate"] is None and not i["isVoided"] for i in found)
    assert count(at, "Invoices", UNSYNCED_FILTER) == len(found)
    lines = query(at, "BillingItems", [{"op": "eq", "field": "invoiceID", "value": found[0]["id"]}])
    assert lines and all(line["invoiceID"] == found[0]["id"] for line in lines)


def test_billing_items_point_at_reference_records_that_exist(at):
    items = query(at, "BillingItems", [{"op": "exist", "field": "invoiceID"}])
    codes = {c["id"]: c for c in query(at, "BillingCodes", [{"op": "gte", "field": "id", "value": 0}])}
    categories = {c["id"] for c in query(at, "TaxCategories", [{"op": "gte", "field": "id", "value": 0}])}
    regions = {r["id"]: r["name"] for r in query(at, "TaxRegions", [{"op": "gte", "field": "id", "value": 0}])}
    terms = {t["id"] for t in query(at, "PaymentTerms", [{"op": "gte", "field": "id", "value": 0}])}
    templates = {t["id"] for t in query(at, "InvoiceTemplates", [{"op": "gte", "field": "id", "value": 0}])}
    taxes = query(at, "Taxes", [{"op": "gte", "field": "id", "value": 0}])
    assert {i["billingCodeID"] for i in items} <= set(codes)
    assert {i["taxCategoryID"] for i in items} <= categories
    assert all(codes[c]["externalNumber"] for c in {i["billingCodeID"] for i in items})
    assert {(t["taxRegionID"], t["taxCategoryID"]) for t in taxes} == \
        {(r, c) for r in regions for c in categories}
    first = invoice(at, UNSYNCED)
    assert first["paymentTerm"] in terms and first["invoiceEditorTemplateID"] in templates
    assert first["taxRegionName"] in regions.values()
    company = at("GET", f"/Companies/{first['companyID']}").json()["item"]
    assert regions[company["taxRegionID"]] == first["taxRegionName"]
    assert company["invoiceTemplateID"] in templates


def test_reference_entities_keep_their_size_whatever_the_simulator_size(at, psa_sim):
    assert count(at, "PaymentTerms", []) == len(at_data.PAYMENT_TERMS) < psa_sim.state.records
    assert at("GET", f"/PaymentTerms/{at_data.BASE_IDS['PaymentTerms'] + 50}").json() == {"item": None}
    net30 = query(at, "PaymentTerms", [{"op": "eq", "field": "name", "value": "net 30"}])
    assert [t["paymentDueInDays"] for t in net30] == [30]


def test_field_information_says_which_invoice_fields_can_be_written(at):
    answer = at("GET", "/Invoices/entityInformation/fields")
    assert answer.status_code == 200
    fields = {f["name"]: f for f in answer.json()["fields"]}
    assert {n for n, f in fields.items() if not f["isReadOnly"]} == \
        {"invoiceNumber", "webServiceDate", "paidDate"}
    assert fields["webServiceDate"]["dataType"] == "datetime"
    assert not fields["dueDate"]["isQueryable"]
    assert "Net 30" in {v["label"] for v in fields["paymentTerm"]["picklistValues"]}
    assert set(fields) == set(invoice(at, UNSYNCED))


# --- PATCH ------------------------------------------------------------------------------------

def test_patch_sets_web_service_date_and_changes_nothing_else(at):
    before = invoice(at, UNSYNCED)
    unsynced = count(at, "Invoices", UNSYNCED_FILTER)
    answer = at("PATCH", "/Invoices", {"id": UNSYNCED, "webServiceDate": "2026-07-14T10:00:00Z"})
    assert answer.status_code == 200 and answer.json() == {"itemId": UNSYNCED}
    after = invoice(at, UNSYNCED)
    assert after == {**before, "webServiceDate": "2026-07-14T10:00:00.000Z"}
    assert count(at, "Invoices", UNSYNCED_FILTER) == unsynced - 1
    assert UNSYNCED not in {i["id"] for i in query(at, "Invoices", UNSYNCED_FILTER)}
    since = [{"op": "gte", "field": "webServiceDate", "value": "2026-07-14T00:00:00Z"}]
    assert [i["id"] for i in query(at, "Invoices", since)] == [UNSYNCED]


def test_patch_keeps_web_service_date_in_utc_and_paid_date_as_a_date(at):
    body = {"id": UNSYNCED, "webServiceDate": "2026-07-15T09:30:00+12:00",
            "paidDate": "2026-07-20T23:59:59+12:00"}
    assert at("PATCH", "/Invoices", body).status_code == 200
    after = invoice(at, UNSYNCED)
    assert after["webServiceDate"] == "2026-07-14T21:30:00.000Z"
    assert after["paidDate"] == "2026-07-20T00:00:00.000Z"


def test_patch_null_clears_web_service_date_so_the_invoice_syncs_again(at):
    assert invoice(at, SYNCED_PAID)["webServiceDate"]
    assert at("PATCH", "/Invoices", {"id": SYNCED_PAID, "webServiceDate": None}).status_code == 200
    after = invoice(at, SYNCED_PAID)
    assert after["webServiceDate"] is None and after["paidDate"]  # paidDate not given: kept
    assert SYNCED_PAID in {i["id"] for i in query(at, "Invoices", UNSYNCED_FILTER)}


def test_field_names_are_read_in_any_letter_case(at):
    answer = at("PATCH", "/Invoices", {"ID": UNSYNCED, "WebServiceDate": "2026-07-14T10:00:00Z"})
    assert answer.status_code == 200
    assert invoice(at, UNSYNCED)["webServiceDate"] == "2026-07-14T10:00:00.000Z"


def test_put_replaces_the_writable_fields_it_is_not_given(at):
    before = invoice(at, SYNCED_PAID)
    assert before["paidDate"]
    answer = at("PUT", "/Invoices", {"id": SYNCED_PAID, "webServiceDate": "2026-07-14T10:00:00Z"})
    assert answer.status_code == 200 and answer.json() == {"itemId": SYNCED_PAID}
    after = invoice(at, SYNCED_PAID)
    assert after == {**before, "webServiceDate": "2026-07-14T10:00:00.000Z", "paidDate": None,
                     "invoiceNumber": None}


@pytest.mark.parametrize("body, says", [
    ({"id": FIRST + 10_000_000, "webServiceDate": "2026-07-14T10:00:00Z"}, "does not exist"),
    ({"webServiceDate": "2026-07-14T10:00:00Z"}, "id is required"),
    ({"id": UNSYNCED, "invoiceTotal": 1.0}, "read-only"),
    ({"id": UNSYNCED, "webServiceDate": "2026-07-14T10:00:00Z", "isVoided": False}, "read-only"),
    ({"id": UNSYNCED, "colour": "red"}, "Unable to find colour"),
    ({"id": UNSYNCED, "webServiceDate": "next tuesday"}, "not valid for webServiceDate"),
    ({"id": UNSYNCED, "webServiceDate": 20260714}, "not valid for webServiceDate"),
    ({"id": str(UNSYNCED), "webServiceDate": "2026-07-14T10:00:00Z"}, "not valid for id"),
    ({"id": UNSYNCED, "invoiceNumber": "X" * 101}, "longer than 100"),
    ([{"id": UNSYNCED}], "Invoice object"),
])
def test_a_refused_write_is_an_errors_500_and_changes_nothing(at, body, says):
    before = invoice(at, UNSYNCED)
    answer = at("PATCH", "/Invoices", body)
    assert answer.status_code == 500
    assert any(says in message for message in answer.json()["errors"]), answer.text
    assert invoice(at, UNSYNCED) == before


def test_a_body_that_is_not_json_is_refused(at):
    answer = at("PATCH", "/Invoices", raw="{id: 1", headers={"Content-Type": "application/json"})
    assert answer.status_code == 500 and answer.json()["errors"]


def test_invoice_number_may_be_written(at):
    assert at("PATCH", "/Invoices", {"id": UNSYNCED, "invoiceNumber": "INV-0042"}).status_code == 200
    assert invoice(at, UNSYNCED)["invoiceNumber"] == "INV-0042"


def test_writes_need_valid_credentials_and_the_right(at, sim_faults):
    body = {"id": UNSYNCED, "webServiceDate": "2026-07-14T10:00:00Z"}
    assert at("PATCH", "/Invoices", body, headers={"Secret": "wrong"}).status_code == 401
    sim_faults.add(Fault(kind="deny", target="at", right="Invoices"))
    denied = at("PATCH", "/Invoices", body)
    assert denied.status_code == 500 and "permissions" in denied.json()["errors"][0]
    sim_faults.clear()
    assert invoice(at, UNSYNCED)["webServiceDate"] is None


def test_only_invoices_can_be_written_here(at):
    answer = at("PATCH", "/Companies", {"id": at_data.BASE_IDS["Companies"], "phone": "1"})
    assert answer.status_code == 405


def test_a_dropped_answer_still_wrote_so_a_retry_is_harmless(at, sim_faults):
    body = {"id": UNSYNCED, "webServiceDate": "2026-07-14T10:00:00Z"}
    sim_faults.add(Fault(kind="drop", target="at", count=1))
    with pytest.raises(requests.exceptions.RequestException):
        at("PATCH", "/Invoices", body)
    assert invoice(at, UNSYNCED)["webServiceDate"] == "2026-07-14T10:00:00.000Z"
    assert at("PATCH", "/Invoices", body).status_code == 200
    assert invoice(at, UNSYNCED)["webServiceDate"] == "2026-07-14T10:00:00.000Z"


# --- where the writes live --------------------------------------------------------------------

def test_sim_reset_restores_the_seeded_invoices(at, psa_sim):
    seeded = invoice(at, SYNCED_PAID)
    at("PATCH", "/Invoices", {"id": SYNCED_PAID, "webServiceDate": None, "paidDate": None})
    assert invoice(at, SYNCED_PAID) != seeded
    assert requests.post(psa_sim.url + "/_sim/reset", timeout=10).json() == {"ok": True}
    assert invoice(at, SYNCED_PAID) == seeded


def test_writes_live_in_their_own_simulator_only():
    first, second = create_sim_app(records=30), create_sim_app(records=30)
    path = "/ATServicesRest/V1.0/Invoices"
    body = json.dumps({"id": UNSYNCED, "webServiceDate": "2026-07-14T10:00:00Z"})
    assert first.test_client().patch(path, data=body, headers=HEADERS).status_code == 200
    seen = [app.test_client().get(f"{path}/{UNSYNCED}", headers=HEADERS).get_json()["item"]
            for app in (first, second)]
    assert seen[0]["webServiceDate"] and seen[1]["webServiceDate"] is None
    assert at_data.record("Invoices", 0, 30)["webServiceDate"] is None  # the seed itself untouched


def test_voided_invoices_have_no_lines_and_their_items_wait_to_be_invoiced(at):
    voided = invoice(at, VOIDED)
    assert voided["isVoided"] and voided["voidedByResourceID"]
    assert query(at, "BillingItems", [{"op": "eq", "field": "invoiceID", "value": VOIDED}]) == []
    released = at("GET", f"/BillingItems/{at_data.BASE_IDS['BillingItems'] + 9}").json()["item"]
    assert released["invoiceID"] is None and released["postedDate"]
