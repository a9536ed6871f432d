"""A ConnectWise account ready to sync, against a simulator of its own (a few dozen unposted
records, so a whole sync takes a second): Integration Settings pointing at it, an admin, a
``user`` with one company ticked, and two companies connected to the two demo Xero
organisations through the real OAuth pages — NZ takes Auckland (1) and Head Office (3),
AU takes Sydney (2).

Test modules import the fixtures they use from here (``from tests.transactions.sync_world
import ...``); the builders are plain functions.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
import requests

from tests.builders import make_account, make_admin, make_company, make_user
from tests.companies.xero_flow import connect, xero_config
from tests.integrations.helpers import save_cw_settings, sim_app_config
from wisesync.companies.models import CompanyLocation
from wisesync.extensions import db
from wisesync.psadata.models import PsaLocation
from wisesync.simulator.cw_ledger_data import LOCATIONS
from wisesync.simulator.xero_data import AU_TENANT_ID, NZ_TENANT_ID

INVOICES, PROCUREMENT = 30, 8
NZ_LOCATIONS, AU_LOCATIONS = {1, 3}, {2}
NZ_CODES = dict(sales_tax_code="OUTPUT2", sales_exempt_tax_code="EXEMPTOUTPUT",
                purchase_tax_code="INPUT2", purchase_exempt_tax_code="EXEMPTINPUT")
AU_CODES = dict(sales_tax_code="OUTPUT", sales_exempt_tax_code="EXEMPTOUTPUT",
                purchase_tax_code="INPUT", purchase_exempt_tax_code="EXEMPTEXPENSES")


@pytest.fixture(scope="session")
def books_sim():
    """A simulator of its own with 30 unposted invoices and 8 purchase orders (special cases
    at invoices 2-10), shared per worker; tests reset it (``sync_sim``)."""
    from wisesync.simulator.server import RunningSim

    with RunningSim(records=200, sizes={"invoices": INVOICES, "procurement": PROCUREMENT}) as sim:
        yield sim


@pytest.fixture
def sync_sim(books_sim):
    """The simulator reset to its seed (batches, Xero books, faults) before and after the test."""
    requests.post(books_sim.url + "/_sim/reset", timeout=10).raise_for_status()
    books_sim.state.faults.clear()
    from wisesync.transactions.reading import forget_catalog

    for tenant in (NZ_TENANT_ID, AU_TENANT_ID):
        forget_catalog(tenant)  # each test's organisations start from the seed
    yield books_sim
    books_sim.state.faults.clear()
    requests.post(books_sim.url + "/_sim/reset", timeout=10).raise_for_status()


@pytest.fixture
def app_config(books_sim):
    return {**sim_app_config(books_sim), **xero_config(books_sim.url)}


@dataclass
class World:
    sim: object
    account: object
    admin: object
    user: object  # role user, NZ ticked
    nz: object
    au: object

    def documents(self, tenant_id: str = NZ_TENANT_ID) -> dict:
        response = requests.get(f"{self.sim.url}/_sim/xero/{tenant_id}/documents", timeout=10)
        response.raise_for_status()
        return response.json()

    def unposted(self) -> tuple[set[int], set[int]]:
        """(invoice indexes, procurement indexes) ConnectWise still lists as unposted."""
        books = self.sim.state.cw_books
        posted_invoices, posted_procurement = books.posted()
        return (set(range(1, INVOICES + 1)) - set(posted_invoices),
                set(range(1, PROCUREMENT + 1)) - set(posted_procurement))


def tick_locations(company, locations) -> None:
    for location in locations:
        db.session.add(CompanyLocation(account_id=company.account_id, company_id=company.id,
                                       psa_location_id=location))
    db.session.commit()


def pulled_locations(account) -> None:
    for psa_id, name in LOCATIONS.items():
        db.session.add(PsaLocation(account_id=account.id, psa_id=psa_id, name=name))
    db.session.commit()


def build_world(app, client, login, sim) -> World:
    """Everything above, with ``client`` logged in as the admin."""
    account = make_account("Acme MSP", "connectwise")
    save_cw_settings(account, sim)
    pulled_locations(account)
    nz = make_company(account, "Acme NZ Ltd", **NZ_CODES)
    au = make_company(account, "Acme AU Pty", **AU_CODES)
    tick_locations(nz, NZ_LOCATIONS)
    tick_locations(au, AU_LOCATIONS)
    admin = make_admin(account, first_name="Ada", last_name="Admin")
    user = make_user(account, first_name="Uma", last_name="User", companies=[nz])
    login(admin)
    for company, tenant in ((nz, NZ_TENANT_ID), (au, AU_TENANT_ID)):
        response = connect(client, company, tenant_ids=(tenant,))
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    return World(sim, account, admin, user, nz, au)


@pytest.fixture
def world(app, client, login, sync_sim) -> World:
    return build_world(app, client, login, sync_sim)


def client_as(app, user):
    """A second test client, logged in as ``user`` through the login form."""
    from tests.builders import DEFAULT_PASSWORD

    other = app.test_client()
    response = other.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return other


def start_sync(client, company, **data) -> str:
    """POST the review form; returns the run page's path."""
    response = client.post(f"/sync/{company.id}", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def progress(client, url: str) -> dict:
    return client.get(url, headers={"Accept": "application/json"}).get_json()


def wait_done(client, url: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        data = progress(client, url)
        if data["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return data
        time.sleep(0.1)


def by_key(data: dict) -> dict[str, dict]:
    return {f"{r['kind']}:{r['psa_id']}": r for r in data["records"]}


def unpost(sim, entry) -> None:
    """Delete the record's batch in ConnectWise, as a person un-posting it does."""
    batch = next(b for b in sim.state.cw_books.batch_list() if b.identifier == entry.psa_batch_identifier)
    assert sim.state.cw_books.delete_batch(batch.id)
