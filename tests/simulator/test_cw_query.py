"""The simulated ConnectWise is as strict as ConnectWise: its query language (conditions,
childConditions, customFieldConditions, orderBy, fields), parameter names in any letter case,
ConnectWise's refusals (400 ApiFindCondition), its vendor media type, its two 401s and the
Cloudflare 429 in front of it. Over HTTP, as a client sees it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from tests.simulator.cw_contract import AUTH
from wisesync.simulator import cw_data
from wisesync.simulator.cw_query import Collection, ConditionError, count, page

N = 200  # psa_sim's records


def get(sim, path, headers=None, **params):
    return requests.get(f"{sim.url}/v2025_1/apis/3.0/{path}", params=params,
                        headers={**AUTH, **(headers or {})}, timeout=10)


def ids(sim, path="company/companies", **params):
    response = get(sim, path, pageSize=1000, **params)
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()]


UTC = timezone.utc


def updated(record) -> datetime:
    return cw_data.last_updated(record["id"])


def expected(predicate, make=cw_data.company, n=N):
    return [i for i in range(1, n + 1) if predicate(make(i))]


@pytest.mark.parametrize("conditions,wanted", [
    ('id > 190', lambda c: c["id"] > 190),
    ('id>=10 and id<=12', lambda c: 10 <= c["id"] <= 12),
    ('id=3 or id=5 and name like "%"', lambda c: c["id"] in (3, 5)),
    ('(id=3 or id=5) and id!=5', lambda c: c["id"] == 3),
    ('id in (4, 8, 15)', lambda c: c["id"] in (4, 8, 15)),
    ('id not in (1,2,3) and id < 6', lambda c: c["id"] in (4, 5)),
    ('not (id > 3)', lambda c: c["id"] <= 3),
    ('name like "Acme%"', lambda c: c["name"].startswith("Acme")),
    ('name not like "%LLC"', lambda c: not c["name"].endswith("LLC")),
    ('name contains "dental"', lambda c: "dental" in c["name"].lower()),
    ('NAME LIKE "acme%"', lambda c: c["name"].lower().startswith("acme")),  # field and text ignore case
    ('status/name = "Active" and leadFlag = False', lambda c: True),
    ('Status/Name="active" AND LeadFlag=false', lambda c: True),
    ('lastUpdated > [2023-01-03T00:00:00Z]', lambda c: updated(c) > datetime(2023, 1, 3, tzinfo=UTC)),
    ('lastUpdated < [2023-01-01T01:00:00Z]', lambda c: c["id"] < 3),  # records are 20 minutes apart
    ('lastupdated < [2023-01-02]', lambda c: c["id"] < 72),  # a date without a time is midnight UTC
    ('billingContact = null', lambda c: "billingContact" not in c),
    ('billingContact/id != null and id < 10', lambda c: "billingContact" in c and c["id"] < 10),
    ("identifier = 'AcmeDental1'", lambda c: c["identifier"] == "AcmeDental1"),
])
def test_conditions_select_what_connectwise_would(psa_sim, conditions, wanted):
    assert ids(psa_sim, conditions=conditions) == expected(wanted)


def test_count_uses_the_same_conditions(psa_sim):
    response = get(psa_sim, "company/companies/count", conditions='name like "Acme%" or id in (2,3)')
    assert response.json() == {"count": len(expected(lambda c: c["name"].startswith("Acme") or c["id"] in (2, 3)))}


def test_parameter_names_ignore_case(psa_sim):
    response = get(psa_sim, "company/companies", PageSize=7, Conditions="id>10", ORDERBY="id desc")
    assert [r["id"] for r in response.json()] == list(range(200, 193, -1))
    assert "pageSize=7" in response.headers["Link"] and "page=2" in response.headers["Link"]
    lower = get(psa_sim, "company/companies", childconditions='types/name="Client"', pagesize=3)
    assert len(lower.json()) == 3


@pytest.mark.parametrize("params,field", [
    ({"conditions": 'typeids="1"'}, "typeids"),                 # the wording real tenants answer
    ({"conditions": 'types/name="Client"'}, "types/name"),      # a child collection: childConditions
    ({"conditions": "company=5"}, "company"),                   # a reference: its id or name
    ({"childConditions": 'name="x"'}, "name"),                  # not a child collection
    ({"customFieldConditions": 'colour="blue"'}, "colour"),
    ({"orderBy": "nosuchfield desc"}, "nosuchfield"),
])
def test_unknown_names_are_refused_as_connectwise_refuses_them(psa_sim, params, field):
    response = get(psa_sim, "company/companies", **params)
    assert response.status_code == 400
    assert response.json()["code"] == "ApiFindCondition"
    assert response.json()["message"] == f"{field} is not a recognized name."


@pytest.mark.parametrize("conditions", ['name ~~ 3', '(id=1', 'id=1 and', 'name like 5', 'id = [2023-13-01]',
                                        'name = Acme', '"Acme" = name', 'id 5'])
def test_unparseable_conditions_are_refused_never_ignored(psa_sim, conditions):
    response = get(psa_sim, "company/companies", conditions=conditions)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "ApiFindCondition" and body["errors"][0]["field"] == "conditions"
    assert get(psa_sim, "company/companies/count", conditions=conditions).status_code == 400


def test_child_conditions_match_an_element_of_the_array(psa_sim):
    assert ids(psa_sim, childConditions='types/name = "Client"') == list(range(1, N + 1))
    assert ids(psa_sim, childConditions='types/name = "Vendor"') == []
    assert ids(psa_sim, conditions="id<4", childConditions='types/id in (1, 2)') == [1, 2, 3]


def test_custom_field_conditions_look_at_the_custom_fields():
    records = {1: {"id": 1, "customFields": [{"id": 4, "caption": "PO", "value": "123"}]},
               2: {"id": 2, "customFields": [{"id": 4, "caption": "PO", "value": "999"},
                                             {"id": 5, "caption": "Ref", "value": "123"}]},
               3: {"id": 3, "customFields": []}}
    coll = Collection(3, records.__getitem__)
    both = {"customFieldConditions": 'caption="PO" and value="123"'}
    assert count(coll, both) == 1  # one custom field must match the whole expression
    assert count(coll, {"customFieldConditions": 'value="123"'}) == 2
    with pytest.raises(ConditionError, match="colour is not a recognized name"):
        count(coll, {"customFieldConditions": 'colour="x"'})


def test_order_by_sorts_and_pages_in_that_order(psa_sim):
    by_name_desc = sorted(range(1, N + 1), key=lambda i: cw_data.company(i)["name"].lower(), reverse=True)
    first = get(psa_sim, "company/companies", orderBy="name desc", pageSize=50, page=1)
    second = get(psa_sim, "company/companies", orderBy="name desc", pageSize=50, page=2)
    assert [r["id"] for r in first.json() + second.json()] == by_name_desc[:100]
    assert "orderBy=name+desc" in first.headers["Link"]
    assert ids(psa_sim, orderBy="id desc", conditions="id<4") == [3, 2, 1]
    assert get(psa_sim, "company/companies", orderBy="name sideways").status_code == 400


def test_fields_return_only_what_was_asked_for(psa_sim):
    rows = get(psa_sim, "company/companies", fields="id,Name,status/name,lastUpdated", pageSize=2).json()
    assert rows[0] == {"id": 1, "name": cw_data.company(1)["name"], "status": {"name": "Active"},
                       "_info": {"lastUpdated": cw_data.company(1)["_info"]["lastUpdated"]}}
    one = get(psa_sim, "company/companies/5", fields="id,identifier").json()
    assert one == {"id": 5, "identifier": cw_data.company_identifier(5)}


def test_forward_only_paging_walks_ids_and_refuses_another_order(psa_sim):
    forward = {"pagination-type": "forward-only"}
    page1 = get(psa_sim, "company/companies", headers=forward, pageSize=5, conditions="id>100")
    assert [r["id"] for r in page1.json()] == [101, 102, 103, 104, 105]
    assert "pageId=105" in page1.headers["Link"]
    refused = get(psa_sim, "company/companies", headers=forward, orderBy="name asc")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "orderBy"


def test_answers_carry_the_vendor_media_type_in_the_version_asked_for(psa_sim):
    default = get(psa_sim, "company/companies/count")
    assert default.headers["Content-Type"] == "application/vnd.connectwise.com+json; version=2025.1"
    asked = get(psa_sim, "system/info", headers={"Accept": "application/vnd.connectwise.com+json; version=2024.6"})
    assert asked.headers["Content-Type"] == "application/vnd.connectwise.com+json; version=2024.6"
    refused = get(psa_sim, "company/companies", conditions="nope=1")
    assert refused.headers["Content-Type"].startswith("application/vnd.connectwise.com+json")
    info = requests.get(f"{psa_sim.url}/login/companyinfo/wisesim", timeout=10)
    assert info.headers["Content-Type"].startswith("application/json")  # the login lookup is plain JSON


def test_the_two_401s_and_the_cloudflare_429(psa_sim):
    wrong = get(psa_sim, "system/info", headers={"X-Sim-Fault": "auth"})
    assert wrong.status_code == 401
    assert wrong.json() == {"code": "Unauthorized", "message": "Incorrect public/private key", "errors": []}
    member = get(psa_sim, "system/info", headers={"X-Sim-Fault": "auth;code=UserNotAuthenticated"})
    assert member.status_code == 401 and member.json()["code"] == "ConnectWiseApi"
    assert member.json()["message"] == "UserNotAuthenticated"
    limited = get(psa_sim, "system/info", headers={"X-Sim-Fault": "429;retry_after=7"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert "cloudflare" in limited.headers["Server"] and not limited.headers["Content-Type"].startswith("application/")


def test_page_links_put_page_last_as_connectwise_does():
    coll = Collection(30, cw_data.company)
    _, link = page(coll, {"conditions": "id>0", "pageSize": "10", "page": "2"}, False, "http://h/c")
    assert all(part.split(">")[0].rsplit("&", 1)[1].startswith("page=") for part in link.split(", "))
