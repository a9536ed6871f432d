"""The Autotask simulator's answers and the client's requests, checked against the real Swagger.

The fixture is Autotask's own Swagger 2 description (a subset); openapi-core does not read
Swagger 2, so its ``definitions`` are checked with jsonschema. Loosened only where the real API
differs from its description: every property may be ``null`` (Autotask returns null for empty
fields), ``Filter.value`` may be any JSON value (its description says "Integer, String,
Boolean, an Array..." but the schema types it as an object), and so may anything typed
``Object`` (a .NET ``object`` property: ``OperationResultModel.itemId`` is the new record's
number, ``isSupportedWebhookField`` a boolean, in Autotask's own examples).
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import requests

from wisesync.psa.autotask_rest import AutotaskRestClient
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import at_data, at_invoices, demo

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
SPEC_FILE = FIXTURES / "autotask" / "rest-openapi-subset.json"
if not SPEC_FILE.exists():
    pytest.skip(f"AUTOTASK CONTRACT TESTS SKIPPED: {SPEC_FILE} is missing (the shared fixtures "
                "live next to the repository, in ../shared/fixtures)", allow_module_level=True)

SPEC = json.loads(SPEC_FILE.read_text())
NOT_SERVED = {"/V1.0/Companies/entityInformation/fields"}  # field metadata: not used by Wise-Sync
HEADERS = {"UserName": demo.AT_API_USERNAME, "Secret": demo.AT_API_SECRET,
           "ApiIntegrationCode": demo.AT_INTEGRATION_CODE}


def _loosen(node):
    if isinstance(node, dict):
        node = {key: _loosen(value) for key, value in node.items()}
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_loosen(item) for item in node]
    return node


DEFINITIONS = _loosen(copy.deepcopy(SPEC["definitions"]))
DEFINITIONS["Filter"]["properties"]["value"] = {}
DEFINITIONS["Object"] = {}


def validate(instance, ref: str) -> None:
    schema = {"definitions": DEFINITIONS, "$ref": ref}
    jsonschema.Draft4Validator(schema).validate(instance)


def operations():
    return [pytest.param(method.upper(), path, operation, id=f"{method.upper()} {path}")
            for path, item in SPEC["paths"].items() if path not in NOT_SERVED
            for method, operation in item.items()]


def _sim_request(sim, method, path, operation):
    entity = (path.split("/") + ["", "", ""])[2]
    url = sim.url + "/ATServicesRest" + path.replace("{id}", str(at_data.BASE_IDS.get(entity, 0) + 3))
    query = {"filter": [{"op": "gte", "field": "id", "value": 0}], "maxRecords": 20}
    params, body = {}, None
    names = {p["name"] for p in operation.get("parameters", [])}
    if "user" in names:
        params["user"] = demo.AT_API_USERNAME
    if "search" in names:
        params["search"] = json.dumps(query)
    if "queryModel" in names:
        body = query
    if "restModelInput" in names:  # the write operations' required body
        body = {"id": at_data.BASE_IDS[entity] + 3, "webServiceDate": "2026-07-14T10:00:00Z"}
        body_ref = next(p["schema"]["$ref"] for p in operation["parameters"] if p["in"] == "body")
        validate(body, body_ref)
    return requests.request(method, url, params=params, json=body, headers=HEADERS, timeout=10)


@pytest.mark.parametrize("method, path, operation", operations())
def test_simulator_answer_matches_the_swagger(psa_sim, sim_faults, method, path, operation):
    try:
        response = _sim_request(psa_sim, method, path, operation)
    finally:
        at_invoices.writes_for(psa_sim.state).reset()  # a write must not leak into other tests
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    validate(response.json(), operation["responses"]["200"]["schema"]["$ref"])


def _model_of(entity: str) -> str:
    """The ``*Model`` the Swagger's ``GET /{entity}/{id}`` answers with (Taxes -> TaxModel)."""
    ref = SPEC["paths"][f"/V1.0/{entity}/{{id}}"]["get"]["responses"]["200"]["schema"]["$ref"]
    return re.search(r"\[(\w+),", ref).group(1)


@pytest.mark.parametrize("entity", at_data.ENTITIES)
def test_simulated_records_of_every_entity_match_their_model(entity):
    model = _model_of(entity)
    size = at_data.total(entity, 5000)  # reference data has a fixed size
    for index in sorted({i for i in (0, 1, 17, 499, 4999) if i < size} | {size - 1}):
        record = at_data.record(entity, index, 5000)
        validate(record, f"#/definitions/{model}")
        assert set(record) <= set(SPEC["definitions"][model]["properties"])


def test_next_page_answers_match_the_query_result(psa_sim, sim_faults):
    url = f"{psa_sim.url}/ATServicesRest/V1.0/Products/query"
    page = requests.post(url, json={"maxRecords": 10, "filter": []}, headers=HEADERS, timeout=10).json()
    following = requests.post(page["pageDetails"]["nextPageUrl"], json={"maxRecords": 10, "filter": []},
                              headers=HEADERS, timeout=10)
    validate(following.json(), "#/definitions/QueryActionResult[ProductModel,Product]")
    assert following.json()["pageDetails"]["prevPageUrl"]


class Recorder(requests.Session):
    def __init__(self):
        super().__init__()
        self.sent = []

    def request(self, method, url, **kw):
        self.sent.append((method, url, dict(kw.get("headers") or {}), kw.get("json")))
        return super().request(method, url, **kw)


def _operation_for(method: str, url: str):
    path = re.sub(r"^https?://[^/]+/atservicesrest", "", url.split("?")[0], flags=re.I)
    for template, item in SPEC["paths"].items():
        pattern = "^" + re.escape(template).replace(r"\{id\}", r"\d+") + "$"
        if re.match(pattern, path, re.I) and method.lower() in item:
            return item[method.lower()]
    return None


def test_client_requests_match_the_swagger(psa_sim, sim_faults):
    session = Recorder()
    client = AutotaskRestClient(demo.AT_API_USERNAME, demo.AT_API_SECRET, demo.AT_INTEGRATION_CODE,
                                zone_lookup_url=f"{psa_sim.url}/atservicesrest/v1.0/zoneInformation",
                                session=session,
                                policy=OutboundPolicy(allow_local=True, sleep=lambda s: None))
    list(client.query("Companies", [{"op": "or", "items": [
        {"op": "contains", "field": "companyName", "value": "legal"},
        {"op": "in", "field": "id", "value": [29680001, 29680002]}]}], max_records=7))
    list(client.query("Contracts", max_records=150))
    client.count("Products", [{"op": "eq", "field": "isActive", "value": True}])
    client.get("Invoices", at_data.BASE_IDS["Invoices"])
    client.threshold_information()
    client.version()
    checked = 0
    for method, url, headers, body in session.sent:
        if "/query/next" in url:  # the real nextPageUrl form; not part of the Swagger subset
            assert method == "POST" and url.startswith(client.zone_url)  # a GET is a 405
            continue
        operation = _operation_for(method, url)
        assert operation is not None, f"{method} {url} is not in the Autotask Swagger"
        for param in operation.get("parameters", []):
            if param["in"] == "header" and param.get("required"):
                assert headers.get(param["name"]), f"{param['name']} missing on {url}"
            if param["in"] == "body":
                validate(body, param["schema"]["$ref"])
                assert body["filter"] and body.get("maxRecords", 1) <= 500
        checked += 1
    assert checked >= 6
