"""ConnectWise Manage REST (3.0) client: plain Python, no Flask.

Finds the codebase through ``/login/companyinfo/{companyId}``, signs every call with Basic
``companyId+publicKey:privateKey`` plus ``clientId``, pages lazily through ``Link rel="next"``
(1000 records a page, one page in memory at a time) and turns every failure into a
:class:`~wisesync.psa.errors.PsaError` that says what to fix. Keys never appear in error text.

Member impersonation (the sync posts batches as the person syncing): :meth:`member` finds a
member by identifier, :meth:`member_token` asks ``POST /system/members/{memberIdentifier}/tokens``
for a key pair (``{"publicKey", "privateKey", "expiration"}``, as PowerShell's
ConnectWiseManageAPI ``New-CWMMemberToken``/``Connect-CWM`` and pyconnectwise's ``TokenModel``
read it; the endpoint is not in the OpenAPI fixture), and :meth:`as_member` returns a client that
signs as that member with ``companyId+publicKey:privateKey``, so ConnectWise records the member
on what it posts. The token is a secret: keep it out of logs and pages.
"""
from __future__ import annotations

import base64
import json
import re
from decimal import Decimal
from typing import Iterator
from urllib.parse import quote, urlsplit

import requests

from wisesync.psa.connectwise_common import resolve_site
from wisesync.psa.connectwise_paging import PAGE_SIZE, ListPaging, decode_json  # noqa: F401 (re-exported)
from wisesync.psa.connectwise_rights import RIGHTS, right_for_path
from wisesync.psa.errors import (PsaAuthError, PsaBadResponse, PsaConfigError, PsaError, PsaNotFound,
                                 PsaPermissionError, PsaRateLimited, PsaUnavailable, scrub)
from wisesync.psa.http import GuardedHttp, OutboundPolicy, json_body
from wisesync.psa.report import Check, ConnectionReport

API_VERSION = "2025.1"
SERVICE = "ConnectWise"
_KEYS_FIX = ("In ConnectWise open System > Members > API Members, pick the API member Wise-Sync "
             "uses, and on its API Keys tab copy the public key (or create a new pair: the private "
             "key is shown only once). Check the Company ID is the one you sign in with.")
ACCOUNTING_FIX = ("In ConnectWise open System > Security Roles, pick the role of the member Wise-Sync "
                  "posts as (the API member, or the syncing person's own member when it posts as "
                  "them) and under Finance > Accounting Interface set Add, Edit and Inquire to All "
                  "(Delete too, to un-post by deleting a batch). Save, then sync again.")
PAYMENTS_FIX = ("In ConnectWise open System > Security Roles, pick the role of the member Wise-Sync "
                "posts as and under Finance > Invoicing set Add, Edit and Inquire to All, so "
                "payments can be applied to invoices. Save, then sync again.")
# ConnectWise's other 401: the keys are well formed but ConnectWise will not sign their member in
# (ConnectWiseManageAPI's Invoke-CWMWebRequest: code "ConnectWiseApi", message
# "UserNotAuthenticated", "Check your connection parameters and/or user permissions").
_NOT_SIGNED_IN_FIX = ("In ConnectWise open System > Members > API Members and check that the API member "
                      "Wise-Sync uses is not inactive, that these keys are still on its API Keys tab "
                      "(deleted keys are refused) and that its security role may use the API; check "
                      "the Company ID is the company the member belongs to. Keys made under My Account "
                      "belong to a person's member and stop working when that member is deactivated.")
_TOKEN_FIX = ("Sync again: Wise-Sync asks ConnectWise for a new member token each run. If it keeps "
              "happening, check in System > Members that the member is still active.")
_FILTER_FIX = ("Nothing was changed in ConnectWise. This ConnectWise version may name the field "
               "differently: report it to Wise-Sync support with ConnectWise's message below.")
_RATE_FIX = ("Wait a few minutes and try again. ConnectWise cloud limits API calls per company "
             "(Cloudflare answers the 429); other integrations using the same ConnectWise share it.")
_COMPANY_FIX = ("Check the Company ID field: it is the short company name typed on the "
                "ConnectWise sign-in page (not the company's full name), and the site must be "
                "the one that company uses.")


class ConnectWiseRestClient(ListPaging):
    """One ConnectWise company, reached through its REST API.

    Raises :class:`PsaConfigError` at construction when a setting is missing or the site is
    not a host name. Every method may raise any :class:`PsaError`.
    """

    def __init__(self, site: str, company_id: str, public_key: str, private_key: str, client_id: str,
                 *, session: requests.Session | None = None, policy: OutboundPolicy | None = None,
                 codebase: str | None = None):
        for label, value in (("Company ID", company_id), ("Public key", public_key),
                             ("Private key", private_key), ("Client ID", client_id)):
            if not (value or "").strip():
                raise PsaConfigError(f"The ConnectWise {label} is empty.",
                                     f"Fill in {label} in the ConnectWise settings.")
        self.base_url = resolve_site(site)
        self.company_id = company_id.strip()
        self.codebase = _normal_codebase(codebase) if codebase else None
        self.http = GuardedHttp(session, policy, service=SERVICE)
        token = base64.b64encode(f"{self.company_id}+{public_key.strip()}:{private_key.strip()}".encode())
        self._headers = {"Authorization": "Basic " + token.decode("ascii"), "clientId": client_id.strip(),
                         "Accept": f"application/vnd.connectwise.com+json; version={API_VERSION}"}
        self._secrets = tuple(s for s in (public_key.strip(), private_key.strip(), token.decode()) if s)
        self.acting_as: str | None = None  # set by as_member(): the member this client signs as

    def __repr__(self) -> str:
        member = f" as member {self.acting_as!r}" if self.acting_as else ""
        return f"<ConnectWiseRestClient {self.base_url} company={self.company_id!r}{member}>"

    # -- codebase -------------------------------------------------------------------------
    def discover_codebase(self) -> str:
        """Ask ``login/companyinfo`` which codebase (like ``v2025_1/``) the company is on.

        Raises :class:`PsaNotFound` when ConnectWise answers ``null`` (unknown company ID).
        """
        url = f"{self.base_url}/login/companyinfo/{quote(self.company_id, safe='')}"
        response = self._send("GET", url, headers={"Accept": "application/json"})
        if response.status_code != 200:
            self._raise_for(response, "/login/companyinfo")
        info = json_body(response, SERVICE)
        if info is None:
            raise PsaNotFound(f"ConnectWise does not know the company ID {self.company_id!r} "
                              f"(company ID not found) at {urlsplit(self.base_url).hostname}.",
                              _COMPANY_FIX, status=200)
        if not isinstance(info, dict) or not isinstance(info.get("Codebase"), str):
            raise PsaBadResponse(f"{urlsplit(self.base_url).hostname} answered the company lookup, "
                                 "but not the way ConnectWise does.",
                                 "Check the site: it should be your ConnectWise API host.")
        self.codebase = _normal_codebase(info["Codebase"])
        return self.codebase

    @property
    def api_base(self) -> str:
        if not self.codebase:
            self.discover_codebase()
        return f"{self.base_url}/{self.codebase}apis/3.0"

    # -- transport ------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: dict | None = None, json=None,
                retry_5xx: bool = True, headers: dict | None = None) -> requests.Response:
        """One call to ``path`` (relative to ``apis/3.0``); re-discovers the codebase once on 404.

        ``json`` may hold ``Decimal``s: they are written as JSON numbers, never through float.
        """
        sent = {**self._headers, **(headers or {})}
        body = None
        if json is not None:
            body = dumps_json(json)
            sent["Content-Type"] = "application/json"
        for attempt in (1, 2):
            response = self._send(method, self.api_base + path, params=params, data=body,
                                  headers=sent, retry_5xx=retry_5xx)
            if response.status_code == 404 and attempt == 1:
                old = self.codebase
                if self.discover_codebase() != old:
                    continue  # the company moved to a new codebase (an upgrade): try there
            break
        if response.status_code >= 400:
            self._raise_for(response, path)
        return response

    def get_json(self, path: str, params: dict | None = None, *, parse_float=None):
        return decode_json(self.request("GET", path, params=params), parse_float)

    def _send(self, method: str, url: str, **kw) -> requests.Response:
        """``GuardedHttp.request`` with ConnectWise's rate limit explained: on ConnectWise cloud
        a 429 comes from Cloudflare in front of it (pyconnectwise PR #41), not from ConnectWise."""
        try:
            return self.http.request(method, url, **kw)
        except PsaRateLimited as exc:
            if exc.status != 429:
                raise
            wait = f" It asked to wait {exc.retry_after:.0f} seconds." if exc.retry_after else ""
            raise PsaRateLimited(
                "ConnectWise's API limit was reached: its gateway kept answering HTTP 429 (Too Many "
                f"Requests) after Wise-Sync's retries.{wait}", _RATE_FIX, retry_after=exc.retry_after,
                status=429, psa_message="HTTP 429 Too Many Requests"
                + (f" (Retry-After: {exc.retry_after:.0f})" if exc.retry_after is not None else "")) from None

    def _get_url(self, url: str, path: str) -> requests.Response:
        response = self._send("GET", url, headers=self._headers)
        if response.status_code >= 400:
            self._raise_for(response, path)
        return response

    def count(self, path: str, conditions: str | None = None) -> int:
        data = self.get_json(path.rstrip("/") + "/count", {"conditions": conditions} if conditions else None)
        if not isinstance(data, dict) or not isinstance(data.get("count"), int):
            raise PsaBadResponse(f"ConnectWise answered {path}/count without a count.",
                                 "Try again; if it persists, check the site address.")
        return data["count"]

    # -- endpoints ------------------------------------------------------------------------
    def system_info(self) -> dict:
        return self.get_json("/system/info")

    def companies(self, conditions: str | None = None, **kw) -> Iterator[dict]:
        return self.iterate("/company/companies", conditions, **kw)

    def agreements(self, conditions: str | None = None, **kw) -> Iterator[dict]:
        return self.iterate("/finance/agreements", conditions, **kw)

    def agreement_additions(self, agreement_id: int, conditions: str | None = None, **kw) -> Iterator[dict]:
        return self.iterate(f"/finance/agreements/{int(agreement_id)}/additions", conditions, **kw)

    def catalog_items(self, conditions: str | None = None, **kw) -> Iterator[dict]:
        return self.iterate("/procurement/catalog", conditions, **kw)

    def members(self, conditions: str | None = None, **kw) -> Iterator[dict]:
        return self.iterate("/system/members", conditions, **kw)

    def unposted_invoices(self, conditions: str | None = None, **kw) -> Iterator[dict]:
        return self.iterate("/finance/accounting/unpostedinvoices", conditions, **kw)

    def unposted_invoice(self, invoice_id: int) -> dict:
        return self.get_json(f"/finance/accounting/unpostedinvoices/{int(invoice_id)}")

    def companies_count(self, conditions: str | None = None) -> int:
        return self.count("/company/companies", conditions)

    def agreements_count(self, conditions: str | None = None) -> int:
        return self.count("/finance/agreements", conditions)

    def catalog_items_count(self, conditions: str | None = None) -> int:
        return self.count("/procurement/catalog", conditions)

    def members_count(self, conditions: str | None = None) -> int:
        return self.count("/system/members", conditions)

    def unposted_invoices_count(self, conditions: str | None = None) -> int:
        return self.count("/finance/accounting/unpostedinvoices", conditions)

    def export_accounting(self, gl_export_request: dict) -> dict:
        """``POST /finance/accounting/export`` (ExportAccountingBatchRequest) → the GLExport."""
        return json_body(self.request("POST", "/finance/accounting/export", json=gl_export_request), SERVICE)

    def create_accounting_batch(self, batch: dict) -> dict:
        """``POST /finance/accounting/batches``: marks ``processedRecordIds`` as posted.

        Not retried on a 500: a batch that half-happened must be looked at, not sent twice.
        """
        if not batch.get("processedRecordIds"):
            raise PsaConfigError("No invoices were chosen for the accounting batch.",
                                 "Pick at least one unposted invoice to post.")
        return json_body(self.request("POST", "/finance/accounting/batches", json=batch,
                                      retry_5xx=False), SERVICE)

    # -- members and impersonation --------------------------------------------------------
    def member(self, identifier: str) -> dict | None:
        """The member whose identifier (user name, like ``jsmith``) is ``identifier``, or None."""
        wanted = (identifier or "").strip()
        if not wanted:
            return None
        quoted = wanted.replace("\\", "\\\\").replace('"', '\\"')
        found = self.get_json("/system/members", {"conditions": f'identifier="{quoted}"', "pageSize": 1})
        if not isinstance(found, list):
            raise PsaBadResponse("ConnectWise answered /system/members with something other than a list.",
                                 "Try again; if it persists, check the site address.")
        return found[0] if found else None

    def member_token(self, identifier: str) -> dict:
        """``POST /system/members/{identifier}/tokens`` → ``{"publicKey", "privateKey",
        "expiration"}``: keys that sign in as that member (use :meth:`as_member`). A secret.

        Raises :class:`PsaNotFound` for an unknown member and :class:`PsaPermissionError`
        when the API member may not impersonate (System > Members).
        """
        wanted = (identifier or "").strip()
        if not wanted:
            raise PsaConfigError("No ConnectWise member ID was given to post as.",
                                 "Fill in the person's ConnectWise Member ID on their profile.")
        path = f"/system/members/{quote(wanted, safe='')}/tokens"
        token = json_body(self.request("POST", path, json={"memberIdentifier": wanted},
                                       headers={"x-cw-usertype": "member"}, retry_5xx=False), SERVICE)
        if not (isinstance(token, dict) and isinstance(token.get("publicKey"), str)
                and isinstance(token.get("privateKey"), str) and token["publicKey"] and token["privateKey"]):
            raise PsaBadResponse(f"ConnectWise answered the token request for member {wanted!r} "
                                 "without a key pair.", "Try again; if it persists, post with the API "
                                 "member's own keys (clear the Member ID).")
        return token

    def as_member(self, token: dict, identifier: str | None = None) -> "ConnectWiseRestClient":
        """A client on the same site, session and policy that signs with a member token's keys
        (so ConnectWise records that member). ``identifier`` is only for ``repr``/messages."""
        public, private = (token or {}).get("publicKey"), (token or {}).get("privateKey")
        if not (isinstance(public, str) and public.strip() and isinstance(private, str) and private.strip()):
            raise PsaConfigError("The ConnectWise member token has no public/private key pair.",
                                 "Ask ConnectWise for a new member token.")
        clone = ConnectWiseRestClient(self.base_url, self.company_id, public, private,
                                      self._headers["clientId"], session=self.http.session,
                                      policy=self.http.policy, codebase=self.codebase)
        clone.acting_as = identifier or "member token"
        return clone

    # -- connectivity ---------------------------------------------------------------------
    def check_permissions(self) -> list[Check]:
        """One :class:`Check` per security-role right Wise-Sync needs (see ``RIGHTS``)."""
        checks = []
        for right in RIGHTS:
            try:
                if right.key == "system":
                    detail = f"ConnectWise {self.system_info().get('version', '')}".strip()
                else:
                    detail = f"{self.count(right.probe.removesuffix('/count')):,} records visible"
                checks.append(Check(right.label, True, detail))
            except PsaPermissionError as exc:
                checks.append(Check.from_error(right.label, exc, right.fix))
            except PsaError as exc:
                checks.append(Check.from_error(right.label, exc))
        return checks

    def test_connection(self) -> ConnectionReport:
        """Reached host, Authenticated, then one check per right; never raises a PsaError."""
        host = urlsplit(self.base_url).netloc
        skipped = [Check(r.label, False, "Not checked: the earlier step failed.") for r in RIGHTS]
        try:
            self.discover_codebase()
        except PsaNotFound as exc:
            return ConnectionReport([Check("Reached host", True, f"{host} answered."),
                                     Check.from_error("Authenticated", exc), *skipped])
        except PsaError as exc:
            return ConnectionReport([Check.from_error("Reached host", exc),
                                     Check("Authenticated", False, "Not checked: the host was not reached."),
                                     *skipped])
        reached = Check("Reached host", True, f"{host} answered (codebase {self.codebase}).")
        try:
            self.request("GET", "/system/info")
        except PsaPermissionError:
            pass  # signed in: only the System right is missing, reported below
        except PsaError as exc:
            return ConnectionReport([reached, Check.from_error("Authenticated", exc), *skipped])
        signed_in = Check("Authenticated", True, f"Signed in to company {self.company_id}.")
        return ConnectionReport([reached, signed_in, *self.check_permissions()])

    # -- errors ---------------------------------------------------------------------------
    def _raise_for(self, response: requests.Response, path: str):
        status = response.status_code
        code, message = _error_parts(response)
        psa_message = self._scrub(f"{code}: {message}" if code else message) or None
        if status == 400 and "clientid" in (message or "").lower():
            raise PsaConfigError("ConnectWise refused the Client ID.",
                                 "Register an integration at developer.connectwise.com (My Clients) "
                                 "and paste its Client ID.", status=status, psa_message=psa_message)
        if status == 400 and code == "ApiFindCondition":
            # {"code": "ApiFindCondition", "message": "<field> is not a recognized name."}
            raise PsaBadResponse(f"ConnectWise did not accept the filter Wise-Sync sent to "
                                 f"{path.split('?')[0]}: {self._scrub(message)}", _FILTER_FIX,
                                 status=status, psa_message=psa_message)
        if status == 401 and self.acting_as:
            raise PsaAuthError(f"ConnectWise refused the member token of member {self.acting_as} "
                               "(it may have expired).", _TOKEN_FIX, status=status, psa_message=psa_message)
        if status == 401 and "usernotauthenticated" in f"{code} {message}".lower():
            raise PsaAuthError("ConnectWise accepted the form of the API keys but did not sign their "
                               "member in (UserNotAuthenticated).", _NOT_SIGNED_IN_FIX, status=status,
                               psa_message=psa_message)
        if status == 401:
            raise PsaAuthError("ConnectWise rejected the API keys (Incorrect public/private key).",
                               _KEYS_FIX, status=status, psa_message=psa_message)
        if status == 403 and path.startswith(("/finance/accounting", "/finance/invoices")):
            accounting = path.startswith("/finance/accounting")
            who = f"member {self.acting_as}" if self.acting_as else "API member"
            area = "Finance > Accounting Interface" if accounting else "Finance > Invoicing"
            raise PsaPermissionError(
                f"The ConnectWise {who} is missing the {area} right needed for {path.split('?')[0]}.",
                ACCOUNTING_FIX if accounting else PAYMENTS_FIX,
                right="invoicing" if accounting else "payments", status=status, psa_message=psa_message)
        if status == 403:
            right = right_for_path(path)
            what = f"the '{right.permission}' right ({right.module})" if right else "a security right"
            raise PsaPermissionError(
                f"The ConnectWise API member is missing {what} needed for {path.split('?')[0]}.",
                right.fix if right else "Ask a ConnectWise admin to check the API member's security role.",
                right=right.key if right else None, status=status, psa_message=psa_message)
        if status == 404:
            raise PsaNotFound(f"ConnectWise has nothing at {path.split('?')[0]} (HTTP 404).",
                              "Check the site and company ID; the record may have been deleted.",
                              status=status, psa_message=psa_message)
        if status >= 500:
            raise PsaUnavailable(f"ConnectWise kept failing (HTTP {status}) for {path.split('?')[0]}.",
                                 "Try again in a few minutes; if it persists, check ConnectWise's "
                                 "status page or its API logs.", status=status, psa_message=psa_message)
        raise PsaError(f"ConnectWise rejected the request to {path.split('?')[0]} (HTTP {status})"
                       + (f": {self._scrub(message)}" if message else "."),
                       "Check the filter or values sent; the PSA's message says which field.",
                       status=status, psa_message=psa_message)

    def _scrub(self, text: str | None) -> str:
        return scrub(text, *self._secrets)[:500]  # ConnectWise bodies can be long


def dumps_json(value) -> bytes:
    """JSON text of ``value``; ``Decimal``s become JSON numbers exactly as written (no float)."""
    def default(obj):
        if isinstance(obj, Decimal):
            if not obj.is_finite():
                raise ValueError(f"{obj} cannot be sent as a JSON number")
            return _DECIMAL_MARK + str(obj)
        raise TypeError(f"{type(obj).__name__} is not JSON serializable")

    text = json.dumps(value, default=default, separators=(",", ":"), ensure_ascii=False)
    return _DECIMAL_STRING.sub(r"\1", text).encode("utf-8")


_DECIMAL_MARK = "\u0001decimal:"
_DECIMAL_STRING = re.compile(r'"\\u0001decimal:(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"')


def _normal_codebase(value: str) -> str:
    return value.strip().strip("/") + "/"


def _error_parts(response: requests.Response) -> tuple[str, str]:
    """ConnectWise's ``{"code","message","errors":[...]}`` → (code, message with field errors)."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    message = str(body.get("message") or "")
    details = [f"{e.get('field') or e.get('resource') or ''}: {e.get('message')}".strip(": ")
               for e in body.get("errors") or [] if isinstance(e, dict) and e.get("message")]
    return str(body.get("code") or ""), "; ".join(filter(None, [message, *details]))
