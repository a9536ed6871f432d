"""Guarded outbound HTTP shared by every PSA client.

Every call: only allowed targets (``https`` and public addresses unless ``allow_local``),
each redirect re-checked, a timeout, a cap on the body size, bounded retries with backoff on
429/502/503/504 (honouring ``Retry-After``), and transport failures turned into ``PsaError``s.

The connection goes to an address that was checked, not to a second DNS answer (so a name
that resolves to a public address for the check and to 127.0.0.1 for the connect — DNS
rebinding — cannot switch it), and a redirect to another origin is only followed by a
request that carries no credentials (headers other than content negotiation, or a body).
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
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

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


# Not global in practice though ipaddress may call them so, or ranges it says nothing about.
_BLOCKED_NETWORKS = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    "ff00::/8")]
_NAT64 = [ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48")]
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: mapped, NAT64, 6to4, Teredo, compatible."""
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if any(address in net for net in _NAT64) or (address in _IPV4_COMPATIBLE and int(address) > 1):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally reachable and not multicast; an IPv6 address that embeds an IPv4 one is judged
    by that IPv4 address too (``64:ff9b::7f00:1`` is 127.0.0.1 behind NAT64)."""
    if not address.is_global or address.is_multicast or any(address in n for n in _BLOCKED_NETWORKS
                                                             if n.version == address.version):
        return False
    if address.version == 6:
        return all(is_public_address(inner) for inner in embedded_ipv4(address))
    return True


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


def check_url(url: str, allow_local: bool = False) -> list[str]:
    """Raise :class:`PsaBlockedTarget` unless ``url`` is a permitted PSA address.

    The host is resolved and *every* address it resolves to must be public, so a name that
    points at 127.0.0.1 or 10.x is refused like the literal address. Returns the checked
    addresses (empty with ``allow_local``, where nothing is resolved): connect to one of them.
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
        return []
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise PsaUnavailable(
            f"The PSA host {parts.hostname} could not be found (DNS lookup failed).",
            "Check the site or host name for typos; for a self-hosted PSA make sure its name "
            "resolves from the Wise-Sync server.") from exc
    checked = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not is_public_address(address):
            raise PsaBlockedTarget(
                f"{parts.hostname} points to a private or local address ({address}), which "
                "Wise-Sync does not call.",
                "Use your PSA's public address. For local development set WISESYNC_ALLOW_LOCAL_PSA=1.")
        if str(address) not in checked:
            checked.append(str(address))
    return checked


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


# Headers that say nothing about who is calling; any other header may be a credential.
_HARMLESS_HEADERS = {"accept", "accept-encoding", "accept-language", "content-type", "user-agent"}


def _carries_credentials(session, kwargs: dict) -> bool:
    headers = {k.lower() for k in (kwargs.get("headers") or {})}
    session_headers = {k.lower() for k in getattr(session, "headers", {}) or {}}
    return bool(headers - _HARMLESS_HEADERS or session_headers - _HARMLESS_HEADERS - {"connection"}
                or kwargs.get("auth") or getattr(session, "auth", None)
                or kwargs.get("data") or kwargs.get("json") or kwargs.get("files") or kwargs.get("cookies"))


class _PinnedConnectionMixin:
    """Connects to the addresses the guard checked for this host instead of resolving again;
    TLS still verifies the certificate (and sends SNI) for the host name."""

    pins: dict = {}

    def _new_conn(self):
        addresses = self.pins.get((self.host or "").lower())
        if not addresses:
            return super()._new_conn()
        name, error = self._dns_host, None
        for address in addresses:
            self._dns_host = address  # what _new_conn connects to; `host` reads it too, so ...
            try:
                return super()._new_conn()
            except (NewConnectionError, ConnectTimeoutError) as exc:
                error = exc
            finally:
                self._dns_host = name  # ... TLS verifies the name, not the address
        raise error


class PinnedAdapter(HTTPAdapter):
    """requests' adapter whose connections go to checked addresses (see :class:`GuardedHttp`)."""

    def __init__(self, *args, **kwargs):
        self.pins: dict[str, list[str]] = {}
        pins = self.pins

        def pinned(base):
            conn = type(f"Pinned{base.ConnectionCls.__name__}", (_PinnedConnectionMixin, base.ConnectionCls),
                        {"pins": pins})
            return type(f"Pinned{base.__name__}", (base,), {"ConnectionCls": conn})

        self._pools = {"http": pinned(urllib3.HTTPConnectionPool), "https": pinned(urllib3.HTTPSConnectionPool)}
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self._pools)


def _pinning_adapter(session) -> PinnedAdapter | None:
    """The session's pinning adapter, mounted in place of requests' default one; None when the
    session is not a requests.Session or has adapters of its own (tests' fakes)."""
    if not isinstance(session, requests.Session):
        return None
    current = [session.adapters.get(prefix) for prefix in ("https://", "http://")]
    if all(isinstance(a, PinnedAdapter) for a in current) and current[0] is current[1]:
        return current[0]
    if not all(type(a) is HTTPAdapter for a in current):
        return None
    adapter = PinnedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return adapter


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
        self._pinning = None if self.policy.allow_local else _pinning_adapter(self.session)

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
        previous = None
        for _ in range(MAX_REDIRECTS + 1):
            addresses = check_url(url, self.policy.allow_local)
            if previous is not None:
                self._refuse_credentials_elsewhere(previous, url, kwargs)
            if self._pinning is not None and addresses:
                self._pinning.pins[(urlsplit(url).hostname or "").lower()] = addresses
            response = self._send(method, url, **kwargs)
            if response.is_redirect and response.headers.get("Location"):
                previous, url = url, urljoin(url, response.headers["Location"])
                if response.status_code in (301, 302, 303):
                    method, kwargs = "GET", {k: v for k, v in kwargs.items() if k not in ("data", "json")}
                continue
            return response
        raise PsaBadResponse(f"{self.service} redirected too many times.",
                             "Check the PSA address; it should be the API host itself.")

    def _refuse_credentials_elsewhere(self, url: str, target: str, kwargs: dict) -> None:
        """A redirect to another origin (an https upgrade of the same host aside) is refused
        when the request carries credentials: the keys were given for this host only."""
        here, there = _origin(url), _origin(target)
        if there == here or (there[1] == here[1] and there[0] == "https" and here[0] == "http"):
            return
        if _carries_credentials(self.session, kwargs):
            raise PsaBadResponse(
                f"{self.service} at {here[1]} redirected to another host ({there[1]}); Wise-Sync does "
                "not send the credentials there.",
                "Enter the address the PSA really answers on (the host it redirects to, if that is "
                "yours), then test again.")

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
