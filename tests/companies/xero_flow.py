"""Connecting a company to the simulated Xero through the real pages: the portal's Connect
button, the simulator's consent page (ticking organisations, Allow access), the callback."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from wisesync.simulator.xero_data import AU_TENANT_ID, NZ_TENANT_ID  # noqa: F401  (re-exported)


def xero_config(sim_url: str) -> dict:
    """App settings pointing every Xero address at the simulator (INTERFACES.md)."""
    return {"WISESYNC_XERO_CLIENT_ID": "simxero", "WISESYNC_XERO_CLIENT_SECRET": "simxero-secret",
            "WISESYNC_XERO_AUTHORIZE_URL": sim_url + "/xero/identity/connect/authorize",
            "WISESYNC_XERO_IDENTITY_URL": sim_url + "/xero/identity",
            "WISESYNC_XERO_API_URL": sim_url + "/xero/api"}


@pytest.fixture
def xero_sim(psa_sim):
    """The simulator with a fresh Xero side (grants, books, clock) for this test."""
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()
    yield psa_sim
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()


def consent(authorize_url: str, tenant_ids=(NZ_TENANT_ID,), action: str = "allow") -> str:
    """What a person does on Xero's consent page; returns the redirect back to the portal."""
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200 and "Allow access" in page.text, page.text[:500]
    answer = requests.post(authorize_url, data={"tenant_ids": list(tenant_ids), "action": action},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def start(client, company) -> str:
    response = client.post(f"/companies/{company.id}/xero/connect")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def back_in_portal(client, location: str):
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}")


def connect(client, company, tenant_ids=(NZ_TENANT_ID,)):
    """Connect Xero → consent → callback; returns the callback's response."""
    return back_in_portal(client, consent(start(client, company), tenant_ids))
