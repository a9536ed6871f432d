"""The outbound guard every PSA client goes through (wisesync.psa.http)."""
from __future__ import annotations

import email.utils
import io
import ipaddress
import socket
import time

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from wisesync.psa.errors import PsaBadResponse, PsaBlockedTarget, PsaRateLimited, PsaTimeout, PsaUnavailable
from wisesync.psa.http import GuardedHttp, OutboundPolicy, check_url, retry_after_seconds

ADDRESSES = {"psa.example.com": "93.184.216.34", "inside.example.com": "10.1.2.3",
             "loop.example.com": "127.0.0.1"}


@pytest.fixture
def fake_dns(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):
        try:  # literal addresses resolve to themselves, as with the real resolver
            address = ipaddress.ip_address(host)
            return [(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_STREAM,
                     6, "", (host, port or 443))]
        except ValueError:
            pass
        if host not in ADDRESSES:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ADDRESSES[host], port or 443))]
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


class FakeAdapter(BaseAdapter):
    """Answers from a list of (status, headers, body) without any network."""

    def __init__(self, replies):
        super().__init__()
        self.replies, self.sent = list(replies), []

    def send(self, request, **kwargs):
        self.sent.append(request.url)
        status, headers, body = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        response = requests.Response()
        response.status_code, response.headers = status, CaseInsensitiveDict(headers)
        response.raw, response.url, response.request = io.BytesIO(body), request.url, request
        return response

    def close(self):
        pass


def guarded(replies, **policy):
    adapter = FakeAdapter(replies)
    session = requests.Session()
    session.mount("https://", adapter)
    sleeps = []
    http = GuardedHttp(session, OutboundPolicy(sleep=sleeps.append, **policy), service="TestPSA")
    return http, adapter, sleeps


def test_http_is_refused_without_allow_local():
    with pytest.raises(PsaBlockedTarget, match="https"):
        check_url("http://psa.example.com/")
    check_url("http://127.0.0.1:8081/", allow_local=True)


@pytest.mark.parametrize("host", ["loop.example.com", "inside.example.com", "127.0.0.1", "10.0.0.8",
                                  "169.254.169.254", "[::1]"])
def test_hosts_resolving_to_private_or_loopback_addresses_are_refused(fake_dns, host):
    with pytest.raises(PsaBlockedTarget, match="private or local"):
        check_url(f"https://{host}/")


def test_public_host_is_allowed(fake_dns):
    check_url("https://psa.example.com/v4_6_release/apis/3.0")


def test_dns_failure_says_the_host_could_not_be_found(fake_dns):
    with pytest.raises(PsaUnavailable, match="could not be found"):
        check_url("https://typo.example.invalid/")


def test_dns_failure_during_the_request_is_explained(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", fail)
    http = GuardedHttp(policy=OutboundPolicy(allow_local=True, max_retries=0))
    with pytest.raises(PsaUnavailable, match="DNS"):
        http.request("GET", "http://nowhere.example.invalid/")


@pytest.mark.parametrize("location", ["https://inside.example.com/steal", "http://psa.example.com/x",
                                      "https://127.0.0.1/"])
def test_redirect_to_a_disallowed_target_is_refused(fake_dns, location):
    http, adapter, _ = guarded([(302, {"Location": location}, b"")])
    with pytest.raises(PsaBlockedTarget):
        http.request("GET", "https://psa.example.com/start")
    assert adapter.sent == ["https://psa.example.com/start"]


def test_redirect_to_an_allowed_target_is_followed(fake_dns):
    http, adapter, _ = guarded([(302, {"Location": "/next"}, b""), (200, {}, b"ok")])
    assert http.request("GET", "https://psa.example.com/start").content == b"ok"
    assert adapter.sent[-1] == "https://psa.example.com/next"


def test_body_larger_than_the_cap_is_refused(fake_dns):
    http, _, _ = guarded([(200, {}, b"x" * 5000)], max_body=1000)
    with pytest.raises(PsaBadResponse, match="larger"):
        http.request("GET", "https://psa.example.com/big")


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("7") == 7.0
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_seconds(when) <= 31
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_429_waits_for_retry_after_then_succeeds(fake_dns):
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    http, _, sleeps = guarded([(429, {"Retry-After": "2"}, b""), (503, {"Retry-After": when}, b""),
                               (200, {}, b"done")])
    assert http.request("GET", "https://psa.example.com/").content == b"done"
    assert sleeps[0] == 2.0 and 15 <= sleeps[1] <= 21


def test_retries_are_bounded_then_rate_limited(fake_dns):
    http, adapter, sleeps = guarded([(429, {"Retry-After": "1"}, b"")], max_retries=3)
    with pytest.raises(PsaRateLimited) as caught:
        http.request("GET", "https://psa.example.com/")
    assert len(adapter.sent) == 4 and sleeps == [1.0, 1.0, 1.0]
    assert caught.value.retry_after == pytest.approx(1.0)


def test_retry_after_longer_than_max_wait_is_not_slept(fake_dns):
    http, adapter, sleeps = guarded([(429, {"Retry-After": "3600"}, b"")])
    with pytest.raises(PsaRateLimited):
        http.request("GET", "https://psa.example.com/")
    assert sleeps == [] and len(adapter.sent) == 1


def test_5xx_backs_off_and_is_returned_after_the_bound(fake_dns):
    http, adapter, sleeps = guarded([(500, {}, b"{}")], max_retries=2, backoff=0.5)
    assert http.request("GET", "https://psa.example.com/").status_code == 500
    assert sleeps == [0.5, 1.0] and len(adapter.sent) == 3


def test_slow_simulator_reply_is_a_timeout(psa_sim):
    http = GuardedHttp(policy=OutboundPolicy(allow_local=True, timeout=(2, 0.2), max_retries=0))
    with pytest.raises(PsaTimeout):
        http.request("GET", psa_sim.url + "/login/companyinfo/wisesim",
                     headers={"X-Sim-Fault": "slow;seconds=1"})


def test_refused_connection_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    http = GuardedHttp(policy=OutboundPolicy(allow_local=True, max_retries=0))
    with pytest.raises(PsaUnavailable, match="Could not connect"):
        http.request("GET", f"http://127.0.0.1:{port}/")
