"""Xero: OAuth 2.0 (authorization code + PKCE) and the Accounting API for one organisation.

Plain Python, no Flask. Settings come in as :class:`XeroSettings`; HTTP goes through an
injectable ``requests.Session`` wrapped in the PSA clients' outbound guard (see
:mod:`wisesync.accounting.xero_http` for the retry rules and the exact-Decimal JSON). Failures
are :class:`~wisesync.accounting.errors.XeroError`\\ s that say what to do; tokens and the client
secret never appear in their text or in any ``repr``.

Why not the official xero-python SDK: it sends through urllib3 directly, so the guard
(resolved-address check, per-redirect checks, body cap, timeouts) and an injected session cannot
be applied, and its model (de)serialisation costs more than the sync can afford.

Scopes (:data:`SCOPES`): ``offline_access`` for refresh tokens (without it access ends after 30
minutes); ``accounting.settings`` for the organisation, tax rates, accounts, tracking categories
and items; ``accounting.contacts`` to find and create customers and suppliers;
``accounting.invoices`` (invoices, bills, credit notes) and ``accounting.payments`` (payments
back to the PSA) instead of the broad ``accounting.transactions``: Xero apps created on or after
2 March 2026 can no longer ask for the broad scope (asking fails the whole consent), while older
apps may ask for the granular ones since April 2026 and must by September 2027. A self-hoster
registers a new app, so the granular set is the one that works for everybody.
``accounting.attachments`` to attach the documents people add to a transaction (issue 15; a
connection made before it was asked for must be reconnected before attachments go).
``openid profile email`` name the person who connected.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable
from urllib.parse import quote

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client import OAuthError

from wisesync.accounting.errors import (RECONNECT, XeroAuthError, XeroBadResponse, XeroError,
                                        XeroGrantRevoked, XeroUnavailable)
from wisesync.accounting.xero_http import XeroTransport, dumps, loads, raise_for_response, xero_policy
from wisesync.psa.http import OutboundPolicy

SCOPES = ("openid profile email offline_access accounting.settings accounting.contacts "
          "accounting.invoices accounting.payments accounting.attachments")
MAX_ELEMENTS = 50      # Xero's advice per PUT; the sync batches to it
PAGE_SIZE = 100        # Xero's default page; sent explicitly so the stopping rule is certain
LOOKUP_CHUNK = 50      # values per lookup query (keeps the URL short)
MAX_IDEMPOTENCY_KEY = 128
_API_URL_FIX = "Try again; if it persists, check WISESYNC_XERO_API_URL (https://api.xero.com)."
_CREDENTIALS_FIX = ("Check WISESYNC_XERO_CLIENT_ID and WISESYNC_XERO_CLIENT_SECRET match the app at "
                    "developer.xero.com/app/manage (generate a new secret there if it was lost).")


@dataclass(frozen=True)
class XeroSettings:
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    identity_url: str
    api_url: str
    allow_local: bool = False  # the outbound guard (simulator on 127.0.0.1)

    @property
    def token_url(self) -> str:
        return self.identity_url.rstrip("/") + "/connect/token"

    @property
    def revocation_url(self) -> str:
        return self.identity_url.rstrip("/") + "/connect/revocation"

    @property
    def connections_url(self) -> str:
        return self.api_url.rstrip("/") + "/connections"

    @property
    def accounting_url(self) -> str:
        return self.api_url.rstrip("/") + "/api.xro/2.0"


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime  # naive UTC
    scope: str = ""


@dataclass(frozen=True)
class XeroTenant:
    connection_id: str
    tenant_id: str
    tenant_name: str
    tenant_type: str


def new_code_verifier() -> str:
    """A PKCE code verifier: 64 characters of RFC 7636's unreserved alphabet."""
    return generate_token(64)


# -- OAuth ---------------------------------------------------------------------------------

class _GuardedOAuth2Session(OAuth2Session):
    """Authlib's session, but every request it makes goes out through the Xero transport
    (guard, timeouts, body cap, 429 handling); its own connection pool is never used."""

    def __init__(self, transport: XeroTransport, **kwargs):
        super().__init__(**kwargs)
        self._transport = transport

    def request(self, method, url, withhold_token=False, auth=None, **kwargs):
        for owned_by_guard in ("timeout", "allow_redirects", "stream"):
            kwargs.pop(owned_by_guard, None)
        return self._transport.send(method, url, idempotent=False, what="the Xero sign-in service",
                                    auth=auth, **kwargs)


class XeroOAuth:
    """The identity side: consent URL, code exchange, refresh, revocation, connections.

    Every method may raise a :class:`XeroError`; ``refresh`` raises :class:`XeroGrantRevoked`
    when Xero will not renew access (``invalid_grant``).
    """

    def __init__(self, settings: XeroSettings, session: requests.Session | None = None,
                 policy: OutboundPolicy | None = None):
        self.settings = settings
        self._transport = XeroTransport(session, xero_policy(settings.allow_local, policy),
                                        secrets=(settings.client_secret,))

    def __repr__(self) -> str:
        return f"<XeroOAuth client_id={self.settings.client_id!r}>"

    def _session(self, redirect_uri: str | None = None) -> _GuardedOAuth2Session:
        return _GuardedOAuth2Session(
            self._transport, client_id=self.settings.client_id, client_secret=self.settings.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            revocation_endpoint_auth_method="client_secret_basic",
            redirect_uri=redirect_uri, code_challenge_method="S256")

    def authorization_url(self, redirect_uri: str, state: str, code_verifier: str) -> str:
        """Xero's consent page for :data:`SCOPES`, bound to ``state`` and the PKCE S256 challenge."""
        with self._session(redirect_uri) as oauth:
            url, _ = oauth.create_authorization_url(self.settings.authorize_url, state=state,
                                                    code_verifier=code_verifier, scope=SCOPES)
        return url

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Trade the callback's ``code`` (with the verifier kept since :meth:`authorization_url`)."""
        with self._session(redirect_uri) as oauth:
            token = self._token_call(
                lambda: oauth.fetch_token(self.settings.token_url, grant_type="authorization_code",
                                          code=code, code_verifier=code_verifier,
                                          redirect_uri=redirect_uri),
                refused=XeroAuthError(
                    "Xero refused the sign-in code (invalid_grant): it expired (codes last 5 "
                    "minutes), was used already, or the redirect address differs from the one "
                    "Xero was given.",
                    "Click Connect Xero again. If it keeps failing, check WISESYNC_PUBLIC_URL gives the "
                    "exact redirect URI registered for the app at developer.xero.com.", status=400),
                secrets=(code, code_verifier))
        return _token_set(token)

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new access token and the next (rotated) refresh token; the old one is spent."""
        with self._session() as oauth:
            token = self._token_call(
                lambda: oauth.refresh_token(self.settings.token_url, refresh_token=refresh_token),
                refused=XeroGrantRevoked(
                    "Xero refused to renew access to this organisation (invalid_grant): the "
                    "connection was revoked in Xero, went unused for 60 days, or its refresh token "
                    "was already used.",
                    RECONNECT + ".", status=400),
                secrets=(refresh_token,))
        return _token_set(token)

    def revoke(self, refresh_token: str) -> None:
        """Revoke the grant (Xero then removes its connections). A token Xero no longer knows
        counts as revoked."""
        with self._session() as oauth:
            response = oauth.revoke_token(self.settings.revocation_url, token=refresh_token,
                                          token_type_hint="refresh_token")
        if response.status_code < 400:
            return
        error = _oauth_error_code(response)
        if response.status_code == 400 and error in ("invalid_grant", "invalid_token",
                                                     "unsupported_token_type"):
            return
        if error == "invalid_client" or response.status_code == 401:
            raise XeroAuthError("Xero does not accept Wise-Sync's app credentials (invalid_client).",
                                _CREDENTIALS_FIX, status=response.status_code)
        raise_for_response(self._scrubbing(refresh_token), response, "the revocation of the Xero connection")

    def connections(self, access_token: str) -> list[XeroTenant]:
        """Every organisation (and practice) this grant reaches, as Xero lists them."""
        transport = self._scrubbing(access_token)
        response = transport.send("GET", self.settings.connections_url, idempotent=True,
                                  what="the list of connected organisations",
                                  headers=_bearer(access_token))
        raise_for_response(transport, response, "the list of connected organisations")
        body = loads(response)
        if not isinstance(body, list) or not all(isinstance(c, dict) and c.get("tenantId") for c in body):
            raise XeroBadResponse("Xero answered the list of connected organisations in an unexpected shape.",
                                  _API_URL_FIX)
        return [XeroTenant(str(c.get("id") or ""), str(c["tenantId"]), str(c.get("tenantName") or ""),
                           str(c.get("tenantType") or "")) for c in body]

    def delete_connection(self, access_token: str, connection_id: str) -> None:
        """Disconnect one organisation. Already gone (404) counts as done."""
        transport = self._scrubbing(access_token)
        url = f"{self.settings.connections_url}/{quote(connection_id, safe='')}"
        response = transport.send("DELETE", url, idempotent=True, what="the Xero connection",
                                  headers=_bearer(access_token))
        if response.status_code == 404:
            return
        raise_for_response(transport, response, "the Xero connection")

    def _scrubbing(self, *secrets: str) -> XeroTransport:
        """The same session and policy, scrubbing these secrets too from what Xero says."""
        return XeroTransport(self._transport.http.session, self._transport.policy,
                             secrets=(*secrets, self.settings.client_secret))

    def _token_call(self, call, *, refused: XeroError, secrets: tuple[str, ...]):
        transport = self._transport
        try:
            return call()
        except OAuthError as exc:
            description = transport.scrub(_scrub_all(exc.description or "", secrets)) or None
            if exc.error == "invalid_grant":
                refused.xero_message = description
                raise refused from None
            if exc.error in ("invalid_client", "unauthorized_client"):
                raise XeroAuthError(f"Xero does not accept Wise-Sync's app credentials ({exc.error}).",
                                    _CREDENTIALS_FIX, status=400, xero_message=description) from None
            raise XeroAuthError(f"Xero's sign-in service refused the request ({exc.error}).",
                                "Click Connect Xero again; if it keeps failing, "
                                + _CREDENTIALS_FIX[0].lower() + _CREDENTIALS_FIX[1:],
                                status=400, xero_message=description) from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status and status >= 500:
                raise XeroUnavailable(f"Xero's sign-in service failed (HTTP {status}).",
                                      "Try again in a few minutes; status.xero.com says whether Xero "
                                      "is having problems.", status=status) from None
            if status == 401:
                raise XeroAuthError("Xero does not accept Wise-Sync's app credentials (HTTP 401).",
                                    _CREDENTIALS_FIX, status=status) from None
            raise XeroBadResponse(f"Xero's sign-in service answered HTTP {status} without an explanation.",
                                  "Check WISESYNC_XERO_IDENTITY_URL (https://identity.xero.com).",
                                  status=status) from None
        except ValueError:
            raise XeroBadResponse("Xero's sign-in service answered with something other than a token.",
                                  "Check WISESYNC_XERO_IDENTITY_URL (https://identity.xero.com).") from None


def _token_set(token: dict) -> TokenSet:
    access, refresh = token.get("access_token"), token.get("refresh_token")
    if not access or not refresh:
        raise XeroBadResponse(
            "Xero's answer held no new refresh token, so the connection would end in 30 minutes.",
            "Reconnect Xero and allow offline access (Wise-Sync asks for it).")
    if token.get("expires_at") is not None:
        expires = datetime.fromtimestamp(int(token["expires_at"]), timezone.utc).replace(tzinfo=None)
    else:  # Xero always says; assume its documented 30 minutes
        expires = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(minutes=30)
    return TokenSet(str(access), str(refresh), expires, str(token.get("scope") or ""))


def _oauth_error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, dict) else ""


def _scrub_all(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "••••")
    return text


def _bearer(access_token: str) -> dict:
    return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}


# -- query helpers -------------------------------------------------------------------------

def where_literal(value: str) -> str:
    """``value`` as a string literal of Xero's ``where`` language (.NET Dynamic LINQ): in double
    quotes, a ``"`` inside written twice. Backslashes are not escapes there (``\\"`` is a syntax
    error, XeroAPI/Xero-Java#347), so they pass as they are."""
    return '"' + str(value).replace('"', '""') + '"'


def where_any(field_name: str, values: Iterable[str]) -> str:
    """``Field=="a" OR Field=="b"`` for a Xero ``where`` parameter."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9.]*", field_name):
        raise ValueError(f"{field_name!r} is not a Xero field name.")
    return " OR ".join(f"{field_name}=={where_literal(v)}" for v in values)


def csv_param(values: Iterable[str]) -> str:
    """A Xero list parameter (``InvoiceNumbers=a,b``): values may not hold commas."""
    values = [str(v) for v in values]
    if any("," in v for v in values):
        raise ValueError("A Xero list parameter cannot carry a value with a comma; use where_any().")
    return ",".join(values)


def _chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


_WHAT = {"Organisation": "the organisation's details", "TaxRates": "the tax rates",
         "Accounts": "the chart of accounts", "TrackingCategories": "the tracking categories",
         "Items": "the items", "Contacts": "the contacts", "Invoices": "the invoices and bills",
         "CreditNotes": "the credit notes", "Payments": "the payments"}
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_ms_date(value: str | None) -> datetime | None:
    """Xero's MS-JSON date (``/Date(1573755038314+0000)/``) as a naive UTC ``datetime``.

    The milliseconds count from 1970 in UTC; the offset only says which zone the value was
    shown in, so it is not applied. Also reads the ISO twins (``DateString``:
    ``2026-05-01T00:00:00``, ``2026-05-01``). None stays None; anything else is a ValueError.
    """
    if value is None:
        return None
    text = str(value).strip()
    match = _MS_DATE.match(text)
    if match:
        return datetime(1970, 1, 1) + timedelta(milliseconds=int(match.group(1)))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a Xero date.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _since_header(modified_since: datetime | None) -> dict:
    if modified_since is None:
        return {}
    if modified_since.tzinfo is not None:
        modified_since = modified_since.astimezone(timezone.utc).replace(tzinfo=None)
    # RFC 3339 with an explicit zone: the spec types the header date-time, and UTC is what we mean.
    return {"If-Modified-Since": modified_since.isoformat(timespec="seconds") + "Z"}


# -- the Accounting API --------------------------------------------------------------------

class XeroClient:
    """One organisation (``tenant_id``) reached with one access token.

    ``limiter`` (optional) has ``slot()`` (a context manager around every HTTP attempt) and
    ``observe(headers)`` (called with every response's headers). ``calls`` counts the HTTP
    attempts made. Every method may raise a :class:`XeroError`.
    """

    def __init__(self, settings: XeroSettings, access_token: str, tenant_id: str,
                 session: requests.Session | None = None, limiter=None, *,
                 policy: OutboundPolicy | None = None):
        if not (access_token or "").strip() or not (tenant_id or "").strip():
            raise XeroAuthError("There is no Xero access token or organisation for this company.",
                                RECONNECT + ".")
        self.settings = settings
        self.tenant_id = tenant_id.strip()
        self._token = access_token.strip()
        self._base = settings.accounting_url
        self._transport = XeroTransport(session, xero_policy(settings.allow_local, policy),
                                        secrets=(self._token, settings.client_secret), limiter=limiter)

    def __repr__(self) -> str:
        return f"<XeroClient {self._base} tenant={self.tenant_id}>"

    @property
    def calls(self) -> int:
        return self._transport.calls

    @calls.setter
    def calls(self, value: int) -> None:
        self._transport.calls = value

    # -- transport ------------------------------------------------------------------------
    def request(self, method: str, resource: str, *, params: dict | None = None, body=None,
                headers: dict | None = None, idempotency_key: str | None = None):
        """One call to ``/api.xro/2.0/{resource}``; returns the parsed JSON (None for 304)."""
        send_headers = {"Authorization": f"Bearer {self._token}", "xero-tenant-id": self.tenant_id,
                        "Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = dumps(body).encode("ascii")
            send_headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            send_headers["Idempotency-Key"] = idempotency_key
        idempotent = method in ("GET", "HEAD", "DELETE") or idempotency_key is not None
        what = _WHAT.get(resource, resource)
        response = self._transport.send(method, f"{self._base}/{resource}", idempotent=idempotent,
                                        what=what, params=params, data=data, headers=send_headers)
        raise_for_response(self._transport, response, what)
        if response.status_code == 304:
            return None
        return loads(response)

    def _list(self, resource: str, key: str, params: dict | None = None,
              headers: dict | None = None) -> list[dict]:
        return _elements(self.request("GET", resource, params=params, headers=headers), key, resource)

    def _pages(self, resource: str, key: str, params: dict | None, headers: dict | None,
               page: int | None) -> list[dict]:
        """One page when ``page`` is given, else every page (Xero pages by 100)."""
        params = dict(params or {}, pageSize=PAGE_SIZE)
        if page is not None:
            return self._list(resource, key, {**params, "page": int(page)}, headers)
        found: list[dict] = []
        number = 1
        while True:
            body = self.request("GET", resource, params={**params, "page": number}, headers=headers)
            records = _elements(body, key, resource)
            found.extend(records)
            pagination = body.get("pagination") if isinstance(body, dict) else None
            page_count = pagination.get("pageCount") if isinstance(pagination, dict) else None
            if len(records) < PAGE_SIZE or (isinstance(page_count, int) and number >= page_count):
                return found
            number += 1

    def _put(self, resource: str, key: str, elements: list[dict], idempotency_key: str,
             *, unitdp: bool, method: str = "PUT") -> list[dict]:
        elements = list(elements)
        if len(elements) > MAX_ELEMENTS:
            raise ValueError(f"Xero takes at most {MAX_ELEMENTS} {key} per call, not {len(elements)}.")
        if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            raise ValueError(f"An Idempotency-Key of 1 to {MAX_IDEMPOTENCY_KEY} characters is required.")
        if not elements:
            return []
        params = {"summarizeErrors": "false"}
        if unitdp:
            params["unitdp"] = 4
        body = self.request(method, resource, params=params, body={key: elements},
                            idempotency_key=idempotency_key)
        results = _elements(body, key, resource)
        if len(results) != len(elements):
            raise XeroBadResponse(f"Xero answered {len(results)} {key} for the {len(elements)} sent.",
                                  "Look the documents up in Xero before syncing again (the sync "
                                  "adopts those it finds by number).")
        return results

    # -- organisation settings ---------------------------------------------------------------
    def organisation(self) -> dict:
        organisations = self._list("Organisation", "Organisations")
        if not organisations:
            raise XeroBadResponse("Xero answered without the organisation's details.",
                                  "Try again; if it persists, " + RECONNECT[0].lower() + RECONNECT[1:] + ".")
        return organisations[0]

    def tax_rates(self) -> list[dict]:
        return self._list("TaxRates", "TaxRates")

    def accounts(self) -> list[dict]:
        return self._list("Accounts", "Accounts")

    def tracking_categories(self) -> list[dict]:
        return self._list("TrackingCategories", "TrackingCategories")

    def items(self) -> list[dict]:
        """Every item (Xero returns them unpaged), unit prices to 4 decimals."""
        return self._list("Items", "Items", {"unitdp": 4})

    # -- lookups ----------------------------------------------------------------------------
    def contacts(self, *, contact_numbers: Iterable[str] = (), names: Iterable[str] = (),
                 page: int | None = None) -> list[dict]:
        """Contacts whose ContactNumber or Name is one of those given (any of them); every
        active contact when neither is given.

        Values go into one ``where`` (up to 50 a call). A value holding ``"`` is looked up with
        ``searchTerm`` instead and matched here (ignoring case): no escape of a quote inside a
        ``where`` string is documented, and Xero's clients report every attempt failing.
        """
        wanted = [("ContactNumber", str(n)) for n in contact_numbers] + [("Name", str(n)) for n in names]
        if not wanted:
            return self._pages("Contacts", "Contacts", None, None, page)
        terms = [f"{name}=={where_literal(value)}" for name, value in wanted if '"' not in value]
        batches = [self._pages("Contacts", "Contacts", {"where": " OR ".join(chunk)}, None, page)
                   for chunk in _chunks(terms)]
        for name, value in wanted:
            if '"' in value:
                found = self._pages("Contacts", "Contacts", {"searchTerm": value}, None, page)
                batches.append([c for c in found if str(c.get(name) or "").casefold() == value.casefold()])
        return _unique(batches, id_key="ContactID")

    def invoices(self, *, numbers: Iterable[str] = (), ids: Iterable[str] = (),
                 statuses: Iterable[str] = (), modified_since: datetime | None = None,
                 page: int | None = None) -> list[dict]:
        """Invoices and bills (ACCREC and ACCPAY) by number or by id (not both), optionally only
        some statuses or those changed since a time (naive UTC)."""
        numbers, ids = [str(n) for n in numbers], [str(i) for i in ids]
        if numbers and ids:
            raise ValueError("Look invoices up by numbers or by ids, not both at once.")
        params: dict = {"unitdp": 4}
        if statuses:
            params["Statuses"] = csv_param(statuses)
        headers = _since_header(modified_since)
        queries: list[dict] = []
        plain = [n for n in numbers if "," not in n]
        queries += [{"InvoiceNumbers": csv_param(chunk)} for chunk in _chunks(plain)]
        # A comma cannot travel in InvoiceNumbers; such numbers are asked for with where.
        queries += [{"where": where_any("InvoiceNumber", chunk)}
                    for chunk in _chunks([n for n in numbers if "," in n])]
        queries += [{"IDs": csv_param(chunk)} for chunk in _chunks(ids)]
        if not queries:
            return self._pages("Invoices", "Invoices", params, headers, page)
        return _unique((self._pages("Invoices", "Invoices", {**params, **query}, headers, page)
                        for query in queries), id_key="InvoiceID")

    def credit_notes(self, *, numbers: Iterable[str] = (), page: int | None = None) -> list[dict]:
        numbers = [str(n) for n in numbers]
        params = {"unitdp": 4}
        if not numbers:
            return self._pages("CreditNotes", "CreditNotes", params, None, page)
        return _unique((self._pages("CreditNotes", "CreditNotes",
                                    {**params, "where": where_any("CreditNoteNumber", chunk)}, None, page)
                        for chunk in _chunks(numbers)), id_key="CreditNoteID")

    def payments(self, *, modified_since: datetime | None = None, page: int | None = None) -> list[dict]:
        return self._pages("Payments", "Payments", None, _since_header(modified_since), page)

    # -- writes ------------------------------------------------------------------------------
    def put_contacts(self, contacts: list[dict], idempotency_key: str) -> list[dict]:
        return self._put("Contacts", "Contacts", contacts, idempotency_key, unitdp=False)

    def update_contacts(self, contacts: list[dict], idempotency_key: str) -> list[dict]:
        """``POST /Contacts`` (the spec's updateOrCreateContacts): each element names the
        contact by ``ContactID`` and carries only the fields to change; ≤ 50 per call,
        ``summarizeErrors=false`` so one refused element (a name another contact holds) comes
        back with its ``ValidationErrors`` while the others are updated."""
        missing = [c for c in contacts if not c.get("ContactID")]
        if missing:
            raise ValueError("Every contact to update needs its ContactID.")
        return self._put("Contacts", "Contacts", contacts, idempotency_key, unitdp=False, method="POST")

    def put_items(self, items: list[dict], idempotency_key: str) -> list[dict]:
        return self._put("Items", "Items", items, idempotency_key, unitdp=True)

    def put_invoices(self, invoices: list[dict], idempotency_key: str) -> list[dict]:
        """ACCREC invoices and ACCPAY bills; per element ``HasErrors``/``ValidationErrors``."""
        return self._put("Invoices", "Invoices", invoices, idempotency_key, unitdp=True)

    def put_credit_notes(self, notes: list[dict], idempotency_key: str) -> list[dict]:
        return self._put("CreditNotes", "CreditNotes", notes, idempotency_key, unitdp=True)


def _elements(body, key: str, resource: str) -> list[dict]:
    if body is None:  # 304 Not Modified
        return []
    records = body.get(key) if isinstance(body, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise XeroBadResponse(f"Xero answered {resource} without the list of {key}.", _API_URL_FIX)
    return records


def _unique(batches, *, id_key: str) -> list[dict]:
    found, seen = [], set()
    for batch in batches:
        for record in batch:
            record_id = record.get(id_key)
            if record_id is not None:
                if record_id in seen:
                    continue
                seen.add(record_id)
            found.append(record)
    return found
