"""Xero's official OpenAPI descriptions (../shared/fixtures/xero, never copied into the project),
loaded once per process as openapi-core ``OpenAPI`` objects for validating requests and answers.

The files are loaded as shipped except for the two load-time quirks of the fixtures README:
- X1: 23 boolean properties carry the YAML string ``"false"`` as their default; it becomes the
  boolean (``default == "true"``), after which the accounting file validates with 0 errors.
- X2: YAML 1.1 turns unquoted ISO timestamps (all inside ``example`` values) into ``datetime``
  objects; the loader has no timestamp resolver, so they stay the strings the authors wrote.

Both files describe real Xero's servers (``https://api.xero.com/api.xro/2.0`` and
``https://api.xero.com``); map a request's URL onto them before validating (``on_spec_server``).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "xero"
ACCOUNTING_FILE = FIXTURES / "xero_accounting.yaml"
IDENTITY_FILE = FIXTURES / "xero-identity.yaml"
ACCOUNTING_SERVER = "https://api.xero.com/api.xro/2.0"
IDENTITY_SERVER = "https://api.xero.com"

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _NoTimestamps(_Base):  # X2
    yaml_implicit_resolvers = {
        first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()}


def load_raw(path: Path) -> dict:
    """The file as a dict, with quirks X1 and X2 applied."""
    with open(path, encoding="utf-8") as handle:
        raw = yaml.load(handle, Loader=_NoTimestamps)  # noqa: S506 - a SafeLoader subclass
    for schema in (raw.get("components", {}).get("schemas") or {}).values():  # X1
        for prop in (schema.get("properties") or {}).values():
            if prop.get("type") == "boolean" and isinstance(prop.get("default"), str):
                prop["default"] = prop["default"] == "true"
    return raw


@lru_cache(maxsize=None)
def accounting_raw() -> dict:
    return load_raw(ACCOUNTING_FILE)


@lru_cache(maxsize=None)
def identity_raw() -> dict:
    return load_raw(IDENTITY_FILE)


@lru_cache(maxsize=None)
def xero_accounting_spec():
    """openapi-core ``OpenAPI`` for the Accounting API (server ``ACCOUNTING_SERVER``)."""
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(accounting_raw())


@lru_cache(maxsize=None)
def xero_identity_spec():
    """openapi-core ``OpenAPI`` for ``GET /Connections`` and ``DELETE /Connections/{id}``."""
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(identity_raw())


def specs_available() -> bool:
    return ACCOUNTING_FILE.exists() and IDENTITY_FILE.exists()


def on_spec_server(url: str) -> str:
    """A simulator (or any) Xero URL re-homed onto the spec's server, query kept.

    ``.../api.xro/2.0/Invoices?page=1`` → ``https://api.xero.com/api.xro/2.0/Invoices?page=1``;
    ``.../connections/{id}`` → ``https://api.xero.com/Connections/{id}`` (Xero's own URLs use
    lower-case ``connections``; the identity file spells it ``/Connections``)."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    if "/api.xro/2.0" in parts.path:
        return ACCOUNTING_SERVER + parts.path.split("/api.xro/2.0", 1)[1] + query
    lower = parts.path.lower()
    if "/connections" in lower:
        rest = parts.path[lower.rindex("/connections") + len("/connections"):]
        return IDENTITY_SERVER + "/Connections" + rest + query
    raise ValueError(f"not a Xero API URL: {url}")


# -- Getting tokens from the simulator (plain requests; for tests of the simulator and clients) --

SIM_SCOPES = ("openid profile email offline_access accounting.settings accounting.contacts "
              "accounting.transactions")
SIM_REDIRECT = "http://127.0.0.1/xero/callback"


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    import base64
    import hashlib
    import secrets

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def sim_authorize(base: str, tenant_ids, *, scope: str = SIM_SCOPES, challenge: str,
                  redirect_uri: str = SIM_REDIRECT, state: str = "st4te", action: str = "allow"):
    """Tick ``tenant_ids`` on the simulator's consent page and press a button; the 302 answer."""
    import requests

    params = {"response_type": "code", "client_id": "simxero", "redirect_uri": redirect_uri,
              "scope": scope, "state": state, "code_challenge": challenge,
              "code_challenge_method": "S256"}
    return requests.post(f"{base}/xero/identity/connect/authorize", params=params,
                         data={"tenant_ids": list(tenant_ids), "action": action},
                         allow_redirects=False, timeout=10)


def sim_tokens(base: str, tenant_ids, *, scope: str = SIM_SCOPES) -> dict:
    """A full consent + code exchange against the simulator: the token answer (dict)."""
    from urllib.parse import parse_qs, urlsplit

    import requests

    verifier, challenge = pkce_pair()
    answer = sim_authorize(base, tenant_ids, scope=scope, challenge=challenge)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(f"{base}/xero/identity/connect/token", auth=("simxero", "simxero-secret"),
                          data={"grant_type": "authorization_code", "code": code,
                                "redirect_uri": SIM_REDIRECT, "code_verifier": verifier},
                          timeout=10)
    token.raise_for_status()
    return token.json()


def validate(response, spec: str = "accounting") -> bool:
    """Check ``response.request`` against the Xero spec and, when the spec declares that status
    for the operation, the answer too. True when the answer was checked, False when the spec
    declares no such status (e.g. 401/403/429, which it never describes)."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
    from openapi_core.templating.responses.exceptions import ResponseNotFound

    openapi = xero_accounting_spec() if spec == "accounting" else xero_identity_spec()
    prepared = response.request.copy()
    prepared.url = on_spec_server(prepared.url)
    request = RequestsOpenAPIRequest(prepared)
    openapi.validate_request(request)
    try:
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
    except ResponseNotFound:
        return False
    return True


class SimApi:
    """Plain-requests calls to the simulator's Accounting API for one grant, each request and
    answer checked against the spec (``validate``) unless ``check=False``."""

    def __init__(self, base: str, access_token: str, tenant_id: str):
        self.base, self.access_token, self.tenant_id = base, access_token, tenant_id

    def headers(self, tenant_id: str | None = None, **extra) -> dict:
        return {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json",
                "xero-tenant-id": tenant_id or self.tenant_id, **extra}

    def call(self, method: str, path: str, *, json=None, params=None, headers=None,
             tenant_id: str | None = None, check: bool = True):
        import requests

        response = requests.request(method, f"{self.base}/xero/api/api.xro/2.0/{path}", json=json,
                                    params=params, headers=self.headers(tenant_id, **(headers or {})),
                                    timeout=30)
        if check:
            checked = validate(response)
            assert checked or response.status_code >= 400, "the spec declares no such answer"
        return response

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)

    def put(self, path: str, body: dict, **kw):
        return self.call("PUT", path, json=body, **kw)

    def post(self, path: str, body: dict, **kw):
        return self.call("POST", path, json=body, **kw)
