"""The simulated Xero identity server and connections endpoint.

- ``GET /xero/identity/connect/authorize`` (``response_type=code``, ``client_id``,
  ``redirect_uri``, ``scope``, ``state``, ``code_challenge``, ``code_challenge_method=S256``):
  a consent page whose form (posted back to the same URL, query kept) has one ``tenant_ids``
  checkbox per organisation and an "Allow access" button (``action=allow``) beside "Cancel"
  (``action=cancel`` → ``error=access_denied``). Allowing redirects to ``redirect_uri`` with
  ``code``, ``scope`` and ``state``. An unknown client or unusable redirect URI is an error page
  (nothing may be sent to an unverified redirect); other bad parameters are redirected back
  as ``error=`` (RFC 6749 §4.1.2.1).
- ``POST /xero/identity/connect/token``: ``authorization_code`` (PKCE S256 verifier checked, code
  single-use, bound to client and redirect URI, 5 minutes) and ``refresh_token`` (single-use,
  rotating). Client authentication by HTTP Basic or ``client_id``/``client_secret`` in the form.
  Errors are RFC 6749 bodies (``{"error": "invalid_grant"}``).
- ``POST /xero/identity/connect/revocation`` (``token`` = refresh token): ends the grant.
- ``GET /xero/api/connections`` (Bearer; ``authEventId`` filter) and
  ``DELETE /xero/api/connections/<id>`` → 204.
"""
from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, redirect, request
from markupsafe import escape

from wisesync.simulator import xero_data
from wisesync.simulator.faults import find
from wisesync.simulator.xero_grants import KNOWN_SCOPES, GrantError
from wisesync.simulator.xero_http import (
    bearer, faults_for, finish, json_response, not_found, transport_faults)
from wisesync.simulator.xero_state import attach

IDENTITY = "/xero/identity/connect"


def register(app: Flask, state) -> None:
    attach(state)

    def authorize():
        return _authorize(state)

    def token():
        return _token(state)

    def revocation():
        return _revocation(state)

    def connections():
        return _connections(state)

    def connection(connection_id: str):
        return _delete_connection(state, connection_id)

    app.add_url_rule(f"{IDENTITY}/authorize", "xero_authorize", authorize, methods=["GET", "POST"])
    app.add_url_rule(f"{IDENTITY}/token", "xero_token", token, methods=["POST"])
    app.add_url_rule(f"{IDENTITY}/revocation", "xero_revocation", revocation, methods=["POST"])
    for spelling in ("connections", "Connections"):
        app.add_url_rule(f"/xero/api/{spelling}", f"xero_{spelling}", connections)
        app.add_url_rule(f"/xero/api/{spelling}/<connection_id>", f"xero_{spelling}_one",
                         connection, methods=["DELETE"])


# -- authorize ---------------------------------------------------------------------------------

def _authorize(state):
    faults = faults_for(state)
    early = transport_faults(faults)
    if early is not None:
        return early
    args = request.values
    client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
    if client_id not in state.xero.grants.clients:
        return _error_page("unauthorized_client", "Unknown client or client not enabled.")
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return _error_page("invalid_request", "Invalid redirect_uri.")
    back = _Back(redirect_uri, args.get("state"))
    scope = " ".join(args.get("scope", "").split())
    if args.get("response_type") != "code":
        return back.error("unsupported_response_type")
    if not scope or not set(scope.split()) <= KNOWN_SCOPES:
        return back.error("invalid_scope")
    if not args.get("state"):
        return back.error("invalid_request", "state is required")
    if not args.get("code_challenge") or args.get("code_challenge_method") != "S256":
        return back.error("invalid_request", "PKCE with code_challenge_method=S256 is required")
    if request.method == "GET":
        return _consent_page(scope)
    if request.form.get("action") == "cancel":
        return back.error("access_denied")
    ticked = [t for t in request.form.getlist("tenant_ids") if t in state.xero.orgs]
    if not ticked:
        return _consent_page(scope, "Select at least one organisation to connect.")
    code = state.xero.grants.issue_code(client_id, redirect_uri, scope,
                                        args["code_challenge"], ticked)
    return back.to({"code": code, "scope": scope, "state": args["state"]})


class _Back:
    def __init__(self, redirect_uri: str, state: str | None):
        self.redirect_uri, self.state = redirect_uri, state

    def to(self, params: dict) -> Response:
        glue = "&" if "?" in self.redirect_uri else "?"
        return redirect(self.redirect_uri + glue + urlencode(params), 302)

    def error(self, error: str, description: str = "") -> Response:
        params = {"error": error}
        if description:
            params["error_description"] = description
        if self.state:
            params["state"] = self.state
        return self.to(params)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main>{body}</main></body></html>"""


def _consent_page(scope: str, message: str = "") -> Response:
    boxes = "".join(
        f'<p><label><input type="checkbox" name="tenant_ids" value="{escape(tenant_id)}"> '
        f"{escape(seed.name)} ({escape(seed.country)})</label></p>"
        for tenant_id, seed in xero_data.ORGS.items())
    notice = f'<p role="alert">{escape(message)}</p>' if message else ""
    scopes = "".join(f"<li>{escape(s)}</li>" for s in scope.split())
    body = (f"<h1>Wise-Sync simulator wants to access your Xero organisations</h1>{notice}"
            f"<p>It asks for:</p><ul>{scopes}</ul>"
            f'<form method="post" action="{escape(request.full_path)}">{boxes}'
            '<button type="submit" name="action" value="allow">Allow access</button> '
            '<button type="submit" name="action" value="cancel">Cancel</button></form>')
    return Response(_PAGE.format(title="Connect to Xero (simulator)", body=body),
                    content_type="text/html; charset=utf-8")


def _error_page(error: str, description: str) -> Response:
    body = f"<h1>Error: {escape(error)}</h1><p>{escape(description)}</p>"
    return Response(_PAGE.format(title="Xero (simulator): error", body=body), status=400,
                    content_type="text/html; charset=utf-8")


# -- token, revocation -------------------------------------------------------------------------

def _client(state) -> tuple[str | None, Response | None]:
    """The authenticated client id, or an ``invalid_client`` answer (401 after Basic, else 400)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            client_id, secret = "", None
        if state.xero.grants.client_ok(client_id, secret):
            return client_id, None
        return None, _oauth_error("invalid_client", 401, {"WWW-Authenticate": "Basic"})
    client_id = request.form.get("client_id", "")
    if state.xero.grants.client_ok(client_id, request.form.get("client_secret")):
        return client_id, None
    return None, _oauth_error("invalid_client", 400)


def _oauth_error(error: str, status: int = 400, headers: dict | None = None,
                 description: str = "") -> Response:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(body, status, {"Cache-Control": "no-store", **(headers or {})})


def _token(state):
    faults = faults_for(state)
    early = transport_faults(faults)
    if early is not None:
        return early
    client_id, refused = _client(state)
    if refused is not None:
        return refused
    form = request.form
    grants = state.xero.grants
    try:
        if find(faults, "auth"):
            raise GrantError("invalid_grant")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            if not form.get("code") or not form.get("redirect_uri"):
                raise GrantError("invalid_request", "code and redirect_uri are required")
            answer = grants.redeem_code(client_id, form["code"], form["redirect_uri"],
                                        form.get("code_verifier", ""))
        elif grant_type == "refresh_token":
            if not form.get("refresh_token"):
                raise GrantError("invalid_request", "refresh_token is required")
            answer = grants.refresh(client_id, form["refresh_token"])
        else:
            raise GrantError("unsupported_grant_type")
    except GrantError as exc:
        return _oauth_error(exc.error, description=exc.description)
    return finish(faults, json_response(answer, headers={"Cache-Control": "no-store",
                                                         "Pragma": "no-cache"}))


def _revocation(state):
    faults = faults_for(state)
    early = transport_faults(faults)
    if early is not None:
        return early
    client_id, refused = _client(state)
    if refused is not None:
        return refused
    if not request.form.get("token"):
        return _oauth_error("invalid_request", description="token is required")
    state.xero.grants.revoke(client_id, request.form["token"])
    return Response(status=200)


# -- connections -------------------------------------------------------------------------------

def _connections(state):
    faults = faults_for(state)
    early = transport_faults(faults)
    if early is not None:
        return early
    access, refused = bearer(state, faults)
    if refused is not None:
        return refused
    grant = access.grant
    wanted = request.args.get("authEventId")
    rows = [] if wanted and wanted != grant.auth_event_id else [
        {"id": c.id, "authEventId": grant.auth_event_id, "tenantId": c.tenant_id,
         "tenantType": "ORGANISATION", "tenantName": xero_data.ORGS[c.tenant_id].name,
         "createdDateUtc": _xero_utc(c.created), "updatedDateUtc": _xero_utc(c.updated)}
        for c in grant.connections.values()]
    return finish(faults, json_response(rows))


def _delete_connection(state, connection_id: str):
    faults = faults_for(state)
    early = transport_faults(faults)
    if early is not None:
        return early
    access, refused = bearer(state, faults)
    if refused is not None:
        return refused
    if not state.xero.grants.delete_connection(access.grant, connection_id):
        return not_found()
    return Response(status=204)


def _xero_utc(moment) -> str:
    """Xero's own form: seven fraction digits and no zone (the identity spec's example,
    ``2019-12-07T18:46:19.5165400``), though the spec types it ``date-time``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"
