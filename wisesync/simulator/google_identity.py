"""The simulated Google sign-in: consent page, token, revoke and userinfo, under ``/google/``
(the real ones: ``accounts.google.com/o/oauth2/v2/auth``, ``oauth2.googleapis.com/token`` and
``/revoke``, ``openidconnect.googleapis.com/v1/userinfo``).

- ``GET /google/o/oauth2/v2/auth`` (``client_id``, ``redirect_uri``, ``response_type=code``,
  ``scope``, ``state``, ``code_challenge`` + ``code_challenge_method=S256``, ``access_type``,
  ``prompt``): a consent page with the Google address (``email``, pre-filled with
  ``login_hint`` or the demo address) and *Allow* / *Cancel*; Allow redirects to
  ``redirect_uri`` with ``code``, ``scope`` and ``state``, Cancel with ``error=access_denied``.
  An unknown client or unusable redirect URI is an error page (Google's "Error 400:
  redirect_uri_mismatch" page; nothing is sent to an unverified address).
- ``POST /google/token``: ``authorization_code`` (PKCE verifier checked, code single-use, bound
  to client and redirect URI; a refresh token only when ``access_type=offline`` was asked) and
  ``refresh_token`` (no rotation). Client authentication by ``client_id``/``client_secret`` in
  the form or HTTP Basic. Errors: ``{"error": "invalid_grant", "error_description": "Bad
  Request"}`` and, for a revoked grant, "Token has been expired or revoked." (the texts clients
  quote from Google).
- ``POST /google/revoke`` (``token`` in the form or the query): 200 ``{}``; a token it does not
  know → 400 ``{"error": "invalid_token", "error_description": "Token expired or revoked"}``.
- ``GET /google/v1/userinfo`` (Bearer): ``{"sub", "email", "email_verified"}``; 401 otherwise.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, jsonify, redirect, request
from markupsafe import escape

from wisesync.simulator.faults import find, request_faults
from wisesync.simulator.google_state import (ACCESS_LIFETIME, CLIENTS, DEMO_EMAIL, KNOWN_SCOPES, Grant,
                                             attach)

BASE = "/google"


def register(app: Flask, state) -> None:
    google = attach(state)
    app.add_url_rule(f"{BASE}/o/oauth2/v2/auth", "google_authorize", lambda: _authorize(google),
                     methods=["GET", "POST"])
    app.add_url_rule(f"{BASE}/token", "google_token", lambda: _token(state, google), methods=["POST"])
    app.add_url_rule(f"{BASE}/revoke", "google_revoke", lambda: _revoke(google), methods=["POST"])
    app.add_url_rule(f"{BASE}/v1/userinfo", "google_userinfo", lambda: _userinfo(state, google))


def _error_page(error: str, description: str) -> Response:
    body = f"<h1>Error 400: {escape(error)}</h1><p>{escape(description)}</p>"
    return Response(f"<!doctype html><title>Google (simulator): error</title>{body}", status=400,
                    content_type="text/html; charset=utf-8")


def _back(redirect_uri: str, params: dict) -> Response:
    glue = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + glue + urlencode(params), 302)


def _authorize(google):
    args = request.values
    client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
    if client_id not in CLIENTS:
        return _error_page("invalid_client", "The OAuth client was not found.")
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return _error_page("redirect_uri_mismatch", "The redirect URI in the request does not match.")
    state = args.get("state")
    keep = {"state": state} if state else {}
    scope = " ".join(args.get("scope", "").split())
    if args.get("response_type") != "code":
        return _back(redirect_uri, {"error": "unsupported_response_type", **keep})
    if not scope or not set(scope.split()) <= KNOWN_SCOPES:
        return _back(redirect_uri, {"error": "invalid_scope", **keep})
    if not args.get("code_challenge") or args.get("code_challenge_method") != "S256":
        # Google accepts plain PKCE too; Wise-Sync must always send S256, so here it is required.
        return _back(redirect_uri, {"error": "invalid_request",
                                    "error_description": "code_challenge_method=S256 is required", **keep})
    email = (request.form.get("email") or args.get("login_hint") or DEMO_EMAIL).strip().lower()
    if request.method == "GET":
        return _consent(scope, email)
    if request.form.get("action") == "cancel":
        return _back(redirect_uri, {"error": "access_denied", **keep})
    if "@" not in email:
        return _consent(scope, email, "Enter a Google address.")
    offline = args.get("access_type") == "offline"
    code = google.issue_code(client_id, redirect_uri, scope + (" offline" if offline else ""),
                             args["code_challenge"], email)
    return _back(redirect_uri, {"code": code, "scope": scope, **keep})


def _consent(scope: str, email: str, message: str = "") -> Response:
    items = "".join(f"<li>{escape(s)}</li>" for s in scope.split())
    notice = f'<p role="alert">{escape(message)}</p>' if message else ""
    body = (f"<h1>Sign in with Google (simulator)</h1>{notice}<p>Wise-Sync wants to:</p><ul>{items}</ul>"
            f'<form method="post" action="{escape(request.full_path)}">'
            f'<p><label>Google account <input type="email" name="email" value="{escape(email)}"></label></p>'
            '<button type="submit" name="action" value="allow">Allow</button> '
            '<button type="submit" name="action" value="cancel">Cancel</button></form>')
    return Response(f"<!doctype html><html lang=en><meta charset=utf-8><title>Sign in - Google Accounts "
                    f"(simulator)</title><main>{body}</main></html>", content_type="text/html; charset=utf-8")


def _oauth_error(error: str, description: str = "", status: int = 400) -> Response:
    body = {"error": error, **({"error_description": description} if description else {})}
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _client() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
    else:
        client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret")
    expected = CLIENTS.get(client_id)
    return client_id if expected is not None and secret is not None and hmac.compare_digest(expected, secret) else None


def _token(state, google):
    faults = request_faults(state.faults, "google", request)
    if find(faults, "500"):
        return _oauth_error("internal_failure", status=500)
    client_id = _client()
    if client_id is None:
        return _oauth_error("invalid_client", "The OAuth client was not found.", 401)
    form = request.form
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        code = google.codes.pop(form.get("code", ""), None)  # single use, even when refused below
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (code is None or code.expires < google.now() or code.client_id != client_id
                or code.redirect_uri != form.get("redirect_uri") or not hmac.compare_digest(challenge, code.challenge)):
            return _oauth_error("invalid_grant", "Bad Request")
        offline = code.scope.endswith(" offline")
        scope = code.scope.removesuffix(" offline")
        refresh = "1//" + base64.urlsafe_b64encode(hashlib.sha256(code.challenge.encode() + verifier.encode())
                                                  .digest()).decode().rstrip("=")
        grant = google.grants[refresh] = Grant(client_id, code.email, scope, refresh)
        answer = {"access_token": google.new_access(grant), "expires_in": ACCESS_LIFETIME,
                  "scope": scope, "token_type": "Bearer", "id_token": "simulated.id.token"}
        if offline:
            answer["refresh_token"] = refresh
        return _tokens(answer)
    if grant_type == "refresh_token":
        grant = google.grants.get(form.get("refresh_token", ""))
        if grant is None or grant.client_id != client_id or grant.revoked or find(faults, "auth"):
            return _oauth_error("invalid_grant", "Token has been expired or revoked.")
        return _tokens({"access_token": google.new_access(grant), "expires_in": ACCESS_LIFETIME,
                        "scope": grant.scope, "token_type": "Bearer"})
    return _oauth_error("unsupported_grant_type", "Invalid grant_type: " + str(grant_type))


def _tokens(answer: dict) -> Response:
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _revoke(google):
    token = request.form.get("token") or request.args.get("token") or ""
    if not token or not google.revoke(token):
        return _oauth_error("invalid_token", "Token expired or revoked")
    return jsonify({})


def bearer_grant(state, google):
    """(grant, None) for a good ``Authorization: Bearer``; (None, 401 answer) otherwise."""
    faults = request_faults(state.faults, "google", request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    grant = google.grant_for_access(token.strip()) if scheme.lower() == "bearer" else None
    if grant is None or find(faults, "auth"):
        response = jsonify({"error": {"code": 401, "message": "Request had invalid authentication credentials. "
                                      "Expected OAuth 2 access token, login cookie or other valid authentication "
                                      "credential.", "status": "UNAUTHENTICATED",
                                      "errors": [{"reason": "authError", "message": "Invalid Credentials"}]}})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        return None, response
    return grant, None


def _userinfo(state, google):
    grant, refused = bearer_grant(state, google)
    if refused is not None:
        return refused
    if "email" not in grant.scope.split():
        return jsonify({"sub": _sub(grant.email)})
    return jsonify({"sub": _sub(grant.email), "email": grant.email, "email_verified": True})


def _sub(email: str) -> str:
    return str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16))
