"""The home page (issue 13 #7): "Getting set up" ticks each step from what is really stored,
and once every step is done shows the day's companies, last pull and sync, and problems."""
from __future__ import annotations

import re

import pytest

from tests.builders import make_account, make_admin, make_company, make_user
from tests.integrations.helpers import cw_form
from tests.transactions.sync_world import (app_config, books_sim, client_as, start_sync, sync_sim,  # noqa: F401
                                           wait_done, world)
from wisesync.auth import home
from wisesync.credentials.models import PsaCredential
from wisesync.crypto import encrypt
from wisesync.extensions import db
import wisesync.transactions.services as tx


@pytest.fixture(autouse=True)
def _no_cached_counts():
    home._counts.clear()  # ids start again in every test's fresh database
    yield
    home._counts.clear()


def steps(client) -> dict[str, str]:
    page = client.get("/").get_data(as_text=True)
    return dict(re.findall(r'data-step="(\w+)" data-done="(yes|no)"', page))


def give_credentials(user, login: str = "pubkey") -> None:
    db.session.add(PsaCredential(account_id=user.account_id, user_id=user.id, kind="connectwise-api",
                                 login=login, secret_enc=encrypt("private")))
    db.session.commit()


def test_a_fresh_account_has_no_step_ticked(client, login):
    admin = make_admin(make_account())
    login(admin)
    page = client.get("/").get_data(as_text=True)
    assert steps(client) == {"companies": "no", "psa": "no", "users": "no", "xero": "no", "sync": "no"}
    assert "0 of 5 steps done." in page and "No accounting company yet." in page
    assert 'id="daily"' not in page


def test_each_step_ticks_from_the_real_state_and_then_the_day_is_shown(app, client, world):
    # The world: companies, both connected to Xero; settings saved but never tested.
    assert steps(client) == {"companies": "yes", "psa": "no", "users": "no", "xero": "yes", "sync": "no"}
    page = client.get("/").get_data(as_text=True)
    assert "Saved, but not tested with the saved values" in page

    response = client.post("/integrations/connectwise", data=cw_form(world.sim))
    assert response.status_code in (200, 302, 303)
    assert steps(client)["psa"] == "yes"

    assert "No PSA credentials yet: Uma User" in client.get("/").get_data(as_text=True)
    give_credentials(world.user)
    assert steps(client)["users"] == "yes"

    assert steps(client)["sync"] == "no"
    assert wait_done(client, start_sync(client, world.nz, all="1"))["status"] == "succeeded"
    page = client.get("/").get_data(as_text=True)
    assert 'id="getting-set-up"' not in page and 'data-setup="complete"' in page
    assert 'id="home-companies"' in page and "Acme NZ Ltd" in page and "Acme AU Pty" in page
    assert "Last pull of PSA data" in page


def test_a_company_not_yet_connected_to_xero_is_named(client, world):
    make_company(world.account, "Acme UK Ltd")
    page = client.get("/").get_data(as_text=True)
    assert steps(client)["xero"] == "no"
    assert "2 of 3 connected; not yet: Acme UK Ltd." in page


def test_a_user_sees_the_day_without_the_checklist_and_only_their_companies(app, world):
    page = client_as(app, world.user).get("/").get_data(as_text=True)
    assert 'id="getting-set-up"' not in page and 'id="daily"' in page
    assert "Acme NZ Ltd" in page and "Acme AU Pty" not in page
    assert 'data-setup="complete"' not in page


def test_unposted_counts_come_after_the_page_and_are_reused_for_a_while(app, client, world, monkeypatch):
    data = client.get("/home/unposted").get_json()
    assert data["error"] == ""
    assert data["companies"][str(world.nz.id)]["text"] == "14 invoices, 1 credit memo, 4 purchase orders"
    assert data["companies"][str(world.au.id)]["total"] == 19
    calls = []
    real = tx.overview
    monkeypatch.setattr(tx, "overview", lambda user: calls.append(user.id) or real(user))
    client.get("/home/unposted")
    assert calls == []  # reused: ConnectWise is not read again
    client.get("/home/unposted?fresh=1")
    assert len(calls) == 1


def test_a_user_gets_only_their_companies_counts(app, world):
    data = client_as(app, world.user).get("/home/unposted").get_json()
    assert set(data["companies"]) == {str(world.nz.id)}


def test_an_autotask_account_ticks_its_first_sync_not_its_first_pull(client, login):
    """Autotask invoices sync too (issue 14): a pull does not tick the step, a finished sync
    does, and a payment run alone does not."""
    from wisesync.psadata.runs import SyncRun
    from wisesync.transactions.models import TransactionRun

    account = make_account(psa_type="autotask")
    company = make_company(account, name="Only Ltd")
    login(make_admin(account))
    db.session.add(SyncRun(account_id=account.id, psa_type="autotask", status="succeeded"))
    db.session.add(TransactionRun(account_id=account.id, company_id=company.id, psa="autotask",
                                  status="succeeded", purpose="payments"))
    db.session.commit()
    assert steps(client)["sync"] == "no"
    assert "Sync your first transactions" in client.get("/").get_data(as_text=True)
    db.session.add(TransactionRun(account_id=account.id, company_id=company.id, psa="autotask", status="succeeded"))
    db.session.commit()
    assert steps(client)["sync"] == "yes"


def test_a_user_is_told_when_the_psa_connection_is_not_ready(app, world):
    page = client_as(app, world.user).get("/").get_data(as_text=True)
    assert "The PSA connection is not ready (Saved, but not tested with the saved values: use Test and Save)" in page
    assert "an account administrator fixes it under Integrations." in page
