"""The Autotask REST client against the simulator on loopback: paging, errors, limits, checks."""
from __future__ import annotations

import subprocess
import sys
import threading

import pytest
import requests

from wisesync.psa.autotask_rest import AutotaskRestClient, endpoint_slot
from wisesync.psa.errors import (PsaAuthError, PsaBadResponse, PsaConfigError, PsaError, PsaNotFound,
                                 PsaPermissionError, PsaRateLimited, PsaUnavailable)
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import demo
from wisesync.simulator.faults import Fault


class RecordingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def request(self, method, url, **kw):
        self.sent.append((method, url))
        return super().request(method, url, **kw)


def make_client(sim, username=demo.AT_API_USERNAME, secret=demo.AT_API_SECRET,
                code=demo.AT_INTEGRATION_CODE, **kw):
    kw.setdefault("policy", OutboundPolicy(allow_local=True, sleep=lambda s: None))
    return AutotaskRestClient(username, secret, code,
                              zone_lookup_url=f"{sim.url}/atservicesrest/v1.0/zoneInformation", **kw)


@pytest.fixture
def client(psa_sim, sim_faults):
    return make_client(psa_sim)


def fault(board, kind, **kw):
    board.add(Fault(kind=kind, target="at", **kw))


def test_zone_is_discovered_from_the_username(client, psa_sim):
    zone = client.discover_zone()
    assert zone["zoneName"] == demo.AT_ZONE_NAME
    assert client.zone_url == f"{psa_sim.url}/ATServicesRest/"


def test_unknown_username_says_to_check_the_api_username(psa_sim, sim_faults):
    with pytest.raises(PsaNotFound) as caught:
        make_client(psa_sim, username="nobody@example.com").discover_zone()
    assert "check the api username" in caught.value.fix.lower()


def test_zone_url_override_skips_the_lookup(psa_sim, sim_faults):
    session = RecordingSession()
    client = make_client(psa_sim, zone_url=f"{psa_sim.url}/ATServicesRest", session=session)
    assert client.version()["majorVersion"]
    assert not any("zoneInformation" in url for _, url in session.sent)


def test_missing_credentials_are_refused_before_anything_is_sent(psa_sim):
    with pytest.raises(PsaConfigError, match="integration code"):
        make_client(psa_sim, code=" ")


def test_query_pages_lazily_through_next_page_url(psa_sim, sim_faults):
    session = RecordingSession()
    client = make_client(psa_sim, session=session)
    client.discover_zone()
    items = client.query("Companies", max_records=50)
    assert session.sent[-1][1].endswith("zoneInformation?user=api%40wisesim.example")
    first = next(items)
    assert len(session.sent) == 2  # one page asked for, nothing more yet
    rest = list(items)
    assert len(rest) + 1 == psa_sim.state.records
    assert len({r["id"] for r in [first, *rest]}) == psa_sim.state.records
    pages = session.sent[1:]
    # Autotask takes nextPageUrl only as a POST (a GET is a 405).
    assert pages[0][0] == "POST" and all(m == "POST" and "/query/next?" in u for m, u in pages[1:])
    assert len(pages) == 4


def test_query_filters_and_count_agree(client):
    filters = [{"op": "or", "items": [{"op": "beginsWith", "field": "companyName", "value": "north"},
                                      {"op": "contains", "field": "companyName", "value": "dental"}]}]
    found = list(client.query("Companies", filters))
    assert found and all("north" in c["companyName"].lower()[:5] or "dental" in c["companyName"].lower()
                         for c in found)
    assert client.count("Companies", filters) == len(found)


def test_id_greater_than_resumes_a_pull(client):
    all_ids = [c["id"] for c in client.companies()]
    later = [c["id"] for c in client.query("Companies", [{"op": "gt", "field": "id", "value": all_ids[149]}])]
    assert later == all_ids[150:]


def test_get_returns_the_record_or_none(client):
    first = next(client.products())
    assert client.get("Products", first["id"]) == first
    assert client.get("Products", 1) is None


def test_convenience_methods_stream_each_entity(client, psa_sim):
    for method in ("companies", "contracts", "contract_services", "products", "services",
                   "invoices", "billing_items"):
        assert sum(1 for _ in getattr(client, method)()) == psa_sim.state.records


def test_wrong_secret_is_an_auth_error_without_the_secret(psa_sim, sim_faults):
    client = make_client(psa_sim, secret="Wrong-Secret-42")
    with pytest.raises(PsaAuthError) as caught:
        client.count("Companies")
    text = str(caught.value) + repr(caught.value.as_dict()) + repr(client)
    assert caught.value.status == 401 and "API-only" in caught.value.fix
    assert "Wrong-Secret-42" not in text


def test_auth_fault_is_an_auth_error(client, sim_faults):
    fault(sim_faults, "auth")
    with pytest.raises(PsaAuthError):
        client.threshold_information()


def test_wrong_integration_code_names_the_tracking_identifier(psa_sim, sim_faults):
    with pytest.raises(PsaAuthError) as caught:
        make_client(psa_sim, code="NOTTHECODE").count("Companies")
    assert "tracking identifier" in caught.value.fix.lower()


def test_resource_user_credentials_work_like_api_credentials(psa_sim, sim_faults):
    client = AutotaskRestClient.for_resource(
        demo.AT_RESOURCE_USERNAME, demo.AT_RESOURCE_PASSWORD, demo.AT_INTEGRATION_CODE,
        zone_lookup_url=f"{psa_sim.url}/atservicesrest/v1.0/zoneInformation",
        policy=OutboundPolicy(allow_local=True, sleep=lambda s: None))
    assert client.test_connection().connected


def test_missing_right_is_a_permission_error_naming_where_to_grant_it(client, sim_faults):
    fault(sim_faults, "deny", right="Contracts")
    with pytest.raises(PsaPermissionError) as caught:
        list(client.contracts())
    assert caught.value.right == "Contracts"
    assert "Security Levels" in caught.value.fix and "Contracts" in caught.value.fix
    assert "adequate permissions" in caught.value.psa_message


def test_errors_body_500_is_not_retried(client, psa_sim, sim_faults):
    session = RecordingSession()
    client = make_client(psa_sim, session=session)
    client.discover_zone()
    fault(sim_faults, "deny", right="Companies")
    with pytest.raises(PsaPermissionError):
        client.count("Companies")
    assert len(session.sent) == 2


def test_bad_filter_field_reports_autotask_message(client):
    with pytest.raises(PsaUnavailable, match="Unable to find nope"):
        client.count("Companies", [{"op": "eq", "field": "nope", "value": 1}])


def test_plain_500_is_retried_a_bounded_number_of_times(client, sim_faults):
    fault(sim_faults, "500", count=2)
    assert client.count("Companies") > 0
    fault(sim_faults, "500")
    with pytest.raises(PsaUnavailable):
        client.count("Companies")


def test_429_honours_retry_after_then_gives_up(psa_sim, sim_faults):
    waits = []
    client = make_client(psa_sim, policy=OutboundPolicy(allow_local=True, sleep=waits.append))
    client.discover_zone()
    fault(sim_faults, "429", retry_after=3, count=1)
    assert client.count("Products") > 0 and waits == [3.0]
    fault(sim_faults, "429", retry_after=2)
    with pytest.raises(PsaRateLimited) as caught:
        client.count("Products")
    assert caught.value.retry_after == 2.0


def test_malformed_json_is_a_bad_response(client, sim_faults):
    client.discover_zone()
    fault(sim_faults, "malformed")
    with pytest.raises(PsaBadResponse):
        client.count("Companies")


def test_connection_dropped_mid_page_is_unavailable(client, sim_faults):
    pages = client.query("Products", max_records=100)
    next(pages)
    fault(sim_faults, "drop", path="/query/next")
    with pytest.raises(PsaUnavailable, match="dropped"):
        list(pages)


def test_slow_reply_past_the_timeout_is_a_timeout(psa_sim, sim_faults):
    from wisesync.psa.errors import PsaTimeout

    client = make_client(psa_sim, policy=OutboundPolicy(allow_local=True, timeout=(2, 0.3),
                                                        sleep=lambda s: None, max_retries=0))
    client.discover_zone()
    fault(sim_faults, "slow", seconds=1)
    with pytest.raises(PsaTimeout):
        client.version()


def test_next_page_on_another_host_is_refused(client, monkeypatch):
    page = {"items": [{"id": 1}], "pageDetails": {"nextPageUrl": "https://evil.example/V1.0/Companies/query/next?x"}}
    monkeypatch.setattr(client, "_call", lambda *a, **k: page)
    client._zone_url = "http://127.0.0.1:1/ATServicesRest/"
    with pytest.raises(PsaBadResponse, match="another host"):
        list(client.query("Companies"))


def test_never_more_than_three_requests_in_flight_per_endpoint(client, psa_sim, sim_faults):
    stats = psa_sim.app.extensions["at_sim"]
    client.discover_zone()
    stats.reset_max()
    fault(sim_faults, "slow", seconds=0.2, path="/Companies/")
    errors = []

    def work():
        try:
            client.count("Companies")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert stats.max_in_flight["Companies"] == 3


def test_slots_are_shared_per_zone_and_entity():
    assert endpoint_slot("https://ws5.example/ATServicesRest/", "Companies") is \
        endpoint_slot("https://WS5.example/ATServicesRest", "companies")
    assert endpoint_slot("https://ws5.example/", "Companies") is not endpoint_slot("https://ws5.example/", "Products")


def test_check_permissions_reports_the_one_missing_right(client, sim_faults):
    fault(sim_faults, "deny", right="Products")
    checks = {c.name: c for c in client.check_permissions()}
    assert checks["Web services API login"].ok and checks["Companies"].ok
    missing = checks["Products and services"]
    assert not missing.ok and "Security Levels" in missing.fix and "Products" in missing.fix
    assert [c.name for c in client.check_permissions() if not c.ok] == ["Products and services"]


def test_test_connection_is_connected_with_a_full_checklist(client):
    report = client.test_connection()
    assert report.status_word == "Connected"
    assert [c.name for c in report.checks][:3] == ["Reached host", "Authenticated", "Web services API login"]


def test_test_connection_with_bad_secret_stops_after_authentication(psa_sim, sim_faults):
    report = make_client(psa_sim, secret="nope").test_connection()
    assert report.status_word == "Not connected"
    assert report.checks[0].ok and not report.checks[1].ok and "API-only" in report.checks[1].fix
    assert all("Not checked" in c.detail for c in report.checks[3:])


def test_test_connection_to_an_unreachable_host(sim_faults):
    client = AutotaskRestClient("a@b.example", "s", "c", zone_url="http://127.0.0.1:9/ATServicesRest/",
                                policy=OutboundPolicy(allow_local=True, sleep=lambda s: None, max_retries=0))
    report = client.test_connection()
    assert not report.checks[0].ok and report.checks[0].name == "Reached host"


def test_importing_the_client_does_not_import_flask():
    code = "import sys, wisesync.psa.autotask_rest; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_next_page_is_posted_with_the_query_body_never_got(client, monkeypatch):
    client._zone_url = "http://127.0.0.1:1/ATServicesRest/"
    next_url = client._zone_url + "V1.0/Companies/query/next?paging=x"
    calls = []

    def fake_call(method, url, entity, json=None):
        calls.append((method, url, json))
        if len(calls) == 1:
            return {"items": [{"id": 1}], "pageDetails": {"nextPageUrl": next_url}}
        return {"items": [{"id": 2}], "pageDetails": {"nextPageUrl": None}}

    monkeypatch.setattr(client, "_call", fake_call)
    assert [r["id"] for r in client.query("Companies")] == [1, 2]
    assert calls[-1] == ("POST", next_url, calls[0][2]) and len(calls) == 2


def test_one_dropped_connection_is_retried_and_the_query_completes(client, sim_faults):
    client.discover_zone()
    sim_faults.add(Fault(kind="drop", target="at", path="/query/next", count=1))
    items = list(client.query("Products", max_records=100))
    assert len(items) == 200 and len({i["id"] for i in items}) == 200
    assert not sim_faults.list()  # the drop fired (and expired)


def test_next_page_over_http_is_refused(client, monkeypatch):
    client._zone_url = "https://webservices5.autotask.net/ATServicesRest/"
    page = {"items": [{"id": 1}],
            "pageDetails": {"nextPageUrl": "http://webservices5.autotask.net/ATServicesRest/V1.0/Companies/query/next"}}
    monkeypatch.setattr(client, "_call", lambda *a, **k: page)
    with pytest.raises(PsaBadResponse, match="over http"):
        list(client.query("Companies"))


def test_include_fields_asks_for_those_fields_on_every_page(client):
    items = list(client.query("Products", max_records=150, include_fields=["name", "UNITPRICE"]))
    assert len(items) == 200 and all(set(i) == {"id", "name", "unitPrice"} for i in items)


def test_an_unknown_include_field_is_refused_like_an_unknown_filter_field(client):
    with pytest.raises(PsaError, match="Unable to find colour in the Products entity"):
        list(client.query("Products", include_fields=["colour"]))
