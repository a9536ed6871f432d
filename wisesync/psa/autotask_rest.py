"""Autotask REST client: zone discovery, header auth, streamed queries, typed errors.

Plain Python (no Flask). Every call goes through :class:`GuardedHttp` and holds one of three
process-wide slots for its (zone, entity) pair, because Autotask allows at most three
concurrent requests per endpoint. Autotask reports most failures as HTTP 500 with an
``{"errors": [...]}`` body; those are read and mapped, never blindly retried.

Retries (:meth:`AutotaskRestClient._call`, one attempt at a time through ``GuardedHttp.send``):
a bare 5xx and 502/503/504 are retried with backoff; a "thread threshold" refusal (another
integration on the same tracking identifier holds the endpoint's three threads) is retried
with backoff too — Autotask refused it before running it, so this is safe for a PATCH; a 429
with ``Retry-After`` is retried after that wait; the hourly threshold (no ``Retry-After``) is
not retried — the rolling hour takes minutes to free up — and becomes the message with the fix.
"""
from __future__ import annotations

import threading
import time
from typing import Iterator
from urllib.parse import urlencode, urlsplit

from wisesync.psa.autotask_errors import (RIGHTS, auth_error, error_for_body, error_messages,
                                          is_thread_refusal, zone_error)
from wisesync.psa.errors import (PsaBadResponse, PsaConfigError, PsaError, PsaNotFound,
                                 PsaTlsError, PsaUnavailable, scrub)
from wisesync.psa.http import GuardedHttp, OutboundPolicy, json_body, retry_after_seconds
from wisesync.psa.report import Check, ConnectionReport

DEFAULT_ZONE_LOOKUP_URL = "https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation"
SERVICE = "Autotask"
MAX_RECORDS = 500
MAX_CONCURRENT = 3
PAGE_RETRIES = 2  # a query page whose connection dropped is asked for again this many times
ALL_RECORDS = ({"op": "gte", "field": "id", "value": 0},)  # Autotask wants at least one filter

_slots: dict[tuple[str, str], threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def endpoint_slot(zone_url: str, entity: str) -> threading.BoundedSemaphore:
    """The process-wide semaphore for one Autotask endpoint (3 concurrent requests at most)."""
    key = (zone_url.lower().rstrip("/"), entity.lower())
    with _slots_lock:
        return _slots.setdefault(key, threading.BoundedSemaphore(MAX_CONCURRENT))


class AutotaskRestClient:
    """One Autotask API user (or resource user) with the account's integration code.

    ``zone_url`` (e.g. ``https://webservices5.autotask.net/ATServicesRest/``) skips the zone
    lookup. Raises :class:`PsaConfigError` at once when a credential is missing.
    """

    def __init__(self, username: str, secret: str, integration_code: str, *,
                 zone_url: str | None = None, zone_lookup_url: str = DEFAULT_ZONE_LOOKUP_URL,
                 session=None, policy: OutboundPolicy | None = None):
        missing = [label for label, value in (("API username", username), ("secret", secret),
                                              ("integration code", integration_code))
                   if not (value or "").strip()]
        if missing:
            raise PsaConfigError(f"The Autotask {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set.",
                                 "Fill in the API username, secret and integration code "
                                 "(Autotask calls it the API tracking identifier).")
        self.username = username.strip()
        self._secret = secret
        self.integration_code = integration_code.strip()
        self.zone_lookup_url = zone_lookup_url
        self._zone_url = _normalise_zone(zone_url) if zone_url else None
        self._zone: dict | None = None
        self._http = GuardedHttp(session, policy, service=SERVICE)

    @classmethod
    def for_resource(cls, username: str, password: str, integration_code: str, **kw):
        """A resource (per-user) login: the user's Autotask email and password, same API."""
        return cls(username, password, integration_code, **kw)

    def __repr__(self) -> str:
        return f"<AutotaskRestClient {self.username} zone={self._zone_url or 'not discovered'}>"

    # -- zone -----------------------------------------------------------------------------

    def discover_zone(self) -> dict:
        """``{"zoneName", "url", "webUrl", "ci"}`` for this username, looked up once.

        Raises :class:`PsaNotFound` when Autotask does not know the username.
        """
        if self._zone is None:
            url = f"{self.zone_lookup_url}?{urlencode({'user': self.username})}"
            with endpoint_slot(self.zone_lookup_url, "zoneInformation"):
                # Autotask's Swagger lists the three auth headers on this call too.
                response = self._http.request("GET", url, retry_5xx=False, headers=self._headers())
            if response.status_code != 200:
                raise zone_error(self.username, response.status_code,
                                 scrub(" ".join(error_messages(response)), self._secret))
            zone = json_body(response, SERVICE)
            if not isinstance(zone, dict) or not zone.get("url"):
                raise zone_error(self.username, response.status_code, "no zone URL in the answer")
            self._zone = zone
        return self._zone

    @property
    def zone_url(self) -> str:
        """The API root of the user's zone, ending in ``/`` (``{url}v1.0/...`` is an endpoint)."""
        if self._zone_url is None:
            self._zone_url = _normalise_zone(self.discover_zone()["url"])
        return self._zone_url

    # -- calls ----------------------------------------------------------------------------

    def _headers(self) -> dict:
        return {"ApiIntegrationCode": self.integration_code, "UserName": self.username,
                "Secret": self._secret, "Content-Type": "application/json",
                "Accept": "application/json"}

    def _call(self, method: str, path_or_url: str, entity: str, *, json=None) -> dict:
        """One request; returns the parsed JSON object or raises the mapped ``PsaError``."""
        url = path_or_url if "://" in path_or_url else f"{self.zone_url}v1.0/{path_or_url}"
        policy = self._http.policy
        for attempt in range(policy.max_retries + 1):
            with endpoint_slot(self.zone_url, entity):
                response = self._http.send(method, url, headers=self._headers(), json=json)
            messages = error_messages(response)
            wait = _retry_wait(response, messages, policy, attempt)
            if wait is None or attempt == policy.max_retries:
                break
            policy.sleep(wait)
        if response.status_code == 200:
            body = json_body(response, SERVICE)
            if not isinstance(body, dict):
                raise PsaBadResponse("Autotask answered with JSON that is not an object.",
                                     "Check the zone URL points at the REST API (…/ATServicesRest/).",
                                     status=200)
            return body
        if response.status_code == 401 and not messages:
            raise auth_error(self.username)
        raise error_for_body(response.status_code, [scrub(m, self._secret) for m in messages], entity,
                             self.username, self.integration_code,
                             retry_after=retry_after_seconds(response.headers.get("Retry-After")))

    # -- queries --------------------------------------------------------------------------

    def query(self, entity: str, filters=None, max_records: int = MAX_RECORDS,
              include_fields: list[str] | None = None) -> Iterator[dict]:
        """Every record of ``entity`` matching ``filters``, lazily, one page (≤500) at a time;
        ``include_fields`` asks for those fields only (``includeFields``).

        Follows ``pageDetails.nextPageUrl``; no request is sent until the first item is asked for.
        """
        if not 1 <= max_records <= MAX_RECORDS:
            raise PsaConfigError(f"maxRecords must be between 1 and {MAX_RECORDS}.", "")
        body = {"maxRecords": max_records, "filter": list(filters or ALL_RECORDS)}
        if include_fields:
            body["includeFields"] = list(include_fields)
        page = self._read(f"{entity}/query", entity, body)
        while True:
            yield from page.get("items") or []
            next_url = (page.get("pageDetails") or {}).get("nextPageUrl")
            if not next_url:
                return
            page = self._next_page(next_url, entity, body)

    def _next_page(self, url: str, entity: str, body: dict) -> dict:
        there, here = urlsplit(url), urlsplit(self.zone_url)
        if (there.scheme, there.netloc.lower()) != (here.scheme, here.netloc.lower()):
            # The next page URL carries our credentials with it: never to another host, and
            # never from https down to http.
            where = "on another host" if there.netloc.lower() != here.netloc.lower() else f"over {there.scheme}"
            raise PsaBadResponse(f"Autotask sent a next-page address {where} ({there.scheme}://{there.netloc}, "
                                 f"not its zone {here.scheme}://{here.netloc}); Wise-Sync did not follow it.",
                                 "Check the zone URL; Wise-Sync will not send credentials elsewhere.")
        # Autotask takes the next page only as a POST with the query's body again; a GET is a
        # 405 "does not support http method 'GET'" (WYRE-AI/autotask-mcp PR #170).
        return self._read(url, entity, body)

    def _read(self, path_or_url: str, entity: str, body: dict) -> dict:
        """A query POST (it changes nothing), sent again — twice at most — when the connection
        drops or times out, so one lost page does not fail a whole pull."""
        policy = self._http.policy
        for attempt in range(PAGE_RETRIES + 1):
            try:
                return self._call("POST", path_or_url, entity, json=body)
            except PsaUnavailable as exc:
                if exc.status is not None or isinstance(exc, PsaTlsError) or attempt == PAGE_RETRIES:
                    raise
                policy.sleep(policy.backoff * (2 ** attempt))
        raise AssertionError("unreachable")

    def count(self, entity: str, filters=None) -> int:
        body = {"filter": list(filters or ALL_RECORDS)}
        result = self._read(f"{entity}/query/count", entity, body)
        try:
            return int(result["queryCount"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PsaBadResponse("Autotask's count answer had no queryCount.", "Try again.") from exc

    def get(self, entity: str, record_id: int) -> dict | None:
        """One record by id, or ``None`` when it does not exist (Autotask answers a null item)."""
        return self._call("GET", f"{entity}/{int(record_id)}", entity).get("item")

    def threshold_information(self) -> dict:
        return self._call("GET", "ThresholdInformation", "ThresholdInformation")

    def version(self) -> dict:
        return self._call("GET", "Version", "Version")

    def companies(self, filters=None):
        return self.query("Companies", filters)

    def contracts(self, filters=None):
        return self.query("Contracts", filters)

    def contract_services(self, filters=None):
        return self.query("ContractServices", filters)

    def products(self, filters=None):
        return self.query("Products", filters)

    def services(self, filters=None):
        return self.query("Services", filters)

    def invoices(self, filters=None):
        return self.query("Invoices", filters)

    def billing_items(self, filters=None):
        return self.query("BillingItems", filters)

    # -- connectivity ---------------------------------------------------------------------

    def check_permissions(self) -> list[Check]:
        """One line per right Wise-Sync needs: web services login, then each entity group."""
        return [self._login()[0]] + self._rights_checks()

    def test_connection(self) -> ConnectionReport:
        """Reached host → Authenticated → each right; later steps say why they did not run."""
        checks = []
        try:
            overridden = self._zone_url is not None and self._zone is None
            zone = None if overridden else self.discover_zone()
        except PsaNotFound as exc:
            return ConnectionReport([
                Check("Reached host", True, f"{urlsplit(self.zone_lookup_url).hostname} answered."),
                _failed("Authenticated", exc), *_not_run("the username was not found")])
        except PsaError as exc:
            return ConnectionReport([_failed("Reached host", exc), _skipped("Authenticated", "the host was not reached"),
                                     *_not_run("the host was not reached")])
        where = zone.get("zoneName") if zone else self.zone_url
        checks.append(Check("Reached host", True, f"Zone {where} ({self.zone_url})."))
        login, error = self._login()
        if error is not None:
            if isinstance(error, PsaUnavailable):
                checks[0] = _failed("Reached host", error)
            checks.append(_failed("Authenticated", error))
            return ConnectionReport(checks + [login] + _not_run("authentication failed")[1:])
        checks.append(Check("Authenticated", True, f"Logged in as {self.username}."))
        return ConnectionReport(checks + [login] + self._rights_checks())

    def _login(self) -> tuple[Check, PsaError | None]:
        started = time.monotonic()
        try:
            usage = self.threshold_information()
        except PsaError as exc:
            return _failed("Web services API login", exc), exc
        used, limit = usage.get("currentTimeframeRequestCount"), usage.get("externalRequestThreshold")
        return Check("Web services API login", True,
                     f"{used} of {limit} API requests used this hour "
                     f"(answered in {time.monotonic() - started:.1f}s)."), None

    def _rights_checks(self) -> list[Check]:
        checks = []
        for name, entities in RIGHTS_CHECKED:
            try:
                found = [f"{entity}: {self.count(entity):,} records" for entity in entities]
                checks.append(Check(name, True, "; ".join(found) + "."))
            except PsaError as exc:
                checks.append(_failed(name, exc))
        return checks


RIGHTS_CHECKED = (("Companies", ("Companies",)), ("Contracts", ("Contracts", "ContractServices")),
                  ("Products and services", ("Products", "Services")),
                  ("Invoices and billing items", ("Invoices", "BillingItems")))


def _retry_wait(response, messages: list[str], policy: OutboundPolicy, attempt: int) -> float | None:
    """How long to wait before sending ``response``'s request again; None: do not (see the
    module docstring). Only answers Autotask gave before doing anything are retried."""
    status = response.status_code
    backoff = policy.backoff * (2 ** attempt)
    if is_thread_refusal(messages):
        return backoff
    if status in (429, 502, 503, 504) or (status >= 500 and not messages):
        told = retry_after_seconds(response.headers.get("Retry-After"))
        if told is not None:
            return told if told <= policy.max_wait else None
        # A bare 5xx is a hiccup worth retrying; a 429 that explains itself without saying
        # when (the hourly threshold) is not, nor is a 500 that explains itself.
        return backoff if status != 429 and (status in (502, 503, 504) or not messages) else None
    return None


def _normalise_zone(url: str) -> str:
    url = url.strip()
    return url if url.endswith("/") else url + "/"


def _failed(name: str, exc: PsaError) -> Check:
    return Check.from_error(name, exc)


def _skipped(name: str, why: str) -> Check:
    return Check(name, False, f"Not checked: {why}.", "Fix the step above first.")


def _not_run(why: str) -> list[Check]:
    return [_skipped(name, why) for name in ["Web services API login", *(n for n, _ in RIGHTS_CHECKED)]]


__all__ = ["AutotaskRestClient", "DEFAULT_ZONE_LOOKUP_URL", "MAX_CONCURRENT", "MAX_RECORDS",
           "RIGHTS", "RIGHTS_CHECKED", "endpoint_slot"]
