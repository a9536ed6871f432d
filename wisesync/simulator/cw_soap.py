"""Simulated ConnectWise SOAP: our Accounting Interface, and any real WSDL from ``--wsdl-dir``.

- ``/v4_6_release/apis/2.0/AccountingInterfaceApi.asmx``: ``?wsdl`` serves Wise-Sync's own WSDL
  (``wisesync/psa/wsdl``) with its address pointing here; POST answers ``GetUnpostedInvoices``
  with ``cw_data.unposted_invoice(i)`` for i in 1..min(records, 500), less those batched.
- ``/v4_6_release/apis/1.5/{Service}.asmx`` for every ``*.wsdl`` in ``state.wsdl_dir`` (service
  name from the WSDL's ``wsdl:service``, case-insensitive like IIS): ``?wsdl`` serves it with
  ``soap:address`` rewritten; ``CompanyApi.FindCompanies`` is answered (``limit``/``skip``);
  other operations fault "… is not implemented by the simulator".

Credentials are the demo ones (``demo.py``) and fail the way ConnectWise does: a missing login
gives its "Username is a required field." fault. Faults (target ``cw-soap``): ``auth``,
``deny`` (``right`` = ``invoicing`` or ``companies``; none = every right), ``429``, ``500``
(a plain HTTP 500 page; ``500;right=fault`` sends a soap:Server fault with HTTP 500 instead),
``slow``, ``malformed`` (truncated XML, HTTP 200), ``drop``.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Response, request
from lxml import etree

from wisesync.simulator import cw_data, demo
from wisesync.simulator.faults import dropped_response, find, request_faults

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OUR_WSDL = Path(__file__).resolve().parent.parent / "psa" / "wsdl" / "AccountingInterfaceApi.wsdl"
XML = "text/xml; charset=utf-8"
MAX_INVOICES = 500

MISSING_LOGIN = "Username is a required field."
# The PSA's fault text, not a password (bandit B105 reads the name).
MISSING_PASSWORD = "Password is a required field."  # nosec B105
LOGIN_FAILED = "Login failed: the username or password is incorrect, or the member is inactive."
PERMISSION = "Member {member} does not have permission to use {what} (check the member's security role)."
RIGHT_NAMES = {"invoicing": "Finance > Accounting Interface", "companies": "Company Maintenance"}
_ADDRESS = re.compile(rb'(<(?:soap|soap12):address\s+location=")[^"]*(")')


@dataclass
class SoapService:
    """One WSDL: its bytes, namespace, operations, and complex types (name → [(element, type)])."""

    wsdl: bytes
    namespace: str
    operations: set[str]
    types: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def load_service(path: Path) -> tuple[str, SoapService]:
    raw = path.read_bytes()
    root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"w": WSDL_NS, "s": XSD_NS}
    name = root.find("w:service", ns).get("name")
    types = {}
    for ctype in root.iterfind(".//s:complexType[@name]", ns):
        types[ctype.get("name")] = [(e.get("name"), e.get("type", "").split(":")[-1])
                                    for e in ctype.iterfind("s:sequence/s:element", ns)]
    operations = {op.get("name") for op in root.iterfind("w:portType/w:operation", ns)}
    return name, SoapService(raw, root.get("targetNamespace"), operations, types)


def register(app, state) -> None:
    services = {("2.0", "accountinginterfaceapi"): load_service(OUR_WSDL)[1]}
    if state.wsdl_dir:
        for path in sorted(Path(state.wsdl_dir).glob("*.wsdl")):
            name, service = load_service(path)
            services[("1.5", name.lower())] = service

    @app.route("/v4_6_release/apis/<version>/<name>.asmx", methods=["GET", "POST"],
               endpoint="cw_soap_service")
    def soap_service(version: str, name: str):
        service = services.get((version, name.lower()))
        if service is None:
            return Response("The resource cannot be found.", status=404, content_type="text/html")
        if request.method == "GET":
            if "wsdl" not in {key.lower() for key in request.args}:
                return Response(f"<html><body>{name} web service</body></html>", content_type="text/html")
            here = request.base_url.encode()
            return Response(_ADDRESS.sub(lambda m: m[1] + here + m[2], service.wsdl), content_type=XML)
        return _answer(state, service)


def _answer(state, service: SoapService) -> Response:
    faults = request_faults(state.faults, "cw-soap", request)
    absent = find(faults, "absent")
    if absent:  # a tenant without the SOAP service (ConnectWise retired its SOAP APIs)
        if absent.code == "login":
            return Response("<html><body><form>Sign in to ConnectWise</form></body></html>", content_type="text/html")
        return Response("<html><body><h1>404 - File or directory not found.</h1></body></html>",
                        status=404, content_type="text/html")
    slow = find(faults, "slow")
    if slow:
        time.sleep(slow.seconds)
    limited = find(faults, "429")
    if limited:
        return Response("Too many requests", status=429, content_type="text/plain",
                        headers={"Retry-After": f"{limited.retry_after:g}"})
    crash = find(faults, "500")
    if crash and crash.right != "fault":
        return Response("<html><body><h1>Server Error in '/v4_6_release' Application.</h1></body></html>",
                        status=500, content_type="text/html")
    if crash:
        return fault("Server was unable to process request. ---> Object reference not set to an "
                     "instance of an object.", "soap:Server")
    try:
        body = etree.fromstring(request.get_data(), etree.XMLParser(resolve_entities=False, no_network=True))
        call = body.find(f"{{{SOAP_ENV}}}Body")[0]
    except (etree.XMLSyntaxError, TypeError, IndexError):
        return fault("Server was unable to read request. ---> There is an error in XML document.",
                     "soap:Client")
    operation = etree.QName(call).localname
    if operation not in service.operations:
        return fault(f"Server did not recognize the value of HTTP Header SOAPAction: "
                     f"{request.headers.get('SOAPAction', '')}.", "soap:Client")
    handler = HANDLERS.get(operation)
    if handler is None:
        return fault(f"{operation} is not implemented by the simulator.", "soap:Client")
    right, produce = handler
    args = {etree.QName(child).localname: child for child in call}
    refused = _check_login(args.get("credentials"), auth_fault=bool(find(faults, "auth")))
    if refused:
        return refused
    denied = [f for f in faults if f.kind == "deny" and f.right in (None, right)]
    if denied:
        member = _text(args["credentials"], "IntegratorLoginId")
        return fault(PERMISSION.format(member=member, what=RIGHT_NAMES[right]), "soap:Client")
    body_bytes = _envelope(service, operation, produce(state, args))
    if find(faults, "malformed"):
        return Response(body_bytes[: len(body_bytes) // 2], status=200, content_type=XML)
    if find(faults, "drop"):
        return dropped_response(body_bytes, XML)
    return Response(body_bytes, content_type=XML)


def _text(parent, name: str) -> str | None:
    if parent is None:
        return None
    child = next((c for c in parent if etree.QName(c).localname == name), None)
    if child is None or child.get(f"{{{XSI_NS}}}nil") == "true":
        return None
    return (child.text or "").strip() if isinstance(child.tag, str) else None


def _check_login(credentials, auth_fault: bool) -> Response | None:
    login, password = _text(credentials, "IntegratorLoginId"), _text(credentials, "IntegratorPassword")
    company_id = _text(credentials, "CompanyId")
    if not login:
        return fault(MISSING_LOGIN, "soap:Client")
    if not password:
        return fault(MISSING_PASSWORD, "soap:Client")
    if (company_id or "").lower() != demo.CW_COMPANY_ID:
        return fault(f"Company '{company_id or ''}' was not found.", "soap:Client")
    if auth_fault or login.lower() != demo.CW_MEMBER_ID or password != demo.CW_MEMBER_PASSWORD:
        return fault(LOGIN_FAILED, "soap:Client")
    return None


def fault(message: str, code: str, status: int = 500) -> Response:
    """A SOAP 1.1 fault as ASP.NET sends it (HTTP 500)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    node = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(node, "faultcode").text = code
    etree.SubElement(node, "faultstring").text = message
    etree.SubElement(node, "detail")
    return Response(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"), status=status,
                    content_type=XML)


def _envelope(service: SoapService, operation: str, result) -> bytes:
    """``{op}Response/{op}Result`` holding ``result`` (a list of (tag, dict, type)), per the WSDL."""
    ns = service.namespace
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "xsi": XSI_NS, None: ns})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    holder = etree.SubElement(etree.SubElement(body, f"{{{ns}}}{operation}Response"), f"{{{ns}}}{operation}Result")
    for tag, record, type_name in result:
        _fill(etree.SubElement(holder, f"{{{ns}}}{tag}"), record, type_name, service)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _fill(node, record: dict, type_name: str, service: SoapService) -> None:
    for name, child_type in service.types[type_name]:
        value = record.get(name)
        if value is None:
            continue
        child = etree.SubElement(node, f"{{{service.namespace}}}{name}")
        if child_type in service.types:
            _fill(child, value, child_type, service)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        else:
            child.text = str(value)


def _int(node) -> int | None:
    try:
        return int(node.text) if node is not None and node.text and node.get(f"{{{XSI_NS}}}nil") != "true" else None
    except ValueError:
        return None


def _unposted_invoices(state, args):
    location = _int(args.get("locationId"))
    thru = args.get("thruDate")
    thru = (thru.text or "")[:19] if thru is not None and thru.get(f"{{{XSI_NS}}}nil") != "true" else None
    posted = state.cw_books.posted()[0] if getattr(state, "cw_books", None) else frozenset()
    for i in range(1, min(state.size("invoices"), MAX_INVOICES) + 1):
        if i in posted:  # batched through REST: no longer unposted here either
            continue
        invoice = cw_data.unposted_invoice(i, companies=state.size("companies"))
        if location is not None and invoice.get("locationId") != location:
            continue
        if thru and invoice["invoiceDate"][:19] > thru:
            continue
        yield "UnpostedInvoice", invoice, "UnpostedInvoice"


def _find_result(c: dict) -> dict:
    """A REST company as the real WSDL's ``CompanyFindResult``."""
    return {"CompanyRecID": c["id"], "CompanyName": c["name"], "CompanyID": c["identifier"],
            "PhoneNumber": c.get("phoneNumber"), "AddressLine1": c.get("addressLine1"),
            "AddressLine2": c.get("addressLine2"), "City": c.get("city"), "State": c.get("state"),
            "Zip": c.get("zip"), "Country": (c.get("country") or {}).get("name"),
            "Type": ((c.get("types") or [{}])[0]).get("name"), "Status": (c.get("status") or {}).get("name"),
            "Territory": (c.get("territory") or {}).get("name"), "Website": c.get("website"),
            "Market": (c.get("market") or {}).get("name")}


def _find_companies(state, args):
    skip = max(0, _int(args.get("skip")) or 0)
    limit = _int(args.get("limit"))
    companies = state.size("companies")
    last = companies if limit is None else min(companies, skip + max(0, limit))
    for i in range(skip + 1, last + 1):
        yield "CompanyFindResult", _find_result(cw_data.company(i)), "CompanyFindResult"


# operation → (the fault ``right`` that denies it, what produces its records)
HANDLERS = {"GetUnpostedInvoices": ("invoicing", _unposted_invoices),
            "FindCompanies": ("companies", _find_companies)}
