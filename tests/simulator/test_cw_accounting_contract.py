"""The simulator's ConnectWise accounting answers (locations, unposted lists, GL export,
batches and their entries, payments) and the requests sent to it — ours and the
ConnectWiseAccounting client's — validate against the OpenAPI fixture (``cw_contract``).

``POST /system/members/{id}/tokens`` is not in the fixture: its shape is checked by hand.
"""
from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest
import requests

from tests.simulator.cw_contract import AUTH, SKIP_WITHOUT_SPEC, load_openapi, validate
from wisesync.psa.connectwise_accounting import ConnectWiseAccounting, gl_entry_ids, purchase_entry_ids
from wisesync.psa.connectwise_rest import ConnectWiseRestClient
from wisesync.psa.errors import PsaBatchExists, PsaError
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import demo

pytestmark = SKIP_WITHOUT_SPEC


@pytest.fixture(scope="module")
def openapi():
    return load_openapi()


@pytest.fixture
def api(psa_sim):
    """``api(method, path, **kw)`` on the simulator's REST base, from a clean accounting state."""
    psa_sim.state.cw_books.reset()
    base = f"{psa_sim.url}/v2025_1/apis/3.0/"

    def call(method: str, path: str, headers: dict | None = None, **kw) -> requests.Response:
        return requests.request(method, base + path, headers={**AUTH, **(headers or {})}, timeout=10, **kw)

    yield call
    psa_sim.state.cw_books.reset()


def _batch_one(api, invoice_id: int, identifier: str) -> tuple[requests.Response, dict]:
    export = api("POST", "finance/accounting/export",
                 json={"exportInvoicesFlag": True, "includedInvoiceIds": [invoice_id]}).json()
    transaction = export["transactions"][0]
    response = api("POST", "finance/accounting/batches", json={
        "batchIdentifier": identifier, "exportInvoicesFlag": True,
        "processedRecordIds": gl_entry_ids(transaction)})
    return response, transaction


GETS = ["system/locations", "system/locations/count", "system/locations/1", "system/locations/3",
        "finance/accounting/unpostedinvoices", "finance/accounting/unpostedinvoices/count",
        "finance/accounting/unpostedinvoices/7", "finance/accounting/unpostedprocurement",
        "finance/accounting/unpostedprocurement/count", "finance/accounting/unpostedprocurement/7",
        "finance/accounting/batches", "finance/accounting/batches/count"]


@pytest.mark.parametrize("path", GETS)
def test_list_answers_match_the_fixture(openapi, api, path):
    one_record = path.rsplit("/", 1)[-1].isdigit()
    response = api("GET", path, params=None if one_record else {"pageSize": 100, "conditions": "id>0"})
    assert response.status_code == 200, response.text
    validate(openapi, response)


def test_every_seeded_invoice_and_its_export_validate(openapi, api, psa_sim):
    """All 200 invoices (the special cases included) and every transaction of the export."""
    listed = api("GET", "finance/accounting/unpostedinvoices", params={"pageSize": 1000})
    assert len(listed.json()) == psa_sim.state.size("invoices")
    validate(openapi, listed)
    export = api("POST", "finance/accounting/export", json={
        "exportInvoicesFlag": True, "exportProductsFlag": True, "summarizeInvoices": "Default"})
    assert export.status_code == 200
    body = export.json()
    assert len(body["transactions"]) == psa_sim.state.size("invoices") - 1  # one has no GL entries
    assert len(body["purchaseTransactions"]) == psa_sim.state.size("procurement")
    assert body["customers"] and body["vendors"]
    validate(openapi, export)


def test_filtered_exports_validate(openapi, api):
    for body in ({"exportInvoicesFlag": True, "locationId": 2, "thruDate": "2023-01-31T00:00:00Z"},
                 {"exportProductsFlag": True, "includedProductIds": ["2003-3", "2004-4"]},
                 {"exportInvoicesFlag": True, "includedInvoiceIds": [11, 12], "excludedInvoiceIds": [12]},
                 {"exportExpensesFlag": True}):
        response = api("POST", "finance/accounting/export", json=body)
        assert response.status_code == 200, response.text
        validate(openapi, response)


def test_batch_lifecycle_answers_match_the_fixture(openapi, api):
    created, transaction = _batch_one(api, 3, "CONTRACT-LIFE")
    assert created.status_code == 201
    validate(openapi, created)  # a GLExport, as the fixture says
    assert [t["id"] for t in created.json()["transactions"]] == [3]
    listed = api("GET", "finance/accounting/batches",
                 params={"conditions": 'batchIdentifier="CONTRACT-LIFE"'})
    validate(openapi, listed)
    batch_id = listed.json()[0]["id"]
    entry = transaction["detail"][0]["id"]
    for path in (f"finance/accounting/batches/{batch_id}", f"finance/accounting/batches/{batch_id}/entries",
                 f"finance/accounting/batches/{batch_id}/entries/count",
                 f"finance/accounting/batches/{batch_id}/entries/{entry}"):
        response = api("GET", path)
        assert response.status_code == 200, (path, response.text)
        validate(openapi, response)
    again = api("POST", f"finance/accounting/batches/{batch_id}/export", json={"exportInvoicesFlag": True})
    assert again.status_code == 200 and [t["id"] for t in again.json()["transactions"]] == [3]
    validate(openapi, again)
    deleted = api("DELETE", f"finance/accounting/batches/{batch_id}")
    assert deleted.status_code == 204
    validate(openapi, deleted)


@pytest.mark.parametrize("body", [
    {"exportInvoicesFlag": True, "processedRecordIds": []},
    {"exportInvoicesFlag": True, "processedRecordIds": [177]},
    {"batchIdentifier": "X" * 51, "exportInvoicesFlag": True, "processedRecordIds": [300]},
    {"processedRecordIds": [300]},
])
def test_refused_batches_have_connectwise_error_bodies(openapi, api, body):
    response = api("POST", "finance/accounting/batches", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"
    validate(openapi, response)


def test_repeated_identifier_and_flagless_export_refusals_validate(openapi, api):
    assert _batch_one(api, 3, "CONTRACT-TWICE")[0].status_code == 201
    twice, _ = _batch_one(api, 7, "CONTRACT-TWICE")
    assert twice.status_code == 400
    validate(openapi, twice)
    flagless = api("POST", "finance/accounting/export", json={"includedInvoiceIds": [3]})
    assert flagless.status_code == 400
    validate(openapi, flagless)


def test_payment_answers_match_the_fixture(openapi, api):
    posted = api("POST", "finance/invoices/1/payments", json={
        "type": "Check", "amount": 100.25, "paymentDate": "2024-02-01T00:00:00Z"})
    assert posted.status_code == 201, posted.text
    validate(openapi, posted)
    for path in ("finance/invoices/1/payments", f"finance/invoices/1/payments/{posted.json()['id']}"):
        response = api("GET", path)
        assert response.status_code == 200
        validate(openapi, response)
    second = api("POST", "finance/invoices/1/payments", json={"type": "Check", "amount": 1.0})
    assert second.status_code == 400
    validate(openapi, second)


@pytest.mark.parametrize("method,path", [
    ("GET", "finance/accounting/unpostedinvoices"), ("GET", "finance/accounting/unpostedprocurement/count"),
    ("POST", "finance/accounting/export"), ("POST", "finance/accounting/batches"),
    ("GET", "finance/accounting/batches"), ("DELETE", "finance/accounting/batches/1")])
def test_a_missing_accounting_right_is_connectwises_403(openapi, api, method, path):
    body = {"exportInvoicesFlag": True, "processedRecordIds": [300]} if method == "POST" else None
    response = api(method, path, headers={"X-Sim-Fault": "deny;right=accounting"}, json=body)
    assert response.status_code == 403
    assert response.json() == {"code": "Security", "errors": [],
                               "message": "You do not have security permission to perform this action."}


def test_member_token_shape_and_use(openapi, api, psa_sim):
    """Not in the fixture: ``{"publicKey","privateKey","expiration"}`` (ConnectWiseManageAPI,
    pyconnectwise ``TokenModel``); calls signed with it validate like any other."""
    issued = api("POST", "system/members/jsmith/tokens", headers={"x-cw-usertype": "member"},
                 json={"memberIdentifier": "jsmith"})
    assert issued.status_code == 200
    token = issued.json()
    assert set(token) == {"publicKey", "privateKey", "expiration"}
    expires = dt.datetime.fromisoformat(token["expiration"].replace("Z", "+00:00"))
    assert expires > dt.datetime.now(dt.timezone.utc)
    member_auth = "Basic " + base64.b64encode(
        f"{demo.CW_COMPANY_ID}+{token['publicKey']}:{token['privateKey']}".encode()).decode()
    response = api("GET", "finance/accounting/batches", headers={"Authorization": member_auth})
    assert response.status_code == 200
    validate(openapi, response)


def test_every_request_the_accounting_client_sends_matches_the_fixture(openapi, psa_sim):
    psa_sim.state.cw_books.reset()
    seen: list[requests.Response] = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *a, **k: seen.append(r))
    rest = ConnectWiseRestClient(psa_sim.url, demo.CW_COMPANY_ID, demo.CW_PUBLIC_KEY, demo.CW_PRIVATE_KEY,
                                 "contract-tests", session=session,
                                 policy=OutboundPolicy(allow_local=True, sleep=lambda s: None))
    books = ConnectWiseAccounting(rest)
    try:
        assert books.locations()
        assert books.unposted_invoices({1, 2}) and books.unposted_procurement({1})
        export = books.export_invoices([1, 3], location_id=1, thru=dt.date(2026, 1, 31))
        purchases = books.export_procurement(["2001-1"], thru=dt.datetime(2026, 1, 31, 12, 0))
        batch = books.create_batch("CONTRACT-CLIENT", gl_entry_ids(export["transactions"][0]),
                                   invoices=True, products=False)
        with pytest.raises(PsaBatchExists):
            books.create_batch("CONTRACT-CLIENT", gl_entry_ids(export["transactions"][1]),
                               invoices=True, products=False)
        books.create_batch("CONTRACT-PO", purchase_entry_ids(purchases["purchaseTransactions"][0]),
                           invoices=False, products=True)
        assert books.batch(batch["id"])["batchIdentifier"] == "CONTRACT-CLIENT"
        assert books.batch_entries(batch["id"])
        books.delete_batch(batch["id"])
        books.post_payment(3, Decimal("12.50"), dt.date(2024, 3, 1))
        with pytest.raises(PsaError):
            books.post_payment(3, Decimal("1.00"), dt.date(2024, 3, 2))
        assert books.payments(3)
        member = rest.as_member(rest.member_token("jsmith"), "jsmith")
        assert ConnectWiseAccounting(member).batches("CONTRACT-PO")
        assert rest.member("jsmith")["identifier"] == "jsmith"
        assert books.billing_contacts([5, 6])[6] is None
    finally:
        psa_sim.state.cw_books.reset()
    api_calls = [r for r in seen if "/apis/3.0/" in r.url and not r.url.split("?")[0].endswith("/tokens")]
    assert len(api_calls) >= 18
    for response in api_calls:
        validate(openapi, response)
