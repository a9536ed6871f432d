"""Guarded outbound HTTP shared by every PSA client.

Every call: only allowed targets (``https`` and public addresses unless ``allow_local``),
each redirect re-checked, a timeout, a cap on the body size, bounded retries with backoff on
429/502/503/504 (honouring ``Retry-After``), and transport failures turned into ``PsaError``s.
"""
from __future__ import annotations

import email.utils
import ipaddress
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urljoin, urlsplit

import requests

from wisesync.psa.errors import (PsaBadResponse, PsaBlockedTarget, PsaRateLimited, PsaTimeout,
                                 PsaTlsError, PsaUnavailable)

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
MAX_BODY = 64 * 1024 * 1024
MAX_REDIRECTS = 3
RETRY_STATUSES = {429, 502, 503, 504}


@dataclass
class OutboundPolicy:
    """What a client may call. ``allow_local`` is for development, tests and the simulator."""

    allow_local: bool = False
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    max_body: int = MAX_BODY
    max_retries: int = 4
    max_wait: float = 60.0  # never sleep longer than this for one Retry-After
    backoff: float = 0.5
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def valid_hostname(host: str) -> bool:
    """A DNS name of letters, digits and dashes (or an IP literal): no empty labels, no ``..``."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.lower().rstrip(".").split(".")
    return len(host) <= 253 and all(_LABEL.match(label) for label in labels)


def check_url(url: str, allow_local: bool = False) -> None:
    """Raise :class:`PsaBlockedTarget` unless ``url`` is a permitted PSA address.

    The host is resolved and *every* address it resolves to must be public, so a name that
    points at 127.0.0.1 or 10.x is refused like the literal address.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or not valid_hostname(parts.hostname):
        raise PsaBlockedTarget(f"{url!r} is not a web address.",
                               "Enter the PSA's address, like api-na.myconnectwise.net.")
    if parts.scheme == "http" and not allow_local:
        raise PsaBlockedTarget(
            f"Wise-Sync only talks to PSAs over https, and {parts.hostname} was given as http.",
            "Use the https address of your PSA.")
    if allow_local:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise PsaUnavailable(
            f"The PSA host {parts.hostname} could not be found (DNS lookup failed).",
            "Check the site or host name for typos; for a self-hosted PSA make sure its name "
            "resolves from the Wise-Sync server.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise PsaBlockedTarget(
                f"{parts.hostname} points to a private or local address ({address}), which "
                "Wise-Sync does not call.",
                "Use your PSA's public address. For local development set WISESYNC_ALLOW_LOCAL_PSA=1.")


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class GuardedHttp:
    """A ``requests.Session`` wrapped in the outbound policy. One per client."""

    def __init__(self, session: requests.Session | None = None, policy: OutboundPolicy | None = None,
                 *, service: str = "the PSA"):
        self.session = session or requests.Session()
        self.policy = policy or OutboundPolicy()
        self.service = service

    def request(self, method: str, url: str, *, retry_5xx: bool = True, **kwargs) -> requests.Response:
        """Send one logical request; returns the final response with its body read.

        Raises :class:`PsaRateLimited` when 429/503 persist past the retries and
        :class:`PsaUnavailable` family errors for transport failures. Other statuses are
        returned for the client to interpret (each PSA words its errors differently).
        """
        policy = self.policy
        attempt = 0
        while True:
            response = self.send(method, url, **kwargs)
            status = response.status_code
            retryable = status in RETRY_STATUSES or (retry_5xx and status >= 500)
            if not retryable or attempt >= policy.max_retries:
                break
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is None:
                wait = policy.backoff * (2 ** attempt)
            if wait > policy.max_wait:
                break
            attempt += 1
            policy.sleep(wait)
        if status in (429, 503):
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            raise PsaRateLimited(
                f"{self.service} kept refusing requests (HTTP {status}: too many requests) after "
                f"{attempt + 1} attempts.",
                "Wait a few minutes and try again; if it keeps happening, other integrations may "
                "be using up the API limit.",
                status=status, retry_after=wait)
        return response

    def send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One attempt, no retries: every hop checked, the timeout, the body cap, and transport
        failures as ``PsaError``s; any status is returned. For a client that retries by its own
        rules (``wisesync.accounting`` reads Xero's rate-limit headers between attempts).
        """
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, self.policy.allow_local)
            response = self._send(method, url, **kwargs)
            if response.is_redirect and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                if response.status_code in (301, 302, 303):
                    method, kwargs = "GET", {k: v for k, v in kwargs.items() if k not in ("data", "json")}
                continue
            return response
        raise PsaBadResponse(f"{self.service} redirected too many times.",
                             "Check the PSA address; it should be the API host itself.")

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        host = urlsplit(url).hostname
        try:
            response = self.session.request(method, url, timeout=self.policy.timeout,
                                            allow_redirects=False, stream=True, **kwargs)
            self._read_body(response)
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema) as exc:
            raise PsaBlockedTarget(
                f"{url!r} is not a usable web address.",
                "Check the PSA site or host name: letters, digits, dots and dashes only.") from exc
        except requests.exceptions.SSLError as exc:
            raise PsaTlsError(
                f"The TLS certificate of {host} could not be verified.",
                "Check the host name is the PSA's real address. A self-hosted PSA needs a "
                "certificate from a public authority.") from exc
        except requests.exceptions.Timeout as exc:
            raise PsaTimeout(
                f"{self.service} at {host} did not answer within {self.policy.timeout[1]:.0f} seconds.",
                "Try again in a few minutes. If it keeps happening, check the PSA's status page.") from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise PsaUnavailable(
                f"The connection to {host} dropped in the middle of an answer.",
                "Try again; the PSA or a network device closed the connection early.") from exc
        except requests.exceptions.ConnectionError as exc:
            if _is_dns_failure(exc):
                raise PsaUnavailable(
                    f"The PSA host {host} could not be found (DNS lookup failed).",
                    "Check the site or host name for typos.") from exc
            raise PsaUnavailable(
                f"Could not connect to {self.service} at {host}.",
                "Check the address and that the PSA is up; a firewall may be blocking the "
                "Wise-Sync server.") from exc
        return response

    def _read_body(self, response: requests.Response) -> None:
        """Read the body up to the cap (a PSA page is at most a few MB)."""
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > self.policy.max_body:
                response.close()
                raise PsaBadResponse(
                    f"{self.service} sent an answer larger than {self.policy.max_body // 1_000_000} MB.",
                    "Ask for smaller pages; this does not happen with a real PSA.")
            chunks.append(chunk)
        response._content = b"".join(chunks)
        response._content_consumed = True


def _is_dns_failure(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, socket.gaierror) or "NameResolutionError" in type(exc).__name__:
            return True
        exc = exc.__cause__ or exc.__context__ or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None)
    return False


def json_body(response: requests.Response, service: str):
    """Parse a JSON body or raise :class:`PsaBadResponse` naming the service."""
    try:
        return response.json()
    except ValueError as exc:
        raise PsaBadResponse(
            f"{service} answered HTTP {response.status_code} with a body that is not valid JSON.",
            "Try again; if it persists, the address may point at a web page rather than the API.",
            status=response.status_code) from exc
