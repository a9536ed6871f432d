"""ConnectWise REST client against the simulator on loopback (no Flask app needed)."""
from __future__ import annotations

import base64

import pytest
import requests

from tests.psadata.helpers import sim_records  # noqa: F401  (fixture)
from wisesync.psa.connectwise_accounting import gl_entry_ids
from wisesync.psa.connectwise_common import CLOUD_SITES, resolve_site
from wisesync.psa.connectwise_rest import ConnectWiseRestClient
from wisesync.psa.errors import (PsaAuthError, PsaBadResponse, PsaBlockedTarget, PsaConfigError, PsaError,
                                 PsaNotFound, PsaPermissionError, PsaRateLimited, PsaTimeout,
                                 PsaUnavailable)
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import demo
from wisesync.simulator.faults import Fault

API = "/apis/3.0/"


class Recorder:
    """A session that remembers every request it sent."""

    def __init__(self, headers: dict | None = None):
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.sent: list[requests.PreparedRequest] = []
        self.session.hooks["response"].append(lambda r, *a, **k: self.sent.append(r.request))

    def api_calls(self) -> list[str]:
        return [r.url for r in self.sent if API in r.url]


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make(psa_sim, sleeps):
    def make(private_key=demo.CW_PRIVATE_KEY, company_id=demo.CW_COMPANY_ID, recorder=None, **kw):
        kw.setdefault("policy", OutboundPolicy(allow_local=True, sleep=sleeps.append))
        return ConnectWiseRestClient(psa_sim.url, company_id, demo.CW_PUBLIC_KEY, private_key,
                                     "wisesync-tests", session=recorder.session if recorder else None, **kw)
    return make


@pytest.mark.parametrize("site,url", [
    ("na", "https://api-na.myconnectwise.net"), ("EU", "https://api-eu.myconnectwise.net"),
    ("au", "https://api-au.myconnectwise.net"), ("aus", "https://api-aus.myconnectwise.net"),
    ("za", "https://api-za.myconnectwise.net"), ("psa.example.com", "https://psa.example.com"),
    ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
    ("https://psa.example.com:8443/v4_6_release/apis/3.0", "https://psa.example.com:8443")])
def test_site_resolves_region_codes_hosts_and_urls(site, url):
    assert resolve_site(site) == url
    assert set(CLOUD_SITES) == {"na", "eu", "au", "aus", "za"}


def test_empty_setting_is_refused_before_anything_is_sent():
    with pytest.raises(PsaConfigError, match="Client ID"):
        ConnectWiseRestClient("na", "wisesim", "pub", "priv", " ")
    with pytest.raises(PsaConfigError):
        ConnectWiseRestClient("", "wisesim", "pub", "priv", "cid")


def test_http_site_is_refused_without_allow_local(psa_sim):
    client = ConnectWiseRestClient(psa_sim.url, "wisesim", "pub", "priv", "cid")
    with pytest.raises(PsaBlockedTarget):
        client.system_info()


def test_calls_carry_connectwise_auth_client_id_and_versioned_accept(make):
    recorder = Recorder()
    make(recorder=recorder).system_info()
    companyinfo, call = recorder.sent
    assert "Authorization" not in companyinfo.headers and companyinfo.url.endswith("/login/companyinfo/wisesim")
    scheme, token = call.headers["Authorization"].split(" ")
    assert scheme == "Basic" and base64.b64decode(token).decode() == "wisesim+simpublic:simprivate"
    assert call.headers["clientId"] == "wisesync-tests"
    assert call.headers["Accept"] == "application/vnd.connectwise.com+json; version=2025.1"
    assert "/v2025_1/apis/3.0/system/info" in call.url


def test_codebase_is_discovered_and_company_id_is_case_insensitive(make):
    client = make(company_id="WiseSim")
    assert client.discover_codebase() == "v2025_1/"
    assert client.api_base.endswith("/v2025_1/apis/3.0")


def test_unknown_company_id_is_not_found_with_the_field_named(make):
    with pytest.raises(PsaNotFound, match="company ID not found") as caught:
        make(company_id="nosuchco").companies_count()
    assert "Company ID" in caught.value.fix


def test_stale_codebase_is_rediscovered_once_after_a_404(make):
    recorder = Recorder()
    client = make(recorder=recorder, codebase="v2019_4/")
    assert client.companies_count() == 200
    assert client.codebase == "v2025_1/"
    assert [u.split("/")[3] for u in recorder.api_calls()] == ["v2019_4", "v2025_1"]


def test_paging_is_a_lazy_generator_following_link_next(make):
    recorder = Recorder()
    records = make(recorder=recorder).catalog_items(page_size=50)
    assert recorder.sent == []  # nothing sent until the first record is asked for
    first = next(records)
    assert first["id"] == 1 and len(recorder.api_calls()) == 1
    rest = [next(records) for _ in range(49)]
    assert len(recorder.api_calls()) == 1  # page 2 only when page 1 is used up
    rest += list(records)
    assert [r["id"] for r in [first, *rest]] == list(range(1, 201))
    assert len(recorder.api_calls()) == 4 and "pageSize=50" in recorder.api_calls()[0]


def test_default_page_size_is_1000(make):
    recorder = Recorder()
    assert len(list(make(recorder=recorder).companies())) == 200
    assert "pageSize=1000" in recorder.api_calls()[0]


def test_conditions_filter_lists_and_counts_across_pages(make):
    client = make()
    ids = [c["id"] for c in client.companies("id>150 and id<=190", page_size=7)]
    assert ids == list(range(151, 191))
    assert client.companies_count("id>150 and id<=190") == 40
    assert all(c["name"].startswith("Acme") for c in client.companies('name like "Acme%"'))
    assert client.agreements_count("lastUpdated>[2023-01-03T00:00:00Z]") == 200 - 144


def test_each_endpoint_answers(make):
    client = make()
    assert client.system_info()["version"].startswith("v2025")
    assert len(list(client.agreement_additions(4))) == 3
    assert client.members_count() == len(list(client.members())) == 20
    assert client.catalog_items_count() == 200 and client.agreements_count() == 200
    assert next(client.unposted_invoices())["total"] > 0
    export = client.export_accounting({"includedInvoiceIds": [11, 12], "exportInvoicesFlag": True})
    assert [t["id"] for t in export["transactions"]] == [11, 12]


def test_accounting_batch_marks_invoices_posted(make, psa_sim):
    client = make()
    psa_sim.state.cw_books.reset()
    try:
        before = client.unposted_invoices_count()
        export = client.export_accounting({"includedInvoiceIds": [198, 199], "exportInvoicesFlag": True})
        entries = [e for t in export["transactions"] for e in gl_entry_ids(t)]
        client.create_accounting_batch({"batchIdentifier": "T1", "exportInvoicesFlag": True,
                                        "processedRecordIds": entries})
        assert client.unposted_invoices_count() == before - 2
        with pytest.raises(PsaNotFound):
            client.unposted_invoice(199)
        with pytest.raises(PsaConfigError):
            client.create_accounting_batch({"processedRecordIds": []})
    finally:
        psa_sim.state.cw_books.reset()


def test_bad_keys_are_an_auth_error_without_the_keys_in_the_text(make):
    with pytest.raises(PsaAuthError, match="Incorrect public/private key") as caught:
        make(private_key="not-the-key-42").companies_count()
    text = str(caught.value) + repr(caught.value.as_dict())
    assert "not-the-key-42" not in text and "simpublic" not in text
    assert "API Members" in caught.value.fix and "Company ID" in caught.value.fix


def test_auth_fault_is_an_auth_error(make, sim_faults):
    sim_faults.add(Fault(kind="auth", target="cw-rest"))
    with pytest.raises(PsaAuthError):
        make().system_info()


def test_denied_right_names_the_security_role_module(make, sim_faults):
    sim_faults.add(Fault(kind="deny", right="catalog", target="cw-rest"))
    client = make()
    with pytest.raises(PsaPermissionError) as caught:
        list(client.catalog_items())
    assert caught.value.right == "catalog" and caught.value.status == 403
    assert "System > Security Roles" in caught.value.fix and "Procurement" in caught.value.fix
    assert client.companies_count() == 200  # other rights unaffected


def test_check_permissions_reports_the_one_missing_right_with_its_fix(make, sim_faults):
    sim_faults.add(Fault(kind="deny", right="invoicing", target="cw-rest"))
    checks = make().check_permissions()
    assert [c.name for c in checks] == ["Companies", "Contacts", "Agreements",
                                        "Invoicing / accounting interface", "Product catalog",
                                        "Table setup / system info"]
    missing = [c for c in checks if not c.ok]
    assert [c.name for c in missing] == ["Invoicing / accounting interface"]
    assert "Finance" in missing[0].fix and "Accounting Interface" in missing[0].fix


def test_test_connection_lists_host_auth_then_rights(make):
    report = make().test_connection()
    assert report.connected and report.status_word == "Connected"
    assert [c.name for c in report.checks][:2] == ["Reached host", "Authenticated"]
    assert len(report.checks) == 8


def test_test_connection_with_bad_keys_stops_at_authenticated(make):
    report = make(private_key="wrong").test_connection()
    assert report.status_word == "Not connected"
    assert report.checks[0].ok and not report.checks[1].ok and "API" in report.checks[1].fix


def test_missing_record_is_not_found(make):
    with pytest.raises(PsaNotFound):
        make().unposted_invoice(99_999)


def test_429_is_retried_honouring_retry_after(make, sim_faults, sleeps):
    sim_faults.add(Fault(kind="429", target="cw-rest", path=API, retry_after=3, count=2))
    assert make().companies_count() == 200
    assert sleeps == [3.0, 3.0]


def test_persistent_429_becomes_rate_limited(make, sim_faults, sleeps):
    sim_faults.add(Fault(kind="429", target="cw-rest", path=API, retry_after=2))
    with pytest.raises(PsaRateLimited) as caught:
        make().companies_count()
    assert caught.value.retry_after == pytest.approx(2) and len(sleeps) == 4


def test_one_500_is_retried_and_persistent_500_is_unavailable(make, sim_faults, sleeps):
    sim_faults.add(Fault(kind="500", target="cw-rest", path=API, count=1))
    assert make().companies_count() == 200
    sim_faults.add(Fault(kind="500", target="cw-rest", path=API))
    with pytest.raises(PsaUnavailable) as caught:
        make().companies_count()
    assert caught.value.status == 500 and len(sleeps) == 1 + 4


def test_malformed_json_is_a_bad_response(make, sim_faults):
    sim_faults.add(Fault(kind="malformed", target="cw-rest", path=API))
    with pytest.raises(PsaBadResponse):
        list(make().companies())


def test_connection_dropped_mid_page_is_unavailable(make, sim_faults):
    sim_faults.add(Fault(kind="drop", target="cw-rest", path="/procurement/catalog", after=1))
    records = make().catalog_items(page_size=100)
    assert len([next(records) for _ in range(100)]) == 100
    with pytest.raises(PsaUnavailable, match="dropped"):
        next(records)


def test_slow_reply_past_the_read_timeout_is_a_timeout(make):
    recorder = Recorder({"X-Sim-Fault": "slow;seconds=1"})
    client = make(recorder=recorder, codebase="v2025_1/",
                  policy=OutboundPolicy(allow_local=True, timeout=(2, 0.2), max_retries=0))
    with pytest.raises(PsaTimeout):
        client.system_info()


def test_unparseable_conditions_are_reported_with_connectwise_words(make):
    with pytest.raises(PsaError) as caught:
        make().companies_count("name ~~ 3")
    assert caught.value.status == 400 and "conditions" in caught.value.psa_message


def test_repr_shows_no_keys(make):
    assert "simprivate" not in repr(make()) and "simpublic" not in repr(make())


def test_one_dropped_connection_is_retried_and_the_list_completes(make, sim_faults, sleeps):
    sim_faults.add(Fault(kind="drop", target="cw-rest", path="/procurement/catalog", after=1, count=1))
    records = list(make().iterate_by_id("/procurement/catalog", page_size=100))
    assert [r["id"] for r in records] == list(range(1, 201)) and len(sleeps) == 1
    sim_faults.add(Fault(kind="drop", target="cw-rest", path="/company/companies", after=1, count=1))
    assert len(list(make().companies(page_size=100))) == 200  # Link paging retries too


def test_keyset_paging_reads_every_record_while_the_psa_deletes_one(make, sim_records, monkeypatch):
    """Page numbers shift when record 10 goes after page 1 was read: record 51 moves onto
    page 1 and is never seen. ``id > last`` pages cannot skip it."""
    from wisesync.psa.connectwise_paging import ListPaging

    real = ListPaging._page
    calls = []

    def page_then_delete(self, path, **kw):
        response = real(self, path, **kw)
        calls.append(kw)
        if len(calls) == 1:
            sim_records.delete("cw", "company/companies", 10)
        return response

    monkeypatch.setattr(ListPaging, "_page", page_then_delete)
    by_id = [r["id"] for r in make().iterate_by_id("/company/companies", page_size=50)]
    assert by_id == list(range(1, 201))  # 10 was read before it went
    assert all(c["params"]["orderBy"] == "id asc" and c["params"]["conditions"].startswith("id>") for c in calls)
    sim_records.reset()
    calls.clear()
    by_page = [r["id"] for r in make().companies(page_size=50)]
    assert 51 not in by_page  # what the old paging did


def test_keyset_paging_asks_only_for_the_fields_given_and_keeps_the_conditions(make):
    records = list(make().iterate_by_id("/company/companies", "name like \"Acme%\"", fields="id,name",
                                        page_size=10))
    assert records and all(set(r) == {"id", "name"} and r["name"].startswith("Acme") for r in records)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)


@pytest.mark.parametrize("link", ["https://evil.example/v2025_1/apis/3.0/company/companies?page=2",
                                  "https://{host}/v2025_1/apis/3.0/company/companies?page=2"])
def test_a_next_link_to_another_origin_is_not_followed(make, monkeypatch, link, psa_sim):
    """Another host, or another scheme on the same host (https → http or back), is refused
    before anything is sent there: the keys would go with the request."""
    from urllib.parse import urlsplit

    from wisesync.psa.connectwise_paging import ListPaging

    real = ListPaging._page
    sent = []

    def with_link(self, path, **kw):
        sent.append(kw.get("url"))
        response = real(self, path, **kw)
        response.headers["Link"] = f'<{link.format(host=urlsplit(psa_sim.url).netloc)}>; rel="next"'
        return response

    monkeypatch.setattr(ListPaging, "_page", with_link)
    with pytest.raises(PsaBadResponse, match="did not follow it") as caught:
        list(make().companies(page_size=100))
    assert "API host itself" in caught.value.fix and sent == [None]
