"""The simulated ConnectWise SOAP service, spoken to with raw HTTP (what any SOAP client sees)."""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import requests
from lxml import etree

from wisesync.simulator import cw_data, demo
from wisesync.simulator.cw_soap import LOGIN_FAILED, MAX_INVOICES, MISSING_LOGIN, OUR_WSDL

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "connectwise"
OURS = "/v4_6_release/apis/2.0/AccountingInterfaceApi.asmx"
COMPANY_API = "/v4_6_release/apis/1.5/CompanyApi.asmx"
NS = {"soap": "http://schemas.xmlsoap.org/soap/envelope/", "cw": "http://connectwise.com",
      "wsdl": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/"}


@pytest.fixture(scope="module")
def sim():
    if not FIXTURES.exists():
        pytest.skip(f"REAL CONNECTWISE WSDLS MISSING: {FIXTURES} (../shared/fixtures not mounted)")
    from wisesync.simulator.server import RunningSim

    with RunningSim(records=MAX_INVOICES + 20, wsdl_dir=str(FIXTURES)) as running:
        yield running


def envelope(operation: str, login=demo.CW_MEMBER_ID, password=demo.CW_MEMBER_PASSWORD,
             company=demo.CW_COMPANY_ID, extra: str = "") -> bytes:
    creds = "".join(f"<{tag}>{value}</{tag}>" for tag, value in
                    (("CompanyId", company), ("IntegratorLoginId", login), ("IntegratorPassword", password))
                    if value is not None)
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{NS["soap"]}">'
            f'<soap:Body><{operation} xmlns="http://connectwise.com"><credentials>{creds}</credentials>'
            f"{extra}</{operation}></soap:Body></soap:Envelope>").encode()


def post(sim, path: str, body: bytes, **headers) -> requests.Response:
    return requests.post(sim.url + path, data=body, timeout=10,
                         headers={"Content-Type": "text/xml; charset=utf-8", **headers})


def fault_string(response: requests.Response) -> str:
    return etree.fromstring(response.content).findtext("soap:Body/soap:Fault/faultstring", namespaces=NS)


@pytest.mark.parametrize("path", [OURS, COMPANY_API, COMPANY_API.replace("CompanyApi", "CompanyAPI")])
def test_wsdl_is_served_with_its_address_pointing_at_the_simulator(sim, path):
    response = requests.get(sim.url + path + "?wsdl", timeout=10)
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    addresses = {a.get("location") for a in root.iterfind(".//s:address", NS)}
    assert addresses == {sim.url + path}


def test_unposted_invoices_are_capped_and_match_the_shared_records(sim):
    response = post(sim, OURS, envelope("GetUnpostedInvoices"))
    assert response.status_code == 200
    items = etree.fromstring(response.content).findall(".//cw:UnpostedInvoice", NS)
    assert len(items) == MAX_INVOICES
    expected = cw_data.unposted_invoice(1, companies=sim.state.records)
    assert items[0].findtext("cw:invoiceNumber", namespaces=NS) == expected["invoiceNumber"]
    assert items[0].findtext("cw:company/cw:identifier", namespaces=NS) == expected["company"]["identifier"]


def test_missing_login_gets_connectwises_own_fault(sim):
    response = post(sim, OURS, envelope("GetUnpostedInvoices", login=None))
    assert response.status_code == 500 and fault_string(response) == MISSING_LOGIN


@pytest.mark.parametrize("kwargs, words", [({"password": "nope"}, LOGIN_FAILED),
                                           ({"login": "mallory"}, LOGIN_FAILED),
                                           ({"company": "otherco"}, "Company 'otherco' was not found.")])
def test_wrong_credentials_fault_like_connectwise(sim, kwargs, words):
    response = post(sim, OURS, envelope("GetUnpostedInvoices", **kwargs))
    assert response.status_code == 500 and fault_string(response) == words


def test_find_companies_honours_limit_and_skip(sim):
    response = post(sim, COMPANY_API, envelope("FindCompanies", extra="<limit>3</limit><skip>7</skip>"))
    ids = [int(x.text) for x in etree.fromstring(response.content).iterfind(".//cw:CompanyRecID", NS)]
    assert ids == [8, 9, 10]


def test_operation_in_the_wsdl_but_not_simulated_says_so(sim):
    response = post(sim, COMPANY_API, envelope("GetCompany", extra="<id>1</id>"))
    assert fault_string(response) == "GetCompany is not implemented by the simulator."


def test_unknown_service_is_404(sim):
    assert requests.get(sim.url + "/v4_6_release/apis/1.5/NopeApi.asmx?wsdl", timeout=10).status_code == 404


def test_unreadable_request_is_a_client_fault(sim):
    response = post(sim, OURS, b"<soap:Envelope")
    assert response.status_code == 500 and "unable to read request" in fault_string(response)


@pytest.mark.parametrize("spec, status, check", [
    ("429;retry_after=3", 429, lambda r: r.headers["Retry-After"] == "3"),
    ("500", 500, lambda r: b"Envelope" not in r.content),
    ("500;right=fault", 500, lambda r: "Object reference" in fault_string(r)),
    ("auth", 500, lambda r: fault_string(r) == LOGIN_FAILED),
    ("deny;right=invoicing", 500, lambda r: "does not have permission" in fault_string(r)),
    ("deny;right=companies", 200, lambda r: True),  # another right: this call still works
])
def test_faults_on_demand(sim, spec, status, check):
    response = post(sim, OURS, envelope("GetUnpostedInvoices"), **{"X-Sim-Fault": spec})
    assert response.status_code == status and check(response)


def test_malformed_fault_truncates_the_xml(sim):
    response = post(sim, OURS, envelope("GetUnpostedInvoices"), **{"X-Sim-Fault": "malformed"})
    assert response.status_code == 200
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(response.content)


def test_drop_fault_closes_the_connection_mid_body(sim):
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        post(sim, OURS, envelope("GetUnpostedInvoices"), **{"X-Sim-Fault": "drop"})


# --- contract: what the simulator sends, and what the client sends, obey the WSDL's schema ----

def wsdl_schema(path: Path) -> etree.XMLSchema:
    types = etree.parse(str(path)).getroot().find("wsdl:types/{http://www.w3.org/2001/XMLSchema}schema", NS)
    return etree.XMLSchema(etree.fromstring(etree.tostring(types)))


def body_element(xml: bytes):
    return etree.fromstring(xml).find("soap:Body", NS)[0]


@pytest.mark.parametrize("wsdl, path, operation, extra", [
    (OUR_WSDL, OURS, "GetUnpostedInvoices", "<locationId>1</locationId>"),
    (FIXTURES / "CompanyAPI_1.wsdl", COMPANY_API, "FindCompanies", "<limit>20</limit><skip>0</skip>"),
])
def test_simulator_answers_validate_against_the_wsdl(sim, wsdl, path, operation, extra):
    schema = wsdl_schema(wsdl)
    request_body = envelope(operation, extra=extra)
    schema.assertValid(body_element(request_body))
    response = post(sim, path, request_body)
    assert response.status_code == 200
    schema.assertValid(body_element(response.content))


class Recording(requests.Session):
    def __init__(self):
        super().__init__()
        self.bodies = []

    def request(self, method, url, data=None, **kwargs):
        if data:
            self.bodies.append(data)
        return super().request(method, url, data=data, **kwargs)


def test_client_requests_validate_against_the_wsdl(sim):
    from wisesync.psa.connectwise_soap import ConnectWiseSoapClient
    from wisesync.psa.http import OutboundPolicy

    session = Recording()
    client = ConnectWiseSoapClient(sim.url, demo.CW_COMPANY_ID, demo.CW_MEMBER_ID, demo.CW_MEMBER_PASSWORD,
                                   session=session, policy=OutboundPolicy(allow_local=True))
    client.get_unposted_invoices(location_id=1, thru_date=datetime.date(2023, 1, 3))
    client.call(FIXTURES / "CompanyAPI_1.wsdl", "FindCompanies", limit=2, skip=None)
    ours, company_api = session.bodies
    wsdl_schema(OUR_WSDL).assertValid(body_element(ours))
    wsdl_schema(FIXTURES / "CompanyAPI_1.wsdl").assertValid(body_element(company_api))
