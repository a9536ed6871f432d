"""Google: OAuth 2.0 (authorization code + PKCE S256), userinfo, and a read-only Drive.

Plain Python, no Flask (like :mod:`wisesync.accounting.xero`). HTTP goes through the PSA
clients' outbound guard (:class:`wisesync.psa.http.GuardedHttp`: resolved-address check,
per-redirect checks, timeouts, body cap); Authlib's ``OAuth2Session`` builds the OAuth requests.

Scopes (:data:`SCOPES`): ``openid email`` to show which Google address was connected, and
``drive.readonly`` — the smallest scope that lets the person *search* their existing Drive files
from Wise-Sync. ``drive.file`` would be narrower but only reaches files the app created or that
the person opened through Google's Picker, a script loaded from Google's servers into the page;
the portal is self-hosted, may be offline and loads no third-party script, so the Picker is
not an option. ``drive.readonly`` is a "restricted" scope: a Google Cloud app whose users are
outside its own Workspace needs Google's verification; an "Internal" app (the usual self-hosted
case) does not.

Google's refresh tokens do not rotate (the token answer usually carries none on refresh), so
two workers refreshing at once both succeed: no claim/lock is needed, unlike Xero.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from wisesync.google.errors import (RECONNECT, GoogleAuthError, GoogleBadResponse, GoogleError,
                                    GoogleForbidden, GoogleNotFound, GoogleTokenRevoked,
                                    GoogleUnavailable)
from wisesync.psa.errors import PsaError
from wisesync.psa.http import GuardedHttp, OutboundPolicy

SCOPES = "openid email https://www.googleapis.com/auth/drive.readonly"
SERVICE = "Google"
MAX_FILE = 10 * 1024 * 1024  # what Xero takes per attachment; nothing larger is downloaded
_CREDENTIALS_FIX = ("Check WISESYNC_GOOGLE_CLIENT_ID and WISESYNC_GOOGLE_CLIENT_SECRET match the OAuth "
                    "client in Google Cloud Console (APIs & Services → Credentials).")
_FILE_FIELDS = "id,name,mimeType,size,modifiedTime"


@dataclass(frozen=True)
class GoogleSettings:
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    revoke_url: str
    userinfo_url: str
    drive_url: str
    allow_local: bool = False


@dataclass(frozen=True)
class GoogleTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)  # "" on a refresh: Google keeps the old one valid
    expires_at: datetime  # naive UTC
    scope: str = ""


@dataclass(frozen=True)
class DriveFile:
    id: str
    name: str
    mime_type: str
    size: int | None
    modified: str  # RFC 3339 as Google sends it


def new_code_verifier() -> str:
    return generate_token(64)


def _policy(settings: GoogleSettings, policy: OutboundPolicy | None) -> OutboundPolicy:
    return dataclasses.replace(policy or OutboundPolicy(), allow_local=settings.allow_local,
                               max_body=MAX_FILE + 64 * 1024)


def _guarded(http: GuardedHttp, method: str, url: str, **kwargs) -> requests.Response:
    try:
        return http.send(method, url, **kwargs)
    except PsaError as exc:
        explanation = exc.explanation.replace("the PSA", "Google").replace("The PSA", "Google")
        raise GoogleUnavailable(explanation, "Check the Wise-Sync server can reach Google (accounts.google.com, "
                                "oauth2.googleapis.com, www.googleapis.com) and try again; check the "
                                "WISESYNC_GOOGLE_* addresses if they were changed.") from exc


class _GuardedOAuth2Session(OAuth2Session):
    def __init__(self, http: GuardedHttp, **kwargs):
        super().__init__(**kwargs)
        self._http = http

    def request(self, method, url, withhold_token=False, auth=None, **kwargs):
        for owned_by_guard in ("timeout", "allow_redirects", "stream"):
            kwargs.pop(owned_by_guard, None)
        return _guarded(self._http, method, url, auth=auth, **kwargs)


class GoogleOAuth:
    """Consent URL, code exchange, refresh, revocation and the signed-in address."""

    def __init__(self, settings: GoogleSettings, session: requests.Session | None = None,
                 policy: OutboundPolicy | None = None):
        self.settings = settings
        self._http = GuardedHttp(session, _policy(settings, policy), service=SERVICE)

    def __repr__(self) -> str:
        return f"<GoogleOAuth client_id={self.settings.client_id!r}>"

    def _session(self, redirect_uri: str | None = None) -> _GuardedOAuth2Session:
        return _GuardedOAuth2Session(self._http, client_id=self.settings.client_id,
                                     client_secret=self.settings.client_secret,
                                     token_endpoint_auth_method="client_secret_post",
                                     redirect_uri=redirect_uri, code_challenge_method="S256")

    def authorization_url(self, redirect_uri: str, state: str, code_verifier: str, login_hint: str = "") -> str:
        """Google's consent page for :data:`SCOPES`. ``access_type=offline`` asks for a refresh
        token; ``prompt=consent`` makes Google send one even to someone who connected before."""
        extra = {"access_type": "offline", "prompt": "consent"}
        if login_hint:
            extra["login_hint"] = login_hint
        with self._session(redirect_uri) as oauth:
            url, _ = oauth.create_authorization_url(self.settings.authorize_url, state=state,
                                                    code_verifier=code_verifier, scope=SCOPES, **extra)
        return url

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> GoogleTokens:
        with self._session(redirect_uri) as oauth:
            token = self._token_call(lambda: oauth.fetch_token(
                self.settings.token_url, grant_type="authorization_code", code=code,
                code_verifier=code_verifier, redirect_uri=redirect_uri), refused=GoogleAuthError(
                "Google refused the sign-in code (invalid_grant): it expired, was used already, or the "
                "redirect address differs from the one registered.",
                "Click Connect Google Account again. If it keeps failing, check WISESYNC_PUBLIC_URL gives "
                "the exact redirect URI registered for the OAuth client.", status=400))
        tokens = _tokens(token)
        if not tokens.refresh_token:
            raise GoogleBadResponse("Google's answer held no refresh token, so access would end within the hour.",
                                    "Click Connect Google Account again and allow access.")
        return tokens

    def refresh(self, refresh_token: str) -> GoogleTokens:
        """A new access token; raises :class:`GoogleTokenRevoked` when Google refuses (revoked
        at myaccount.google.com, password changed, unused for six months)."""
        with self._session() as oauth:
            token = self._token_call(lambda: oauth.refresh_token(self.settings.token_url,
                                                                 refresh_token=refresh_token),
                                     refused=GoogleTokenRevoked(
                                         "Google no longer accepts Wise-Sync's access to your Google account "
                                         "(it was revoked, or expired).", RECONNECT + ".", status=400))
        return _tokens(token)

    def revoke(self, token: str) -> None:
        """Revoke the grant (a refresh token revokes its access tokens too). A token Google no
        longer knows counts as revoked."""
        response = _guarded(self._http, "POST", self.settings.revoke_url, data={"token": token},
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        if response.status_code < 400:
            return
        if response.status_code == 400 and _oauth_error(response) in ("invalid_token", "invalid_grant"):
            return
        raise _status_error(response, "the revocation of the Google connection")

    def userinfo(self, access_token: str) -> dict:
        """``{"sub", "email", "email_verified"}`` of the signed-in Google account."""
        response = _guarded(self._http, "GET", self.settings.userinfo_url, headers=_bearer(access_token))
        if response.status_code >= 400:
            raise _status_error(response, "your Google address")
        body = _json(response)
        if not isinstance(body, dict) or not body.get("sub") or not body.get("email"):
            raise GoogleBadResponse("Google did not say which account signed in.",
                                    "Click Connect Google Account again and allow the email permission.")
        return body

    def _token_call(self, call, *, refused: GoogleError):
        try:
            return call()
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                raise refused from None
            if exc.error in ("invalid_client", "unauthorized_client"):
                raise GoogleAuthError(f"Google does not accept Wise-Sync's OAuth client ({exc.error}).",
                                      _CREDENTIALS_FIX, status=400) from None
            raise GoogleAuthError(f"Google's sign-in service refused the request ({exc.error}).",
                                  "Click Connect Google Account again; if it keeps failing, "
                                  + _CREDENTIALS_FIX[0].lower() + _CREDENTIALS_FIX[1:], status=400) from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            raise GoogleUnavailable(f"Google's sign-in service answered HTTP {status}.",
                                    "Try again in a few minutes.", status=status) from None
        except ValueError:
            raise GoogleBadResponse("Google's sign-in service answered with something other than a token.",
                                    "Check WISESYNC_GOOGLE_TOKEN_URL (https://oauth2.googleapis.com/token).") from None


class DriveClient:
    """The person's Drive, read-only, with one access token."""

    def __init__(self, settings: GoogleSettings, access_token: str, session: requests.Session | None = None,
                 policy: OutboundPolicy | None = None):
        self.settings = settings
        self._token = access_token
        self._http = GuardedHttp(session, _policy(settings, policy), service=SERVICE)

    def __repr__(self) -> str:
        return f"<DriveClient {self.settings.drive_url}>"

    def _get(self, path: str, what: str, params: dict | None = None) -> requests.Response:
        response = _guarded(self._http, "GET", self.settings.drive_url.rstrip("/") + path, params=params,
                            headers=_bearer(self._token))
        if response.status_code >= 400:
            raise _status_error(response, what)
        return response

    def search(self, *, name: str = "", mime_types=(), modified_after: datetime | None = None,
               page_token: str = "", page_size: int = 25) -> tuple[list[DriveFile], str]:
        """Files not in the bin whose name contains ``name`` and whose type is one of
        ``mime_types`` (a type ending in ``/`` matches its family, e.g. ``image/``), changed after
        ``modified_after``; newest first. Returns (files, next page token or "")."""
        params = {"q": drive_query(name=name, mime_types=mime_types, modified_after=modified_after),
                  "fields": f"nextPageToken,files({_FILE_FIELDS})", "pageSize": str(page_size),
                  "orderBy": "modifiedTime desc", "spaces": "drive"}
        if page_token:
            params["pageToken"] = page_token
        body = _json(self._get("/files", "the list of your Drive files", params))
        if not isinstance(body, dict) or not isinstance(body.get("files", []), list):
            raise GoogleBadResponse("Google Drive answered the file list in an unexpected shape.",
                                    "Check WISESYNC_GOOGLE_DRIVE_URL (https://www.googleapis.com/drive/v3).")
        return [_drive_file(f) for f in body.get("files", []) if isinstance(f, dict)], str(body.get("nextPageToken") or "")

    def metadata(self, file_id: str) -> DriveFile:
        body = _json(self._get(f"/files/{quote(file_id, safe='')}", "the Drive file", {"fields": _FILE_FIELDS}))
        if not isinstance(body, dict) or not body.get("id"):
            raise GoogleBadResponse("Google Drive answered without the file's details.", "Try again.")
        return _drive_file(body)

    def download(self, file_id: str) -> bytes:
        """The file's bytes (``alt=media``). Files over :data:`MAX_FILE` end as an error from the
        guard's body cap; check :meth:`metadata` first to say so plainly."""
        return self._get(f"/files/{quote(file_id, safe='')}", "the Drive file", {"alt": "media"}).content


def drive_query(*, name: str = "", mime_types=(), modified_after: datetime | None = None) -> str:
    """A Drive ``q``: ``trashed = false and name contains '…' and (mimeType = '…' or …) and
    modifiedTime > '…'``. Quotes and backslashes in values are escaped as Drive wants (``\\'``)."""
    terms = ["trashed = false"]
    if name.strip():
        terms.append(f"name contains {_literal(name.strip())}")
    types = [f"mimeType contains {_literal(t)}" if t.endswith("/") else f"mimeType = {_literal(t)}"
             for t in mime_types]
    if types:
        terms.append("(" + " or ".join(types) + ")" if len(types) > 1 else types[0])
    if modified_after is not None:
        terms.append(f"modifiedTime > {_literal(modified_after.strftime('%Y-%m-%dT%H:%M:%S'))}")
    return " and ".join(terms)


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _drive_file(body: dict) -> DriveFile:
    size = body.get("size")
    return DriveFile(str(body.get("id") or ""), str(body.get("name") or ""), str(body.get("mimeType") or ""),
                     int(size) if isinstance(size, (int, str)) and str(size).isdigit() else None,
                     str(body.get("modifiedTime") or ""))


def _tokens(token: dict) -> GoogleTokens:
    access = token.get("access_token")
    if not access:
        raise GoogleBadResponse("Google's answer held no access token.", "Click Connect Google Account again.")
    if token.get("expires_at") is not None:
        expires = datetime.fromtimestamp(int(token["expires_at"]), timezone.utc).replace(tzinfo=None)
    else:
        expires = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)
    return GoogleTokens(str(access), str(token.get("refresh_token") or ""), expires, str(token.get("scope") or ""))


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _json(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        raise GoogleBadResponse(f"Google answered HTTP {response.status_code} with something that is not JSON.",
                                "Check the WISESYNC_GOOGLE_* addresses point at Google's APIs.") from None


def _oauth_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    return str(error.get("status") if isinstance(error, dict) else error or "")


def _reason(response: requests.Response) -> str:
    """Google API errors: ``{"error": {"code", "message", "errors": [{"reason"}]}}``."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        reasons = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
        return re.sub(r"\s+", " ", " ".join(filter(None, [*reasons, str(error.get("message") or "")])))[:300]
    return str(error or "")[:300]


def _status_error(response: requests.Response, what: str) -> GoogleError:
    status = response.status_code
    said = _reason(response)
    if status == 401:
        return GoogleTokenRevoked(f"Google did not accept Wise-Sync's access to your Google account for {what}.",
                                  RECONNECT + ".", status=status)
    if status == 403:
        return GoogleForbidden(f"Google refused {what}" + (f" ({said})" if said else "") + ".",
                               RECONNECT + " and allow Wise-Sync to see your Drive files.", status=status)
    if status == 404:
        return GoogleNotFound(f"Google Drive found nothing for {what}: the file was deleted or is not shared "
                              "with you any more.", "Search your Drive again and pick another file.", status=status)
    if status == 429 or status >= 500:
        return GoogleUnavailable(f"Google could not answer {what} just now (HTTP {status}).",
                                 "Try again in a minute.", status=status)
    return GoogleError(f"Google refused {what} (HTTP {status})" + (f": {said}." if said else "."),
                       "Try again; if it keeps happening, tell whoever looks after Wise-Sync.", status=status)
