"""ConnectWise SOAP client against the simulator on loopback: data, settings, and every error."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from wisesync.psa import connectwise_soap
from wisesync.psa.connectwise_soap import ACCOUNTING_PATH, ACCOUNTING_WSDL, ConnectWiseSoapClient
from wisesync.psa.errors import (PsaAuthError, PsaBadResponse, PsaBlockedTarget, PsaConfigError, PsaError,
                                 PsaNotFound, PsaPermissionError, PsaRateLimited, PsaTimeout, PsaTlsError,
                                 PsaUnavailable)
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import cw_data, demo
from wisesync.simulator.faults import Fault

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "connectwise"
COMPANY_WSDL = FIXTURES / "CompanyAPI_1.wsdl"
MEMBER_FIX = ("Enter the Member ID (the ConnectWise username of the member, e.g. jsmith) and the "
              "member password in the ConnectWise Member section of this user, then test again.")


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def make_client(psa_sim, sleeps):
    def make(member_id=demo.CW_MEMBER_ID, password=demo.CW_MEMBER_PASSWORD, company_id=demo.CW_COMPANY_ID,
             site=None, timeout=(2.0, 5.0), **kwargs):
        policy = OutboundPolicy(allow_local=True, timeout=timeout, sleep=sleeps)
        return ConnectWiseSoapClient(site or psa_sim.url, company_id, member_id, password, policy=policy, **kwargs)
    return make


class NoNetwork(requests.Session):
    def request(self, *args, **kwargs):
        pytest.fail(f"the client sent a request although settings were incomplete: {args}")


def rest_shape(record: dict) -> dict:
    """A REST record as SOAP carries it: no ``_info``, no nulls."""
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k != "_info" and v is not None}
        return value
    return clean(record)


def test_unposted_invoices_come_back_with_the_rest_field_names(make_client, psa_sim):
    invoices = make_client().get_unposted_invoices()
    assert len(invoices) == psa_sim.state.records
    assert invoices[0] == rest_shape(cw_data.unposted_invoice(1, companies=psa_sim.state.records))
    assert {"id", "invoiceNumber", "invoiceType", "invoiceDate", "subTotal", "total"} <= invoices[0].keys()
    assert invoices[0]["company"].keys() == {"id", "identifier", "name"}


def test_thru_date_and_location_filter_the_invoices(make_client):
    client = make_client()
    early = client.get_unposted_invoices(thru_date=dt.date(2023, 1, 5))
    assert early and all(inv["invoiceDate"] <= "2023-01-05T23:59:59Z" for inv in early)
    sydney = client.get_unposted_invoices(location_id=2)
    assert sydney and all(inv["locationId"] == 2 for inv in sydney)
    assert client.get_unposted_invoices(location_id=99) == []


def test_demo_credentials_test_as_connected(make_client):
    report = make_client().test_connection()
    assert report.connected and report.status_word == "Connected"
    assert [c.name for c in report.checks] == ["Reached host", "Authenticated",
                                               "Accounting interface (GetUnpostedInvoices)"]


def test_missing_member_id_never_reaches_the_psa_and_names_the_fields(make_client):
    client = make_client(member_id="  ", session=NoNetwork())
    with pytest.raises(PsaConfigError) as caught:
        client.get_unposted_invoices()
    assert caught.value.explanation == "The ConnectWise Member ID is not set for this user."
    assert caught.value.fix == MEMBER_FIX
    report = client.test_connection()
    assert report.status_word == "Not connected"
    assert report.checks[1].detail == "The ConnectWise Member ID is not set for this user."
    assert report.checks[1].fix == MEMBER_FIX


def test_missing_member_id_sends_nothing_to_the_simulator(make_client, sim_faults):
    sim_faults.add(Fault(kind="500", target="cw-soap", path=ACCOUNTING_PATH))  # counts what arrives
    with pytest.raises(PsaConfigError):
        make_client(member_id="").get_unposted_invoices()
    assert sim_faults.list()[0]["seen"] == 0


def test_missing_password_and_company_id_never_reach_the_psa(make_client):
    with pytest.raises(PsaConfigError, match="member password is not set"):
        make_client(password="", session=NoNetwork()).get_unposted_invoices()
    with pytest.raises(PsaConfigError) as caught:
        make_client(company_id="", session=NoNetwork()).get_unposted_invoices()
    assert "Integration Settings" in caught.value.explanation


def test_username_required_fault_is_explained_with_the_wise_sync_fields(make_client, psa_sim):
    credentials = {"CompanyId": demo.CW_COMPANY_ID, "IntegratorPassword": demo.CW_MEMBER_PASSWORD}
    with pytest.raises(PsaConfigError) as caught:
        make_client().call(ACCOUNTING_WSDL, "GetUnpostedInvoices", credentials=credentials,
                           service_url=psa_sim.url + ACCOUNTING_PATH)
    assert caught.value.explanation == "The ConnectWise Member ID is not set for this user."
    assert caught.value.fix == MEMBER_FIX


def test_wrong_password_is_an_auth_error_that_never_shows_the_password(make_client):
    with pytest.raises(PsaAuthError) as caught:
        make_client(password="Wrong-Secret-9").get_unposted_invoices()
    error = caught.value
    assert "inactive" in error.fix and "Company ID" in error.fix
    assert "Wrong-Secret-9" not in str(error) + repr(error.as_dict())
    report = make_client(password="Wrong-Secret-9").test_connection()
    assert [c.ok for c in report.checks] == [True, False, False]


def test_unknown_company_id_is_not_found(make_client):
    with pytest.raises(PsaNotFound, match="company ID"):
        make_client(company_id="nosuchco").get_unposted_invoices()


def test_auth_fault_is_an_auth_error(make_client, sim_faults):
    sim_faults.add(Fault(kind="auth", target="cw-soap"))
    with pytest.raises(PsaAuthError):
        make_client().get_unposted_invoices()


def test_missing_accounting_right_names_it_and_where_to_grant_it(make_client, sim_faults):
    sim_faults.add(Fault(kind="deny", target="cw-soap", right="invoicing"))
    with pytest.raises(PsaPermissionError) as caught:
        make_client().get_unposted_invoices()
    assert caught.value.right == "Accounting Interface"
    assert "System > Security Roles" in caught.value.fix and "Inquire Level All" in caught.value.fix
    report = make_client().test_connection()
    assert [c.ok for c in report.checks] == [True, True, False]


def test_permission_checklist_has_the_accounting_right_found_or_missing(make_client, sim_faults):
    [found] = make_client().check_permissions()
    assert found.ok and "Accounting interface" in found.name
    sim_faults.add(Fault(kind="deny", target="cw-soap", right="invoicing"))
    [missing] = make_client().check_permissions()
    assert not missing.ok
    assert "Security Roles" in missing.fix and "Accounting Interface" in missing.fix


def test_429_honours_retry_after_then_gives_up_as_rate_limited(make_client, sim_faults, sleeps):
    sim_faults.add(Fault(kind="429", target="cw-soap", retry_after=1))
    with pytest.raises(PsaRateLimited) as caught:
        make_client().get_unposted_invoices()
    assert caught.value.retry_after == 1
    assert sleeps == [1.0] * OutboundPolicy().max_retries


def test_one_429_is_retried_transparently(make_client, sim_faults, sleeps):
    sim_faults.add(Fault(kind="429", target="cw-soap", retry_after=0.5, count=1))
    assert make_client().get_unposted_invoices(thru_date=dt.date(2023, 1, 3))
    assert sleeps == [0.5]


def test_plain_500_is_retried_boundedly_then_unavailable(make_client, sim_faults, sleeps):
    sim_faults.add(Fault(kind="500", target="cw-soap"))
    with pytest.raises(PsaUnavailable) as caught:
        make_client().get_unposted_invoices()
    assert caught.value.status == 500 and type(caught.value) is PsaUnavailable
    assert len(sleeps) == OutboundPolicy().max_retries


def test_soap_server_fault_is_unavailable_without_retrying(make_client, sim_faults, sleeps):
    sim_faults.add(Fault(kind="500", target="cw-soap", right="fault"))
    with pytest.raises(PsaUnavailable) as caught:
        make_client().get_unposted_invoices()
    assert "Object reference" in caught.value.psa_message
    assert sleeps == []


def test_truncated_xml_is_a_bad_response(make_client, sim_faults):
    sim_faults.add(Fault(kind="malformed", target="cw-soap"))
    with pytest.raises(PsaBadResponse):
        make_client().get_unposted_invoices()


def test_slow_answer_times_out(make_client, sim_faults):
    sim_faults.add(Fault(kind="slow", target="cw-soap", seconds=1.0))
    with pytest.raises(PsaTimeout):
        make_client(timeout=(2.0, 0.3)).get_unposted_invoices()


def test_dropped_connection_is_unavailable(make_client, sim_faults):
    sim_faults.add(Fault(kind="drop", target="cw-soap"))
    with pytest.raises(PsaUnavailable, match="dropped"):
        make_client().get_unposted_invoices()


def test_http_site_is_refused_without_local_mode(psa_sim):
    client = ConnectWiseSoapClient(psa_sim.url, "wisesim", "jsmith", "pw", session=NoNetwork())
    with pytest.raises(PsaBlockedTarget):
        client.get_unposted_invoices()
    assert [c.ok for c in client.test_connection().checks] == [False, False, False]


def test_unknown_host_is_a_dns_failure():
    client = ConnectWiseSoapClient("https://psa.nonexistent.invalid", "wisesim", "jsmith", "pw",
                                   session=NoNetwork())
    with pytest.raises(PsaUnavailable, match="DNS"):
        client.get_unposted_invoices()


class FakeSession(requests.Session):
    def __init__(self, behaviour):
        super().__init__()
        self.behaviour = behaviour

    def request(self, method, url, **kwargs):
        return self.behaviour(method, url)


def test_tls_failure_is_a_tls_error():
    def fail(method, url):
        raise requests.exceptions.SSLError("certificate verify failed")
    client = ConnectWiseSoapClient("https://93.184.216.34", "wisesim", "jsmith", "pw", session=FakeSession(fail))
    with pytest.raises(PsaTlsError):
        client.get_unposted_invoices()


def test_redirect_to_a_private_address_is_refused():
    def redirect(method, url):
        response = requests.Response()
        response.status_code, response.url = 302, url
        response.headers["Location"] = "https://10.0.0.5/v4_6_release/apis/2.0/AccountingInterfaceApi.asmx"
        response.raw = __import__("io").BytesIO(b"")
        return response
    client = ConnectWiseSoapClient("https://93.184.216.34", "wisesim", "jsmith", "pw",
                                   session=FakeSession(redirect))
    with pytest.raises(PsaBlockedTarget, match="10.0.0.5"):
        client.get_unposted_invoices()


def test_each_wsdl_is_parsed_once_per_process(make_client, monkeypatch):
    calls = []
    real = connectwise_soap._parse_wsdl
    monkeypatch.setattr(connectwise_soap, "_parse_wsdl", lambda *a: calls.append(a) or real(*a))
    monkeypatch.setattr(connectwise_soap, "_documents", {})
    for _ in range(2):
        make_client().get_unposted_invoices(thru_date=dt.date(2023, 1, 2))
    assert len(calls) == 1


def test_unknown_operation_is_refused_before_sending(make_client):
    with pytest.raises(PsaConfigError, match="NoSuchCall"):
        make_client(session=NoNetwork()).call(ACCOUNTING_WSDL, "NoSuchCall")


def test_psa_package_does_not_import_flask():
    code = "import sys, wisesync.psa.connectwise_soap; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- ConnectWise's real WSDL (third-party, read from ../shared/fixtures) ---------------------

@pytest.fixture(scope="module")
def wsdl_sim():
    if not COMPANY_WSDL.exists():
        pytest.skip(f"REAL CONNECTWISE WSDL MISSING: {COMPANY_WSDL} (../shared/fixtures not mounted)")
    from wisesync.simulator.server import RunningSim

    with RunningSim(records=50, wsdl_dir=str(FIXTURES)) as sim:
        yield sim


def real_client(sim) -> ConnectWiseSoapClient:
    return ConnectWiseSoapClient(sim.url, demo.CW_COMPANY_ID, demo.CW_MEMBER_ID, demo.CW_MEMBER_PASSWORD,
                                 policy=OutboundPolicy(allow_local=True))


def test_find_companies_through_the_real_company_api_wsdl(wsdl_sim):
    found = real_client(wsdl_sim).call(COMPANY_WSDL, "FindCompanies", limit=5, skip=10)
    assert [c["CompanyRecID"] for c in found] == list(range(11, 16))
    assert found[0]["CompanyName"] == cw_data.company(11)["name"]
    assert found[0]["CompanyID"] == cw_data.company(11)["identifier"]


def test_find_companies_without_limit_returns_them_all(wsdl_sim):
    assert len(real_client(wsdl_sim).call(COMPANY_WSDL, "FindCompanies", limit=None, skip=None)) == 50


def test_operation_the_simulator_lacks_is_a_psa_error_with_its_words(wsdl_sim):
    with pytest.raises(PsaError, match="not implemented by the simulator"):
        real_client(wsdl_sim).call(COMPANY_WSDL, "GetCompany", id=1)


def test_wrong_service_path_is_not_found(make_client, psa_sim):
    with pytest.raises(PsaNotFound, match="no ConnectWise SOAP service"):
        make_client().call(ACCOUNTING_WSDL, "GetUnpostedInvoices",
                           service_url=psa_sim.url + "/v4_6_release/apis/2.0/NoSuchApi.asmx")
