"""The simulator's ConnectWise REST answers, and the requests the client sends, obey the
ConnectWise Manage OpenAPI subset in ../shared/fixtures (validated with openapi-core; the loader
and its two adjustments are in ``cw_contract``). Error bodies, which the fixture leaves
undescribed, are checked against ConnectWise's ``{"code","message","errors":[ValidationError]}``.
"""
from __future__ import annotations

import pytest
import requests

from tests.simulator.cw_contract import AUTH, SKIP_WITHOUT_SPEC, load_openapi
from tests.simulator.cw_contract import validate as _validate
from wisesync.psa.connectwise_accounting import gl_entry_ids
from wisesync.psa.connectwise_rest import ConnectWiseRestClient
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import demo

pytestmark = SKIP_WITHOUT_SPEC


@pytest.fixture(scope="module")
def openapi():
    return load_openapi()


@pytest.fixture
def books(psa_sim):
    """Batches change the shared simulator: start from the seed and put it back afterwards."""
    psa_sim.state.cw_books.reset()
    yield psa_sim.state.cw_books
    psa_sim.state.cw_books.reset()


GETS = ["company/companies", "company/companies/count", "company/companies/7",
        "finance/agreements", "finance/agreements/count", "finance/agreements/7",
        "finance/agreements/7/additions", "finance/agreements/7/additions/20",
        "procurement/catalog", "procurement/catalog/count", "procurement/catalog/7",
        "procurement/products", "procurement/products/count", "procurement/products/7",
        "system/members", "system/members/count", "system/members/1", "system/info",
        "finance/accounting/unpostedinvoices", "finance/accounting/unpostedinvoices/count",
        "finance/accounting/unpostedinvoices/7", "finance/accounting/batches"]


@pytest.mark.parametrize("path", GETS)
def test_simulator_get_answers_match_the_fixture(openapi, psa_sim, path):
    for codebase in ("v4_6_release", "v2025_1"):
        response = requests.get(f"{psa_sim.url}/{codebase}/apis/3.0/{path}", headers=AUTH,
                                params={"pageSize": 100}, timeout=10)
        assert response.status_code == 200, response.text
        _validate(openapi, response)


def test_simulator_posts_match_the_fixture(openapi, psa_sim, books):
    base = f"{psa_sim.url}/v2025_1/apis/3.0/finance/accounting"
    export = requests.post(f"{base}/export", headers=AUTH, timeout=10, json={
        "includedInvoiceIds": [3, 4], "exportInvoicesFlag": True, "summarizeInvoices": "Default",
        "thruDate": "2026-01-31T00:00:00Z", "glInterfaceIdentifier": "QB"})
    assert export.status_code == 200 and len(export.json()["transactions"]) == 2
    _validate(openapi, export)
    batch = requests.post(f"{base}/batches", headers=AUTH, timeout=10, json={
        "batchIdentifier": "CONTRACT1", "exportInvoicesFlag": True,
        "processedRecordIds": gl_entry_ids(export.json()["transactions"][0])})
    assert batch.status_code == 201
    _validate(openapi, batch)


# A 429 is Cloudflare's, not ConnectWise's (tests/simulator/test_cw_query.py checks it).
@pytest.mark.parametrize("spec,status", [("auth", 401), ("auth;code=UserNotAuthenticated", 401),
                                         ("deny;right=companies", 403), ("500", 500)])
def test_simulator_error_bodies_have_connectwise_shape(openapi, psa_sim, spec, status):
    response = requests.get(f"{psa_sim.url}/v2025_1/apis/3.0/company/companies",
                            headers={**AUTH, "X-Sim-Fault": spec}, timeout=10)
    assert response.status_code == status
    _validate(openapi, response)


def test_missing_client_id_is_refused_with_a_connectwise_body(openapi, psa_sim):
    response = requests.get(f"{psa_sim.url}/v2025_1/apis/3.0/company/companies",
                            headers={"Authorization": AUTH["Authorization"]}, timeout=10)
    assert response.status_code == 400 and "clientId" in response.json()["message"]


def test_unparseable_conditions_get_400_with_connectwise_body(openapi, psa_sim):
    response = requests.get(f"{psa_sim.url}/v2025_1/apis/3.0/company/companies", headers=AUTH,
                            params={"conditions": "name ~~ 3"}, timeout=10)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "conditions"
    _validate(openapi, response)


def test_every_request_the_client_sends_matches_the_fixture(openapi, psa_sim, books):
    seen: list[requests.Response] = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *a, **k: seen.append(r))
    client = ConnectWiseRestClient(psa_sim.url, demo.CW_COMPANY_ID, demo.CW_PUBLIC_KEY,
                                   demo.CW_PRIVATE_KEY, "contract-tests", session=session,
                                   policy=OutboundPolicy(allow_local=True, sleep=lambda s: None))
    client.system_info()
    for records in (client.companies("id>190", page_size=4), client.agreements(page_size=150),
                    client.agreement_additions(3), client.catalog_items('description like "Backup%"'),
                    client.members(), client.unposted_invoices(page_size=120)):
        assert list(records)
    client.companies_count("id<10"), client.unposted_invoices_count(), client.unposted_invoice(8)
    export = client.export_accounting({"includedInvoiceIds": [8], "exportInvoicesFlag": True})
    client.create_accounting_batch({"batchIdentifier": "CONTRACT2", "exportInvoicesFlag": True,
                                    "processedRecordIds": gl_entry_ids(export["transactions"][0])})
    api_calls = [r for r in seen if "/apis/3.0/" in r.url]
    assert len(api_calls) >= 14
    for response in api_calls:
        _validate(openapi, response)
