"""How Wise-Sync talks HTTP to Xero: the PSA clients' outbound guard, Xero's retry rules, exact JSON.

Every attempt goes through :meth:`wisesync.psa.http.GuardedHttp.send` (allowed targets with the
resolved-address check, each redirect re-checked, timeouts, body cap). On top of it, Xero's rules:

- 429: wait for ``Retry-After`` (no longer than the policy's ``max_wait``) and try again, a
  bounded number of times; the daily cap (``X-Rate-Limit-Problem: day``) is raised at once, since
  waiting for a day inside a sync would help nobody.
- 5xx, timeouts and dropped connections are retried only when a repeat cannot create a second
  record: GETs and DELETEs, and PUT/POSTs that carry an ``Idempotency-Key`` (Xero answers a replay
  of a key with the first result; that is what the key is for). A token POST is never repeated
  after a 5xx: a refresh token is single-use, and the first attempt may have spent it.
- The ``limiter`` (optional) holds a call slot for each attempt and sees every response's headers.

Money stays exact: answers are parsed with ``parse_float=Decimal`` and :func:`dumps` writes a
``Decimal`` as the JSON number it spells (``Decimal("12.3456")`` → ``12.3456``), never via float.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any
from uuid import UUID

import requests

from wisesync.accounting.errors import (RECONNECT, XeroAuthError, XeroBadResponse, XeroBlockedTarget,
                                        XeroError, XeroForbidden, XeroNotFound, XeroRateLimited,
                                        XeroUnavailable, XeroValidationError)
from wisesync.psa.errors import (PsaBadResponse, PsaBlockedTarget, PsaError, PsaTimeout, PsaTlsError,
                                 PsaUnavailable, scrub)
from wisesync.psa.http import GuardedHttp, OutboundPolicy, retry_after_seconds

SERVICE = "Xero"
_SETTINGS_FIX = ("Check the Xero addresses Wise-Sync is configured with (WISESYNC_XERO_AUTHORIZE_URL, "
                 "WISESYNC_XERO_IDENTITY_URL, WISESYNC_XERO_API_URL): they should be Xero's own https "
                 "addresses, such as https://api.xero.com.")
_STATUS_PAGE = "status.xero.com says whether Xero itself is having problems."


# -- JSON ----------------------------------------------------------------------------------

def dumps(value: Any) -> str:
    """JSON text for a Xero request body: ``Decimal`` as an exact number, ``date`` as
    ``"YYYY-MM-DD"``, ``datetime`` as ``"YYYY-MM-DDTHH:MM:SS"`` (UTC when it carries a zone),
    ``UUID`` as a string. A ``float`` is refused (TypeError): money must not pass through one.
    """
    out: list[str] = []
    _encode(value, out.append)
    return "".join(out)


def _encode(value: Any, out) -> None:
    if value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, str):
        out(encode_basestring_ascii(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be sent to Xero: it is not a number.")
        out(format(value, "f"))  # "f": never an exponent (1E+2 → 100), every digit kept
    elif isinstance(value, int):
        out(int.__repr__(value))
    elif isinstance(value, float):
        raise TypeError(f"{value!r} is a float; pass money and quantities to Xero as Decimal.")
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        out('"' + value.isoformat(timespec="seconds") + '"')
    elif isinstance(value, date):
        out('"' + value.isoformat() + '"')
    elif isinstance(value, UUID):
        out('"' + str(value) + '"')
    elif isinstance(value, Mapping):
        out("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {key!r}.")
            out(("," if index else "") + encode_basestring_ascii(key) + ":")
            _encode(item, out)
        out("}")
    elif isinstance(value, (list, tuple)):
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _encode(item, out)
        out("]")
    else:
        raise TypeError(f"{type(value).__name__} cannot be sent to Xero as JSON.")


def loads(response: requests.Response) -> Any:
    """The JSON body with every fraction as ``Decimal``; :class:`XeroBadResponse` when it is not JSON."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise XeroBadResponse(
            f"Xero answered HTTP {response.status_code} with a body that is not valid JSON.",
            "Try again; if it persists, check WISESYNC_XERO_API_URL points at Xero's API "
            "(https://api.xero.com), not at a web page.", status=response.status_code) from exc


# -- transport -----------------------------------------------------------------------------

def xero_policy(allow_local: bool, policy: OutboundPolicy | None) -> OutboundPolicy:
    """The caller's policy (timeouts, retries, sleep) with ``allow_local`` from the Xero settings."""
    if policy is None:
        return OutboundPolicy(allow_local=allow_local)
    return dataclasses.replace(policy, allow_local=allow_local)


class XeroTransport:
    """One logical Xero request = up to ``policy.max_retries + 1`` guarded attempts."""

    def __init__(self, session: requests.Session | None, policy: OutboundPolicy, *,
                 secrets: tuple[str, ...] = (), limiter=None):
        self.http = GuardedHttp(session, policy, service=SERVICE)
        self.limiter = limiter
        self.calls = 0
        self.secrets = tuple(s for s in secrets if s)

    @property
    def policy(self) -> OutboundPolicy:
        return self.http.policy

    def send(self, method: str, url: str, *, idempotent: bool, what: str, **kwargs) -> requests.Response:
        """The final response of any status but 429 (which ends as :class:`XeroRateLimited`).

        ``idempotent`` says a repeat is harmless (5xx and transport failures are then retried).
        Transport failures end as :class:`XeroUnavailable` / :class:`XeroBlockedTarget`.
        """
        policy = self.policy
        attempt = 0
        while True:
            try:
                response = self._attempt(method, url, **kwargs)
            except PsaError as exc:
                retryable = isinstance(exc, (PsaTimeout, PsaUnavailable)) and not isinstance(exc, PsaTlsError)
                if idempotent and retryable and attempt < policy.max_retries:
                    policy.sleep(policy.backoff * (2 ** attempt))
                    attempt += 1
                    continue
                raise _from_guard(exc) from exc
            status = response.status_code
            if status == 429:
                wait = self._rate_limit_wait(response, attempt, what)
            elif status >= 500 and idempotent and attempt < policy.max_retries:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                wait = policy.backoff * (2 ** attempt) if wait is None else wait
                if wait > policy.max_wait:
                    return response
            else:
                return response
            policy.sleep(wait)
            attempt += 1

    def _attempt(self, method: str, url: str, **kwargs) -> requests.Response:
        slot = self.limiter.slot() if self.limiter is not None else contextlib.nullcontext()
        with slot:
            try:
                response = self.http.send(method, url, **kwargs)
            except (PsaTimeout, PsaUnavailable):
                self.calls += 1  # it left this machine; Xero may have counted it
                raise
            self.calls += 1
            if self.limiter is not None:
                self.limiter.observe(response.headers)
        return response

    def _rate_limit_wait(self, response: requests.Response, attempt: int, what: str) -> float:
        """Seconds to wait before the next attempt, or raise :class:`XeroRateLimited`."""
        policy = self.policy
        problem = (response.headers.get("X-Rate-Limit-Problem") or "").strip().lower() or None
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if problem != "day" and attempt < policy.max_retries:
            planned = policy.backoff * (2 ** attempt) if wait is None else wait
            if planned <= policy.max_wait:
                return planned
        raise rate_limited(problem, wait, attempt + 1, what)

    def scrub(self, text: str | None) -> str:
        return scrub(text, *self.secrets)[:1000]


def rate_limited(problem: str | None, retry_after: float | None, attempts: int, what: str) -> XeroRateLimited:
    when = _when(retry_after)
    if problem == "day":
        explanation = ("Xero's daily limit of API calls for this organisation is used up (5,000 calls "
                       "a day, 1,000 on Xero's Starter developer tier).")
        fix = (f"Nothing is lost: the records not synced yet wait for the next run. The limit resets "
               f"{when or 'within 24 hours'}; other apps connected to the organisation share it.")
    else:
        limit = {"appminute": "Wise-Sync's Xero app made too many calls this minute across all "
                              "organisations (10,000 a minute)",
                 "concurrent": "too many calls to this organisation were running at once (5 at most)",
                 }.get(problem or "", "this organisation had too many calls this minute (60 a minute)")
        tries = f"{attempts} attempt{'s' * (attempts > 1)}"
        explanation = f"Xero kept refusing calls for {what} after {tries}: {limit}."
        fix = (f"Sync again {when or 'in a minute'}; other apps connected to the same Xero "
               "organisation share its limit.")
    return XeroRateLimited(explanation, fix, status=429, retry_after=retry_after, problem=problem)


def _when(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 90:
        return f"in about {max(1, round(seconds))} seconds"
    if seconds < 5400:
        return f"in about {round(seconds / 60)} minutes"
    return f"in about {round(seconds / 3600)} hours"


def _xero_words(text: str) -> str:
    """The guard's explanations are worded for PSAs; the facts in them hold for Xero too."""
    return text.replace("PSAs", "Xero").replace("The PSA host", "The Xero host").replace("the PSA", "Xero")


def _from_guard(exc: PsaError) -> XeroError:
    explanation = _xero_words(exc.explanation)
    if isinstance(exc, PsaBlockedTarget):
        return XeroBlockedTarget(explanation, _SETTINGS_FIX)
    if isinstance(exc, PsaTlsError):
        return XeroUnavailable(explanation, "Check the Xero addresses are Xero's own "
                               "(https://api.xero.com). A proxy that inspects TLS needs its "
                               "certificate trusted by the Wise-Sync server.")
    if isinstance(exc, PsaTimeout):
        return XeroUnavailable(explanation, "Try again in a few minutes. " + _STATUS_PAGE)
    if isinstance(exc, PsaBadResponse):
        return XeroBadResponse(explanation, _SETTINGS_FIX)
    return XeroUnavailable(explanation, "Check the Wise-Sync server can reach the internet (api.xero.com, "
                           "identity.xero.com) and try again. " + _STATUS_PAGE)


# -- answers that are errors ----------------------------------------------------------------

def error_messages(response: requests.Response) -> list[str]:
    """Every message in a Xero error body: ``Elements[].ValidationErrors[].Message`` (each once,
    in order), else ``Message``/``Detail``/``error_description``; the body text when not JSON."""
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        text = response.content[:300].decode("utf-8", "replace").strip()
        return [text] if text and "<" not in text[:1] else []
    if not isinstance(body, dict):
        return []
    messages: list[str] = []
    for element in body.get("Elements") or []:
        if isinstance(element, dict):
            for error in element.get("ValidationErrors") or []:
                message = error.get("Message") if isinstance(error, dict) else None
                if message and message not in messages:
                    messages.append(str(message))
    if not messages:
        for key in ("Message", "Detail", "error_description", "error", "Title"):
            if body.get(key):
                messages.append(str(body[key]))
                break
    return messages


def raise_for_response(transport: XeroTransport, response: requests.Response, what: str) -> None:
    """Raise the :class:`XeroError` for a status of 400 and up; return for anything else."""
    status = response.status_code
    if status < 400:
        return
    messages = [transport.scrub(m) for m in error_messages(response)]
    said = "; ".join(messages) or None
    if status == 400:
        raise XeroValidationError(
            f"Xero refused {what}: " + (said or "it gave no reason (HTTP 400)") + ".",
            "Correct what Xero names (in the PSA or in the company's accounting settings) and sync again.",
            messages=messages, status=status, xero_message=said)
    if status == 401:
        raise XeroAuthError(
            "Xero did not accept the access token for this organisation: it expired or the "
            "connection was revoked.",
            "Try again: Wise-Sync renews the token first. If it keeps happening, "
            + RECONNECT[0].lower() + RECONNECT[1:] + ".", status=status, xero_message=said)
    if status == 403:
        raise XeroForbidden(
            f"Xero refused access for {what}: the organisation was disconnected from Wise-Sync's "
            "Xero app, or the app lacks the scope (permission) this needs.",
            RECONNECT + " and allow every permission Xero asks for.", status=status, xero_message=said)
    if status == 404:
        raise XeroNotFound(
            f"Xero found nothing for {what} (HTTP 404).",
            "The document may have been deleted or voided in Xero. If every call says this, check "
            "WISESYNC_XERO_API_URL (https://api.xero.com).", status=status, xero_message=said)
    if status == 429:  # only reached by callers that skip the transport's rate-limit handling
        raise rate_limited((response.headers.get("X-Rate-Limit-Problem") or "").lower() or None,
                           retry_after_seconds(response.headers.get("Retry-After")), 1, what)
    if status >= 500:
        raise XeroUnavailable(
            f"Xero kept failing (HTTP {status}) for {what}.",
            "Try again in a few minutes. " + _STATUS_PAGE, status=status, xero_message=said)
    raise XeroError(
        f"Xero refused the request for {what} (HTTP {status})" + (f": {said}." if said else "."),
        "Try again; if it keeps happening, send this message to whoever looks after Wise-Sync.",
        status=status, xero_message=said)
