"""Records changed or deleted in the simulated PSAs (/_sim/records): a change is stamped the way
the PSA stamps it, so incremental queries find it; a deletion hides the record from lists,
counts and GET by id; keyset conditions (``id > N``) and ``lastUpdated>`` answer exactly what
a scan of every record would."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.psadata.helpers import sim_records  # noqa: F401  (fixture)
from tests.simulator.cw_contract import AUTH
from wisesync.simulator import at_data, cw_data, demo
from wisesync.simulator.cw_list import Collection, count, page

AT_HEADERS = {"UserName": demo.AT_API_USERNAME, "Secret": demo.AT_API_SECRET,
              "ApiIntegrationCode": demo.AT_INTEGRATION_CODE, "Content-Type": "application/json"}


def cw(sim, path, **params):
    response = requests.get(f"{sim.url}/v2025_1/apis/3.0/{path}", params=params, headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def at_query(sim, entity, filters, count_only=False):
    url = f"{sim.url}/ATServicesRest/V1.0/{entity}/query" + ("/count" if count_only else "")
    response = requests.post(url, json={"filter": filters, "maxRecords": 500}, headers=AT_HEADERS, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_connectwise_change_is_stamped_and_found_by_last_updated(psa_sim, sim_records):
    before = datetime.now(timezone.utc) - timedelta(seconds=2)
    sim_records.change("cw", "company/companies", 7, {"name": "Renamed Ltd"})
    since = f"lastUpdated>[{stamp(before)}]"
    found = cw(psa_sim, "company/companies", conditions=since, pageSize=1000)
    assert [(r["id"], r["name"]) for r in found] == [(7, "Renamed Ltd")]
    assert cw(psa_sim, "company/companies/count", conditions=since) == {"count": 1}
    assert datetime.fromisoformat(found[0]["_info"]["lastUpdated"].replace("Z", "+00:00")) >= before
    assert cw(psa_sim, "company/companies/7")["name"] == "Renamed Ltd"


def test_seed_records_are_never_from_the_future():
    assert cw_data.last_updated(10_000_000) <= datetime.now(timezone.utc)
    assert cw_data.first_updated_after(datetime.now(timezone.utc)) is None


def test_a_deleted_record_is_gone_from_lists_counts_and_get(psa_sim, sim_records):
    sim_records.delete("cw", "procurement/catalog", 5)
    listed = [r["id"] for r in cw(psa_sim, "procurement/catalog", pageSize=1000)]
    assert 5 not in listed and len(listed) == 199
    assert cw(psa_sim, "procurement/catalog/count") == {"count": 199}
    response = requests.get(f"{psa_sim.url}/v2025_1/apis/3.0/procurement/catalog/5", headers=AUTH, timeout=10)
    assert response.status_code == 404


def test_odd_values_are_served_as_given(psa_sim, sim_records):
    sim_records.change("cw", "finance/agreements", 4, {"company": 12})
    sim_records.change("cw", "procurement/catalog", 3, {"price": "abc", "description": "A\x00B"})
    assert cw(psa_sim, "finance/agreements/4")["company"] == 12
    item = cw(psa_sim, "procurement/catalog/3")
    assert item["price"] == "abc" and item["description"] == "A\x00B"


def test_company_statuses_carry_their_own_inactive_flag(psa_sim):
    statuses = cw(psa_sim, "company/companies/statuses", pageSize=100)
    flags = {s["name"]: s["inactiveFlag"] for s in statuses}
    assert flags["Active"] is False and flags["Not Approved"] is True and flags["Inactive Review"] is False
    assert cw(psa_sim, "company/companies/statuses/count")["count"] == len(statuses)


@pytest.mark.parametrize("conditions", [
    "id>150", "id>=150", "id>150 and name like \"A%\"", "lastUpdated>[2023-01-02T10:00:00Z]",
    "id>100 and lastUpdated>[2023-01-02T10:00:00Z]", "lastUpdated>=[2023-01-02T10:00:00Z] and id<190",
    "id>150 or id<3", "not (id>150)"])
def test_keyset_and_last_updated_shortcuts_answer_what_a_full_scan_does(conditions):
    changed = {"when": datetime(2023, 1, 1, 3, tzinfo=timezone.utc)}
    gone = {160, 20}

    def make(i):  # record 30 changed late, record 170 changed early: the shortcut must see both
        record = cw_data.company(i)
        if i == 30:
            record["_info"] = {**record["_info"], "lastUpdated": "2024-06-01T00:00:00Z"}
        if i == 170:
            record["_info"] = {**record["_info"], "lastUpdated": stamp(changed["when"])}
        return record

    quick = Collection(200, make, excluded=set(gone), changed=lambda: {30, 170},
                       first_updated_after=cw_data.first_updated_after)
    slow = Collection(200, make, excluded=set(gone))
    args = {"conditions": conditions, "pageSize": "1000"}
    assert [r["id"] for r in page(quick, args, False, "http://x")[0]] == \
        [r["id"] for r in page(slow, args, False, "http://x")[0]]
    assert count(quick, {"conditions": conditions}) == count(slow, {"conditions": conditions})


def test_an_autotask_change_is_stamped_with_the_entitys_modified_field(psa_sim, sim_records):
    contract_id = at_data.BASE_IDS["Contracts"] + 3
    before = datetime.now(timezone.utc) - timedelta(seconds=2)
    sim_records.change("at", "Contracts", contract_id, {"contractName": "Renewed"})
    filters = [{"op": "gt", "field": "lastModifiedDateTime", "value": stamp(before)}]
    items = at_query(psa_sim, "Contracts", filters)["items"]
    assert [(i["id"], i["contractName"]) for i in items] == [(contract_id, "Renewed")]
    assert at_query(psa_sim, "Contracts", filters, count_only=True)["queryCount"] == 1


def test_an_autotask_deletion_hides_the_record(psa_sim, sim_records):
    company_id = at_data.BASE_IDS["Companies"] + 2
    sim_records.delete("at", "Companies", company_id)
    everything = [{"op": "gte", "field": "id", "value": 0}]
    assert at_query(psa_sim, "Companies", everything, count_only=True)["queryCount"] == 199
    response = requests.get(f"{psa_sim.url}/ATServicesRest/V1.0/Companies/{company_id}", headers=AT_HEADERS,
                            timeout=10)
    assert response.json() == {"item": None}


def test_records_admin_endpoint_changes_lists_and_resets(psa_sim, sim_records):
    url = f"{psa_sim.url}/_sim/records"
    assert requests.post(url, json={"psa": "cw", "collection": "company/companies", "id": 9,
                                    "set": {"name": "Nine"}}, timeout=5).status_code == 200
    assert requests.post(url, json={"psa": "cw", "collection": "company/companies", "id": 10,
                                    "delete": True}, timeout=5).status_code == 200
    assert requests.post(url, json={"psa": "xx", "id": 1}, timeout=5).status_code == 400
    assert {(c["id"], c.get("delete", False)) for c in requests.get(url, timeout=5).json()} == {(9, False), (10, True)}
    assert cw(psa_sim, "company/companies/9")["name"] == "Nine"
    requests.post(f"{psa_sim.url}/_sim/reset", timeout=5)
    assert requests.get(url, timeout=5).json() == []
    assert cw(psa_sim, "company/companies/count") == {"count": 200}
