"""An Autotask account ready to sync, against the sync tests' simulator (``books_sim``: 200 Autotask
invoices, a third already synced, voided and credit ones among them — see at_data's docstring):
Integration Settings for the demo API user, an admin, and one company connected to the NZ
demo organisation through the real OAuth pages. ``two_companies`` adds an AU company and routes
by organisational level (NZ takes level 1, AU level 2).

Test modules import the fixtures they use from here, with those of ``sync_world``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
import requests

from tests.builders import make_account, make_admin, make_company
from tests.companies.xero_flow import connect
from tests.integrations.helpers import save_at_settings
from tests.transactions.sync_world import AU_CODES, NZ_CODES, tick_locations
from wisesync.extensions import db
from wisesync.simulator import at_data
from wisesync.simulator.xero_data import AU_TENANT_ID, NZ_TENANT_ID
from wisesync.transactions.models import LedgerEntry

RECORDS = 200  # books_sim's size
FIRST = at_data.BASE_IDS["Invoices"]


@dataclass
class AtWorld:
    sim: object
    account: object
    admin: object
    nz: object
    au: object = None

    def documents(self, tenant_id: str = NZ_TENANT_ID) -> dict:
        response = requests.get(f"{self.sim.url}/_sim/xero/{tenant_id}/documents", timeout=10)
        response.raise_for_status()
        return response.json()

    def numbers(self, tenant_id: str = NZ_TENANT_ID) -> Counter:
        docs = self.documents(tenant_id)
        found = Counter((d["Type"], d["InvoiceNumber"]) for d in docs["invoices"])
        found.update((d["Type"], d["CreditNoteNumber"]) for d in docs["credit_notes"])
        return found

    def invoice(self, invoice_id: int) -> dict:
        """The invoice as the simulator's Autotask serves it now (its writes laid over the seed)."""
        from wisesync.simulator import at_invoices

        with at_invoices.applied(self.sim.state):
            return at_data.record("Invoices", int(invoice_id) - FIRST, RECORDS)

    def web_service_dates(self) -> dict[int, str]:
        """Invoice id → the webServiceDate the sync wrote (only invoices it wrote)."""
        from wisesync.simulator import at_invoices

        changes = at_invoices.writes_for(self.sim.state).changes
        return {i: c["webServiceDate"] for i, c in changes.items() if c.get("webServiceDate")}


def unsynced(records: int = RECORDS) -> list[dict]:
    """The seed's invoices with no webServiceDate that are not voided (what a sync takes)."""
    out = []
    for k in range(records):
        invoice = at_data.seed("Invoices", k, records)
        if not invoice["webServiceDate"] and not invoice["isVoided"]:
            out.append(invoice)
    return out


def routable(level: int) -> list[dict]:
    """Unsynced invoices billed by organisational level ``level`` (AU: 2, NZ: 1)."""
    return [i for i in unsynced() if at_data.org_level(i["companyID"] - at_data.BASE_IDS["Companies"]) == level]


def build_at_world(client, login, sim, *, two_companies: bool = False) -> AtWorld:
    account = make_account("Tasked MSP", "autotask")
    save_at_settings(account)
    nz = make_company(account, "Tasked NZ Ltd", **NZ_CODES)
    au = make_company(account, "Tasked AU Pty", **AU_CODES) if two_companies else None
    admin = make_admin(account, first_name="Ada", last_name="Admin")
    login(admin)
    pairs = [(nz, NZ_TENANT_ID)] + ([(au, AU_TENANT_ID)] if au else [])
    for company, tenant in pairs:
        response = connect(client, company, tenant_ids=(tenant,))
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    if au is not None:
        tick_locations(nz, {1})
        tick_locations(au, {2})
    db.session.expire_all()
    return AtWorld(sim, account, admin, nz, au)


@pytest.fixture
def at_world(app, client, login, sync_sim) -> AtWorld:
    return build_at_world(client, login, sync_sim)


@pytest.fixture
def at_two(app, client, login, sync_sim) -> AtWorld:
    return build_at_world(client, login, sync_sim, two_companies=True)


def entries(company) -> dict[str, LedgerEntry]:
    db.session.expire_all()
    return {e.psa_id: e for e in db.session.query(LedgerEntry).filter_by(company_id=company.id, psa="autotask")}
