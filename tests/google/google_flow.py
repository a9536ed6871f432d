"""Connecting a person's Google account to the simulated Google through the real pages: the
portal's Connect button, the simulator's consent page (Allow / Cancel), the callback."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests


def google_config(sim_url: str) -> dict:
    return {"WISESYNC_GOOGLE_CLIENT_ID": "simgoogle", "WISESYNC_GOOGLE_CLIENT_SECRET": "simgoogle-secret",
            "WISESYNC_GOOGLE_AUTHORIZE_URL": sim_url + "/google/o/oauth2/v2/auth",
            "WISESYNC_GOOGLE_TOKEN_URL": sim_url + "/google/token",
            "WISESYNC_GOOGLE_REVOKE_URL": sim_url + "/google/revoke",
            "WISESYNC_GOOGLE_USERINFO_URL": sim_url + "/google/v1/userinfo",
            "WISESYNC_GOOGLE_DRIVE_URL": sim_url + "/google/drive/v3"}


def start(client) -> str:
    response = client.post("/google/connect")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def consent(authorize_url: str, email: str, action: str = "allow") -> str:
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200 and "Allow" in page.text, page.text[:500]
    answer = requests.post(authorize_url, data={"email": email, "action": action}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def back_in_portal(client, location: str):
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}")


def connect(client, email: str = "pat@example.com"):
    """Connect Google Account → consent → callback; returns the callback's response."""
    return back_in_portal(client, consent(start(client), email))


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def sim_state(sim) -> dict:
    return requests.get(sim.url + "/_sim/google", timeout=10).json()


def add_drive_file(sim, email: str, name: str, mime: str = "application/pdf", *, content: bytes | None = None,
                   size: int | None = None) -> dict:
    import base64

    body = {"email": email, "name": name, "mimeType": mime}
    if content is not None:
        body["content_b64"] = base64.b64encode(content).decode()
    else:
        body["size"] = size
    response = requests.post(sim.url + "/_sim/google/files", json=body, timeout=30)
    response.raise_for_status()
    return response.json()
