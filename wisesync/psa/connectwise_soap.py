"""ConnectWise SOAP through zeep: the member-authenticated Accounting Interface and any real WSDL.

``GetUnpostedInvoices`` is described by Wise-Sync's own WSDL (``wsdl/AccountingInterfaceApi.wsdl``,
see the README next to it); :meth:`ConnectWiseSoapClient.call` drives ConnectWise's published
WSDLs (``CompanyAPI_1.wsdl`` …) the same way. Each WSDL is parsed once per process. Every request
goes through :class:`~wisesync.psa.http.GuardedHttp` (allowed targets only, timeouts, body cap,
bounded retries), and every failure becomes a :class:`~wisesync.psa.errors.PsaError` whose text
never contains the member password. No Flask here.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit

import zeep
import zeep.exceptions
import zeep.helpers
from lxml import etree
from zeep.wsdl import Document
from zeep.wsdl.bindings.soap import Soap11Binding

from wisesync.psa import connectwise_soap_errors as cw_errors
from wisesync.psa.connectwise_common import resolve_site
from wisesync.psa.errors import (PsaBadResponse, PsaBlockedTarget, PsaConfigError, PsaError, PsaNotFound,
                                 PsaPermissionError, PsaUnavailable)
from wisesync.psa.http import RETRY_STATUSES, GuardedHttp, OutboundPolicy
from wisesync.psa.report import Check, ConnectionReport

ACCOUNTING_WSDL = Path(__file__).with_name("wsdl") / "AccountingInterfaceApi.wsdl"
# IIS paths are case-insensitive; this is the spelling ConnectWise uses for its .asmx services.
ACCOUNTING_PATH = "/v4_6_release/apis/2.0/AccountingInterfaceApi.asmx"
SERVICE = "ConnectWise"

_documents: dict[str, Document] = {}
_documents_lock = threading.Lock()


class _OfflineTransport(zeep.Transport):
    """Used only while parsing a WSDL: local files yes, network never (no guard here)."""

    def __init__(self):  # no session, no file:// adapter mounted on anybody's session
        self.cache, self.load_timeout, self.operation_timeout = None, None, None
        self._close_session, self.session = False, None
        self.logger = logging.getLogger(__name__)

    def load(self, url):
        if urlsplit(str(url)).scheme in ("http", "https"):
            raise PsaConfigError(f"The WSDL imports {url}, which Wise-Sync does not fetch.",
                                 "Use a self-contained WSDL file.")
        with open(url, "rb") as handle:
            return handle.read()


def load_wsdl(location: str | Path, http: GuardedHttp | None = None) -> Document:
    """The parsed WSDL at ``location`` (a file path or an http(s) URL), parsed once per process."""
    key = str(location)
    if urlsplit(key).scheme not in ("http", "https"):
        key = str(Path(key).resolve())
    with _documents_lock:
        document = _documents.get(key)
        if document is None:
            document = _documents[key] = _parse_wsdl(key, http)
    return document


def _parse_wsdl(location: str, http: GuardedHttp | None) -> Document:
    try:
        if urlsplit(location).scheme in ("http", "https"):
            response = (http or GuardedHttp(service=SERVICE)).request("GET", location)
            if response.status_code != 200:
                raise PsaBadResponse(f"{SERVICE} answered HTTP {response.status_code} for the WSDL {location}.",
                                     "Check the service address.", status=response.status_code)
            return Document(io.BytesIO(response.content), _OfflineTransport(), base=location)
        return Document(location, _OfflineTransport())
    except FileNotFoundError as exc:
        raise PsaConfigError(f"The WSDL file {location} does not exist.",
                             "Give the path of a ConnectWise WSDL file.") from exc
    except (etree.XMLSyntaxError, zeep.exceptions.Error) as exc:
        raise PsaBadResponse(f"The WSDL {location} could not be read: {exc}",
                             "Use the WSDL exactly as ConnectWise publishes it.") from exc


class GuardedTransport(zeep.Transport):
    """zeep's transport on :class:`GuardedHttp`: checked targets and redirects, timeouts, caps.

    SOAP 1.1 faults come back as HTTP 500, so 5xx answers are retried here only when they carry
    no SOAP envelope (a proxy or a crashed app pool), with the policy's bounded backoff.
    """

    def __init__(self, http: GuardedHttp):
        self.http = http
        self.cache = None
        self.load_timeout = self.operation_timeout = http.policy.timeout[1]
        self._close_session, self.session = False, http.session
        self.logger = logging.getLogger(__name__)

    def post(self, address, message, headers):
        policy = self.http.policy
        for attempt in range(policy.max_retries + 1):
            response = self.http.request("POST", address, data=message, headers=headers, retry_5xx=False)
            status = response.status_code
            if b"Envelope" in response.content[:2048]:
                return response  # zeep reads the answer or the SOAP fault
            if status < 400 and "html" in (response.headers.get("Content-Type") or "").lower():
                raise _not_soap(address, status)  # a web page (a login page after a redirect)
            if status < 400:
                return response
            if status < 500:
                raise _not_soap(address, status)
            # 502/504 were already retried by GuardedHttp; do not multiply the attempts.
            if status in RETRY_STATUSES or attempt == policy.max_retries:
                break
            policy.sleep(policy.backoff * (2 ** attempt))
        raise PsaUnavailable(
            f"{SERVICE} at {urlsplit(address).hostname} failed with HTTP {status} and no SOAP answer.",
            "Try again in a few minutes; if it keeps happening, check ConnectWise's status page.",
            status=status)

    def get(self, address, params, headers):
        return self.http.request("GET", address, params=params, headers=headers)

    def load(self, url):
        if urlsplit(str(url)).scheme in ("http", "https"):
            response = self.http.request("GET", url)
            if response.status_code != 200:
                raise PsaBadResponse(f"{SERVICE} answered HTTP {response.status_code} for {url}.",
                                     "Check the service address.", status=response.status_code)
            return response.content
        return _OfflineTransport().load(url)


def _not_soap(address: str, status: int) -> PsaError:
    parts = urlsplit(address)
    if status == 404:
        error = PsaNotFound(f"{parts.hostname} has no ConnectWise SOAP service at {parts.path}.",
                            "Check the ConnectWise site in Integration Settings.", status=status)
    else:
        error = PsaBadResponse(f"{parts.hostname} answered HTTP {status} with a web page instead of SOAP.",
                               "Check the ConnectWise site in Integration Settings points at ConnectWise "
                               "itself, not a proxy or login page.", status=status)
    error.soap_absent = True
    return error


def soap_absent(error: BaseException | None) -> bool:
    """The host answered, but not with a SOAP service there: ConnectWise retired its SOAP APIs,
    so a current tenant answers 404 or a web page. (A refused login or a SOAP fault is not this.)"""
    return bool(getattr(error, "soap_absent", False))


def soap11_binding(document: Document):
    """(binding, address path) of the first SOAP 1.1 port of the WSDL's services."""
    for service in document.services.values():
        for port in service.ports.values():
            if isinstance(port.binding, Soap11Binding):
                return port.binding, urlsplit(port.binding_options.get("address") or "").path
    raise PsaConfigError("The WSDL has no SOAP 1.1 service port.", "Use a ConnectWise SOAP WSDL.")


class ConnectWiseSoapClient:
    """Member-authenticated ConnectWise SOAP calls. Nothing is sent until settings are complete.

    ``site``: region code or host/URL (see :func:`resolve_site`); ``company_id``: Integration
    Settings; ``member_id``/``member_password``: the user's ConnectWise Member section.
    """

    def __init__(self, site: str, company_id: str, member_id: str, member_password: str, *,
                 session=None, policy: OutboundPolicy | None = None):
        self.site = site
        self.company_id = (company_id or "").strip()
        self.member_id = (member_id or "").strip()
        self._password = member_password or ""
        self.http = GuardedHttp(session, policy, service=SERVICE)
        self.transport = GuardedTransport(self.http)
        self._services: dict[tuple[str, str], object] = {}
        self.last_error: PsaError | None = None  # why the last test_connection failed, if it did

    def __repr__(self) -> str:
        return f"<ConnectWiseSoapClient site={self.site!r} company={self.company_id!r} member={self.member_id!r}>"

    @property
    def base_url(self) -> str:
        return resolve_site(self.site)

    def _credentials(self) -> dict:
        """The ``ApiCredentials`` value; raises :class:`PsaConfigError` before anything is sent."""
        if not self.member_id:
            raise cw_errors.missing_member_id()
        if not self._password:
            raise cw_errors.missing_member_password(self.member_id)
        if not self.company_id:
            raise cw_errors.missing_company_id()
        return {"CompanyId": self.company_id, "IntegratorLoginId": self.member_id,
                "IntegratorPassword": self._password}

    def get_unposted_invoices(self, location_id: int | None = None,
                              thru_date: dt.date | dt.datetime | None = None) -> list[dict]:
        """Invoices not yet posted to accounting, as plain dicts with the REST field names.

        ``thru_date`` as a date means through the end of that day. Raises ``PsaError``s.
        """
        self._credentials()  # settings first: an empty member ID is the common case
        if isinstance(thru_date, dt.date) and not isinstance(thru_date, dt.datetime):
            thru_date = dt.datetime.combine(thru_date, dt.time(23, 59, 59))
        kwargs = {"locationId": location_id, "thruDate": thru_date}
        result = self.call(ACCOUNTING_WSDL, "GetUnpostedInvoices",
                           service_url=self.base_url + ACCOUNTING_PATH,
                           **{k: v for k, v in kwargs.items() if v is not None})
        if isinstance(result, dict):  # zeep unwraps ArrayOf… to its list, but not always
            result = result.get("UnpostedInvoice")
        return list(result or [])

    def call(self, service_wsdl_path: str | Path, operation: str, *, service_url: str | None = None,
             **kwargs):
        """Call ``operation`` of the WSDL's SOAP 1.1 service; the result as plain dicts/lists.

        ``credentials`` is filled in when the operation takes it. ``service_url`` defaults to the
        WSDL's own address path on this client's site (e.g. ``/v4_6_release/apis/1.5/CompanyAPI.asmx``).
        """
        credentials = self._credentials()
        document = load_wsdl(service_wsdl_path, self.http)
        binding, path = soap11_binding(document)
        address = service_url or self.base_url + path
        try:
            operation_def = binding.get(operation)
        except ValueError:
            raise PsaConfigError(f"The {SERVICE} service has no operation {operation!r}.",
                                 "Check the operation name against the WSDL.") from None
        if "credentials" in (name for name, _ in operation_def.input.body.type.elements):
            kwargs.setdefault("credentials", credentials)
        proxy = self._service(document, binding, address)
        with cw_errors.mapped(operation, self.member_id, self._password, address):
            result = proxy[operation](**kwargs)
        return _plain(zeep.helpers.serialize_object(result, target_cls=dict))

    def _service(self, document: Document, binding, address: str):
        key = (document.location, address)
        if key not in self._services:
            client = zeep.Client(document, transport=self.transport)
            self._services[key] = client.create_service(binding.name, address)
        return self._services[key]

    def check_permissions(self) -> list[Check]:
        """The one right a member needs here: the Accounting Interface (GetUnpostedInvoices).

        Missing, it says where to grant it; any other failure is reported with its own fix.
        """
        name = "Accounting interface (GetUnpostedInvoices)"
        try:
            self.get_unposted_invoices(thru_date=dt.datetime(1900, 1, 1))
        except PsaError as exc:
            return [Check(name, False, exc.explanation, exc.fix)]
        return [Check(name, True, "GetUnpostedInvoices answered.")]

    def test_connection(self) -> ConnectionReport:
        """Reached host → Authenticated → Accounting interface; never raises a ``PsaError``."""
        names = ("Reached host", "Authenticated", "Accounting interface (GetUnpostedInvoices)")
        not_tried = "Not tried, because the check above failed."

        def report(failed_at: int, error: PsaError | None = None) -> ConnectionReport:
            self.last_error = error
            passed = [f"{host} answered.", f"Logged in as member {self.member_id} of company "
                      f"{self.company_id}.", "GetUnpostedInvoices answered."]
            checks = [Check(names[i], True, passed[i]) for i in range(failed_at)]
            if error is not None:
                checks.append(Check.from_error(names[failed_at], error))
                checks += [Check(name, False, not_tried) for name in names[failed_at + 1:]]
            return ConnectionReport(checks)

        host = self.site
        try:
            host = urlsplit(self.base_url).hostname
        except PsaConfigError as exc:
            return report(0, exc)
        try:
            self._credentials()
        except PsaConfigError as exc:
            self.last_error = exc
            return ConnectionReport([
                Check(names[0], False, "Not tried: the settings are incomplete, so Wise-Sync did "
                                       "not contact ConnectWise.", ""),
                Check(names[1], False, exc.explanation, exc.fix), Check(names[2], False, not_tried)])
        try:
            # A thru-date long past keeps the answer tiny while still proving the right is there.
            self.get_unposted_invoices(thru_date=dt.datetime(1900, 1, 1))
        except (PsaBlockedTarget, PsaUnavailable) as exc:
            return report(0, exc)
        except PsaPermissionError as exc:
            return report(2, exc)
        except PsaError as exc:  # refused login, unknown company, unreadable answer, rate limit
            return report(1, exc)
        return report(3)


def _plain(value):
    """zeep's serialized output without ``None`` fields (REST omits them too)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
