"""Finding 6 (lower): the outbound guard (``wisesync.psa.http``), attacked as SSRF is attacked.

- addresses ``is_global`` let through: 192.0.0.0/24, NAT64 (64:ff9b::/96), 6to4, IPv4-compatible
  and Teredo IPv6 that embed a private IPv4 address;
- DNS rebinding: the check resolved the name, the connection resolved it again;
- credentials following a redirect to another host.
"""
from __future__ import annotations

import io
import ipaddress
import socket

import pytest
import requests
import urllib3.util.connection
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from wisesync.psa.errors import PsaBadResponse, PsaBlockedTarget, PsaUnavailable
from wisesync.psa.http import GuardedHttp, OutboundPolicy, PinnedAdapter, check_url, is_public_address

REFUSED = ["192.0.0.1", "192.0.0.100", "192.0.0.170", "64:ff9b::7f00:1", "64:ff9b::a00:1",
           "64:ff9b:1::c0a8:1", "2002:7f00:1::", "2002:a00:1::1", "::7f00:1", "::a00:1",
           "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
           "2001:0:a00:1::", "198.18.0.1", "100.64.0.1", "224.0.0.1", "239.255.255.250", "ff02::1",
           "ff0e::1", "240.0.0.1", "0.1.2.3", "127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fe80::1",
           "fc00::1"]
ALLOWED = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822", "2002:5db8:d822::"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_addresses_in_every_disguise_are_refused(address):
    assert not is_public_address(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(PsaBlockedTarget, match="private or local"):
        check_url(f"https://{host}/")


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_stay_allowed(address):
    assert is_public_address(ipaddress.ip_address(address))


@pytest.fixture
def dns(monkeypatch):
    """A resolver whose answers the test sets per name, counting the lookups."""
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            address = ipaddress.ip_address(host)
            return [(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (host, port or 443))]
        except ValueError:
            pass
        lookups.append(host)
        queue = answers.get(host)
        if not queue:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port or 443))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


def test_a_name_hidden_behind_nat64_is_refused(dns):
    answers, _ = dns
    answers["psa.example.com"] = ["64:ff9b::7f00:1"]
    with pytest.raises(PsaBlockedTarget):
        check_url("https://psa.example.com/")


def test_the_connection_goes_to_the_checked_address_not_a_second_dns_answer(dns, monkeypatch):
    """DNS rebinding: public for the check, 127.0.0.1 for the connect."""
    answers, lookups = dns
    answers["psa.rebind.example"] = ["93.184.216.34", "127.0.0.1"]
    connected = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    http = GuardedHttp(policy=OutboundPolicy(max_retries=0))
    with pytest.raises(PsaUnavailable):
        http.request("GET", "https://psa.rebind.example/v4_6_release/apis/3.0/system/info")
    assert connected and all(host == "93.184.216.34" for host, _ in connected), connected
    assert lookups == ["psa.rebind.example"]  # the guard's lookup only


def test_a_pinned_connection_still_verifies_tls_for_the_host_name(monkeypatch):
    adapter = PinnedAdapter()
    adapter.pins["psa.example.com"] = ["93.184.216.34"]
    pool = adapter.poolmanager.connection_from_url("https://psa.example.com/")
    conn = pool.ConnectionCls("psa.example.com", 443)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", lambda address, *a, **k: ("socket", address))
    sock = conn._new_conn()
    assert sock == ("socket", ("93.184.216.34", 443))
    assert conn.host == "psa.example.com"  # SNI and the certificate check use the name


def test_a_session_with_its_own_adapters_is_left_alone():
    session = requests.Session()
    fake = Recorder([(200, {}, b"ok")])
    session.mount("https://", fake)
    GuardedHttp(session)
    assert session.adapters["https://"] is fake


class Recorder(BaseAdapter):
    """Answers from a list of (status, headers, body) and records what was sent where."""

    def __init__(self, replies):
        super().__init__()
        self.replies, self.sent = list(replies), []

    def send(self, request, **kwargs):
        self.sent.append((request.url, dict(request.headers), request.body))
        status, headers, body = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        response = requests.Response()
        response.status_code, response.headers = status, CaseInsensitiveDict(headers)
        response.raw, response.url, response.request = io.BytesIO(body), request.url, request
        return response

    def close(self):
        pass


def _guarded(replies):
    recorder = Recorder(replies)
    session = requests.Session()
    session.mount("https://", recorder)
    session.mount("http://", recorder)
    return GuardedHttp(session, OutboundPolicy(allow_local=True, max_retries=0)), recorder


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("credentials", [{"headers": {"Authorization": "Basic c2VjcmV0"}},
                                         {"headers": {"Secret": "s", "UserName": "u", "ApiIntegrationCode": "c"}},
                                         {"headers": {"clientId": "x"}}])
def test_a_redirect_to_another_host_is_not_followed_with_credentials(status, credentials):
    http, recorder = _guarded([(status, {"Location": "https://evil.example/steal"}, b""), (200, {}, b"x")])
    with pytest.raises(PsaBadResponse, match="another host"):
        http.request("POST", "https://psa.example.com/start", **credentials)
    assert [url for url, _, _ in recorder.sent] == ["https://psa.example.com/start"]


@pytest.mark.parametrize("status", [307, 308])
def test_a_body_is_not_resent_to_another_host(status):
    http, recorder = _guarded([(status, {"Location": "https://evil.example/steal"}, b""), (200, {}, b"x")])
    with pytest.raises(PsaBadResponse, match="another host"):
        http.request("POST", "https://psa.example.com/soap", data="<Envelope>password</Envelope>")
    assert len(recorder.sent) == 1


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_redirect_that_turns_into_a_get_drops_the_body(status):
    http, recorder = _guarded([(status, {"Location": "https://elsewhere.example/page"}, b""), (200, {}, b"x")])
    http.request("POST", "https://psa.example.com/soap", data="<Envelope>password</Envelope>")
    url, _, body = recorder.sent[-1]
    assert url == "https://elsewhere.example/page" and not body


def test_a_redirect_on_the_same_host_keeps_the_credentials():
    http, recorder = _guarded([(307, {"Location": "/v2/next"}, b""), (200, {}, b"ok")])
    assert http.request("GET", "https://psa.example.com/start",
                        headers={"Authorization": "Basic x"}).content == b"ok"
    assert recorder.sent[-1][0] == "https://psa.example.com/v2/next"
    assert recorder.sent[-1][1]["Authorization"] == "Basic x"


def test_an_https_upgrade_of_the_same_host_is_followed():
    http, recorder = _guarded([(301, {"Location": "https://psa.example.com/start"}, b""), (200, {}, b"ok")])
    assert http.request("GET", "http://psa.example.com/start", headers={"Authorization": "Basic x"}).content == b"ok"


def test_a_request_without_credentials_may_follow_a_redirect_elsewhere():
    http, recorder = _guarded([(302, {"Location": "https://cdn.example/file"}, b""), (200, {}, b"ok")])
    assert http.request("GET", "https://psa.example.com/start", headers={"Accept": "application/json"}).content == b"ok"


def test_the_connectwise_client_never_sends_its_keys_to_a_redirect_target(psa_sim):
    """End to end: the real client, a PSA that answers the authenticated call with a redirect."""
    from wisesync.psa.connectwise_rest import ConnectWiseRestClient

    recorder = Recorder([(200, {"Content-Type": "application/json"}, b'{"Codebase": "v2025_1/"}'),
                         (302, {"Location": "https://evil.example/collect"}, b"")])
    session = requests.Session()
    session.mount("http://", recorder)
    session.mount("https://", recorder)
    client = ConnectWiseRestClient("http://psa.example.com", "acme", "pub", "priv", "cid", session=session,
                                   policy=OutboundPolicy(allow_local=True, max_retries=0))
    client.test_connection()
    assert all("evil.example" not in url for url, _, _ in recorder.sent)
