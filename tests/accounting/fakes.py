"""A fake Xero for the unit layer: a requests adapter answering from a script, no network."""
from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from wisesync.accounting.xero import XeroClient, XeroOAuth, XeroSettings
from wisesync.psa.http import OutboundPolicy

BASE = "https://xero.test"
SETTINGS = XeroSettings(client_id="client-abc", client_secret="s3cret-client-value",
                        authorize_url=BASE + "/identity/connect/authorize",
                        identity_url=BASE + "/identity", api_url=BASE + "/api", allow_local=True)
TOKEN = "eyJ-access-token-that-must-never-show"
TENANT = "6f1b7e52-0c1a-4d2e-9f5a-1a2b3c4d5e01"


def reply(status=200, body=None, headers=None):
    """One scripted answer: ``body`` a dict/list (sent as JSON), bytes, or an exception to raise."""
    return status, body, headers or {}


class Sent:
    def __init__(self, request: requests.PreparedRequest, kwargs: dict):
        self.request, self.kwargs = request, kwargs
        self.method, self.url, self.headers = request.method, request.url, request.headers
        parts = urlsplit(request.url)
        self.path = parts.path
        self.query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body = request.body
        self.body = body.decode() if isinstance(body, bytes) else (body or "")

    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body).items()}

    def json(self):
        return json.loads(self.body)


class FakeXero(BaseAdapter):
    """Answers each request with the next scripted reply (the last one repeats)."""

    def __init__(self, *replies):
        super().__init__()
        self.replies, self.sent = list(replies) or [reply()], []

    def send(self, request, **kwargs):
        self.sent.append(Sent(request, kwargs))
        status, body, headers = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(body, BaseException):
            raise body
        if isinstance(body, (dict, list)):
            content = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **headers}
        else:
            content = body or b""
        response = requests.Response()
        response.status_code, response.headers = status, CaseInsensitiveDict(headers)
        response.raw, response.url, response.request = io.BytesIO(content), request.url, request
        return response

    def close(self):
        pass


class Limiter:
    """Records the order of slot() entries/exits and observed headers."""

    def __init__(self):
        self.events: list = []

    def slot(self):
        limiter = self

        class Slot:
            def __enter__(self):
                limiter.events.append("enter")

            def __exit__(self, *exc):
                limiter.events.append("exit")
        return Slot()

    def observe(self, headers):
        self.events.append(("observe", dict(headers)))


def session_for(adapter: FakeXero) -> requests.Session:
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def policy(sleeps: list, **kw) -> OutboundPolicy:
    return OutboundPolicy(sleep=sleeps.append, **kw)


def client(adapter: FakeXero, sleeps: list | None = None, limiter=None, settings=SETTINGS,
           **kw) -> XeroClient:
    return XeroClient(settings, TOKEN, TENANT, session_for(adapter), limiter,
                      policy=policy(sleeps if sleeps is not None else [], **kw))


def oauth(adapter: FakeXero, sleeps: list | None = None, settings=SETTINGS, **kw) -> XeroOAuth:
    return XeroOAuth(settings, session_for(adapter), policy(sleeps if sleeps is not None else [], **kw))
