"""The Xero client against the simulator: settings for its base URL, a consent click, a recorder
of what the client sent, and openapi-core validation of those requests against Xero's files."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from tests.xero_spec import on_spec_server, xero_accounting_spec, xero_identity_spec
from wisesync.accounting.xero import TokenSet, XeroOAuth, XeroSettings, new_code_verifier
from wisesync.psa.http import OutboundPolicy

REDIRECT = "http://127.0.0.1/xero/callback"


def sim_settings(base: str, secret: str = "simxero-secret") -> XeroSettings:
    """The app settings INTERFACES.md gives for the simulator at ``base``."""
    return XeroSettings(client_id="simxero", client_secret=secret,
                        authorize_url=base + "/xero/identity/connect/authorize",
                        identity_url=base + "/xero/identity", api_url=base + "/xero/api",
                        allow_local=True)


class Recorder:
    """A session that remembers every request it sent (and, optionally, sends a fault header)."""

    def __init__(self, fault: str | None = None):
        self.session = requests.Session()
        if fault:
            self.session.headers["X-Sim-Fault"] = fault
        self.sent: list[requests.PreparedRequest] = []
        self.session.hooks["response"].append(lambda r, *a, **k: self.sent.append(r.request))


def sleepless(sleeps: list | None = None, **kw) -> OutboundPolicy:
    return OutboundPolicy(allow_local=True, sleep=(sleeps if sleeps is not None else []).append, **kw)


def consent(base: str, oauth: XeroOAuth, tenant_ids, *, state: str = "st4te") -> TokenSet:
    """What a person does on Xero's consent page, then the callback's code exchange."""
    verifier = new_code_verifier()
    url = oauth.authorization_url(REDIRECT, state, verifier)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and 'name="tenant_ids"' in page.text, page.text[:500]
    answer = requests.post(url, data={"tenant_ids": list(tenant_ids), "action": "allow"},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == [state], query
    return oauth.exchange_code(query["code"][0], REDIRECT, verifier)


def validate_identity_request(prepared: requests.PreparedRequest) -> None:
    _validate(xero_identity_spec(), prepared)


def validate_accounting_request(prepared: requests.PreparedRequest) -> None:
    _validate(xero_accounting_spec(), prepared)


def _validate(spec, prepared: requests.PreparedRequest) -> None:
    """openapi-core's request validation (path, parameters, headers, body schema)."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest

    copy = prepared.copy()
    copy.url = on_spec_server(copy.url)
    spec.validate_request(RequestsOpenAPIRequest(copy))
