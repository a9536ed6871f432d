"""The simulated Xero identity server's memory: authorisation codes, grants, tokens, connections.

A grant is one consent (one ``authEventId``): the organisations ticked, its current refresh
token, its access tokens and one connection per organisation. Codes live 5 minutes and work
once; access tokens live 30 minutes (``expires_in: 1800``); refresh tokens are single-use and
rotate, a used one answers ``invalid_grant``. Revoking the refresh token ends the grant: its
access tokens stop working and its connections go.

Deliberately stricter than Xero where that is safe: Xero documents a short grace period in which
the previous refresh token still works (UNVERIFIED how long); here it never does, so a client
that keeps only the newest token passes here and on Xero. Xero keeps connections per user and
app (a second consent adds to the list); here they belong to the grant, and ``authEventId``
filters them as Xero's does.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from wisesync.simulator import xero_data

CODE_LIFETIME = 300
ACCESS_LIFETIME = 1800
REFRESH_LIFETIME = 60 * 86_400  # Xero: a refresh token unused for 60 days expires

KNOWN_SCOPES = frozenset(
    "openid profile email offline_access accounting.settings accounting.settings.read "
    "accounting.contacts accounting.contacts.read accounting.transactions "
    "accounting.transactions.read accounting.invoices accounting.invoices.read "
    "accounting.payments accounting.payments.read accounting.banktransactions "
    "accounting.banktransactions.read accounting.manualjournals accounting.manualjournals.read "
    "accounting.reports.read accounting.journals.read accounting.attachments "
    "accounting.attachments.read accounting.budgets.read".split())


class GrantError(Exception):
    """An OAuth error code (``invalid_grant``, ``invalid_request``, ...) and its description."""

    def __init__(self, error: str, description: str = ""):
        super().__init__(description or error)
        self.error, self.description = error, description


@dataclass
class Connection:
    id: str
    tenant_id: str
    created: datetime
    updated: datetime


@dataclass
class Grant:
    auth_event_id: str
    client_id: str
    scope: str
    connections: dict[str, Connection] = field(default_factory=dict)  # by tenant id
    refresh_token: str | None = None
    refresh_expires: float = 0.0
    revoked: bool = False

    def tenant_ids(self) -> list[str]:
        return list(self.connections)


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str
    tenant_ids: list[str]
    expires: float
    used: bool = False


@dataclass
class AccessToken:
    grant: Grant
    expires: float


class GrantStore:
    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._lock = threading.Lock()
        self.clients = {xero_data.CLIENT_ID: xero_data.CLIENT_SECRET}
        self._codes: dict[str, Code] = {}
        self._refresh: dict[str, Grant] = {}
        self._access: dict[str, AccessToken] = {}
        self.grants: list[Grant] = []

    def client_ok(self, client_id: str, secret: str | None) -> bool:
        expected = self.clients.get(client_id)
        return expected is not None and secret is not None and secrets.compare_digest(expected, secret)

    def issue_code(self, client_id: str, redirect_uri: str, scope: str, challenge: str,
                   tenant_ids: list[str]) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = Code(client_id, redirect_uri, scope, challenge, list(tenant_ids),
                                     self._clock() + CODE_LIFETIME)
        return code

    def redeem_code(self, client_id: str, code: str, redirect_uri: str, verifier: str) -> dict:
        with self._lock:
            found = self._codes.get(code)
            if found is None or found.used or found.expires <= self._clock():
                raise GrantError("invalid_grant")
            if found.client_id != client_id or found.redirect_uri != redirect_uri:
                raise GrantError("invalid_grant")
            found.used = True
            if not verifier or _s256(verifier) != found.challenge:
                raise GrantError("invalid_grant", "code_verifier does not match the code_challenge")
            now = _utc(self._clock())
            grant = Grant(str(uuid.uuid4()), client_id, found.scope)
            for tenant_id in found.tenant_ids:
                grant.connections[tenant_id] = Connection(str(uuid.uuid4()), tenant_id, now, now)
            self.grants.append(grant)
            return self._tokens(grant)

    def refresh(self, client_id: str, refresh_token: str) -> dict:
        with self._lock:
            grant = self._refresh.get(refresh_token)
            if (grant is None or grant.revoked or grant.client_id != client_id
                    or grant.refresh_token != refresh_token or grant.refresh_expires <= self._clock()):
                raise GrantError("invalid_grant")
            del self._refresh[refresh_token]
            return self._tokens(grant)

    def revoke(self, client_id: str, token: str) -> None:
        """RFC 7009: an unknown token is not an error. Revokes the whole grant."""
        with self._lock:
            grant = self._refresh.get(token)
            if grant is None or grant.client_id != client_id:
                return
            self._end(grant)

    def _end(self, grant: Grant) -> None:
        grant.revoked = True
        grant.connections.clear()
        if grant.refresh_token:
            self._refresh.pop(grant.refresh_token, None)
        for token in [t for t, a in self._access.items() if a.grant is grant]:
            del self._access[token]

    def access(self, token: str) -> tuple[AccessToken | None, str]:
        """(token, "") when usable; (None, reason) otherwise: "expired:<when>" or "invalid"."""
        with self._lock:
            found = self._access.get(token)
            if found is None or found.grant.revoked:
                return None, "invalid"
            if found.expires <= self._clock():
                return None, "expired:" + _utc(found.expires).strftime("%m/%d/%Y %H:%M:%S")
            return found, ""

    def delete_connection(self, grant: Grant, connection_id: str) -> bool:
        with self._lock:
            for tenant_id, connection in list(grant.connections.items()):
                if connection.id == connection_id:
                    del grant.connections[tenant_id]
                    return True
            return False

    def _tokens(self, grant: Grant) -> dict:
        now = self._clock()
        access = _jwt_like(grant, now)
        self._access[access] = AccessToken(grant, now + ACCESS_LIFETIME)
        answer = {"access_token": access, "expires_in": ACCESS_LIFETIME, "token_type": "Bearer",
                  "scope": grant.scope}
        if "offline_access" in grant.scope.split():  # Xero: no refresh token without it
            refresh = secrets.token_hex(32)
            grant.refresh_token, grant.refresh_expires = refresh, now + REFRESH_LIFETIME
            self._refresh[refresh] = grant
            answer["refresh_token"] = refresh
        return answer


def _utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, timezone.utc).replace(tzinfo=None)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _jwt_like(grant: Grant, now: float) -> str:
    """Shaped like Xero's access tokens (a JWT of about a kilobyte, so storage that is too small
    shows up here), but unsigned: clients must treat it as opaque, as Xero tells them to."""
    claims = {"nbf": int(now), "exp": int(now) + ACCESS_LIFETIME, "iss": "https://identity.xero.com",
              "aud": "https://identity.xero.com/resources", "client_id": grant.client_id,
              "sub": xero_data.stable_id("user"), "auth_time": int(now),
              "xero_userid": xero_data.stable_id("xero-user"), "global_session_id": uuid.uuid4().hex,
              "sid": uuid.uuid4().hex, "jti": uuid.uuid4().hex,
              "authentication_event_id": grant.auth_event_id, "scope": grant.scope.split(),
              "amr": ["pwd"]}
    return ".".join((_b64({"alg": "RS256", "kid": "sim", "typ": "JWT"}), _b64(claims),
                     secrets.token_urlsafe(256)))
