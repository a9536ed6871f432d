"""Autotask accounts read Autotask's words on the sync pages (issue 14): the /sync overview,
the kind of a negative invoice (Autotask has no credit memos), a selection Autotask could not
check, and the fix of a run the worker left — never ConnectWise's."""
from __future__ import annotations

import re

from tests.builders import make_account, make_company
from tests.transactions.autotask_world import FIRST, at_world  # noqa: F401
from tests.transactions.sync_world import app_config, books_sim, sync_sim  # noqa: F401
from tests.transactions.test_review import row_html
from wisesync.extensions import db
from wisesync.simulator.faults import Fault
from wisesync.transactions import services
from wisesync.transactions.models import TransactionRun

CREDIT = FIRST + 53  # a negative invoice of the seed the NZ organisation takes


def visible(page: str) -> str:
    """The page's text, without markup (so class names and URLs do not count)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split("<main", 1)[-1]))


def test_the_overview_speaks_of_autotask_invoices_and_organisational_levels(client, at_world):
    page = client.get("/sync").get_data(as_text=True)
    text = visible(page)
    assert "ConnectWise" not in text and "credit memo" not in text.lower() and "purchase order" not in text
    assert "Autotask's invoices with no web service date" in text and "organisational level" in text
    assert re.search(r"\d+ invoices, \d+ negative invoices \(credit notes in Xero\)", text)


def test_the_overview_names_autotask_when_it_cannot_be_read(client, at_world, sync_sim):
    sync_sim.state.faults.add(Fault(kind="auth", target="at"))
    text = visible(client.get("/sync").get_data(as_text=True))
    assert "Could not read the unsynced invoices from Autotask" in text and "ConnectWise" not in text


def test_a_negative_invoice_is_labelled_as_autotask_has_it_on_the_review_run_and_history(client, at_world):
    page = client.get(f"/sync/{at_world.nz.id}").get_data(as_text=True)
    row = row_html(page, f"credit:{CREDIT}")
    assert "Negative invoice" in row and "Credit memo" not in row
    blocked = row_html(page, f"credit:{FIRST + 33}")  # Australian tax: blocked, its reason in Autotask's words
    assert "Negative invoice 10034:" in blocked and "Credit memo" not in blocked
    response = client.post(f"/sync/{at_world.nz.id}", data={"records": [f"credit:{CREDIT}"]})
    assert response.status_code == 303
    run_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Negative invoice" in run_page and "Credit memo" not in run_page
    history = client.get("/sync/history").get_data(as_text=True)
    assert "Negative invoice" in history and "Credit memo" not in history


def test_a_selection_autotask_cannot_check_names_autotask(client, at_world, sync_sim):
    sync_sim.state.faults.add(Fault(kind="auth", target="at"))
    response = client.post(f"/sync/{at_world.nz.id}", data={"records": [f"invoice:{FIRST}"]})
    assert response.status_code == 503
    text = visible(response.get_data(as_text=True))
    assert "Could not check the records with Autotask, so nothing was started" in text
    assert "ConnectWise" not in text and "Fix:" in text


def test_a_run_the_worker_left_tells_the_fix_in_its_psas_words(app):
    account = make_account("Tasked", "autotask")
    runs = []
    for psa in ("autotask", "connectwise"):
        runs.append(TransactionRun(account_id=account.id, company_id=make_company(account).id, psa=psa,
                                   status="running"))
    db.session.add_all(runs)
    db.session.commit()
    assert services.mark_abandoned_runs() == 2
    db.session.expire_all()
    autotask, connectwise = (db.session.get(TransactionRun, r.id) for r in runs)
    assert "only posted in Autotask, never pushed twice" in autotask.fix and "ConnectWise" not in autotask.fix
    assert "only posted in ConnectWise, never pushed twice" in connectwise.fix


def test_the_home_pages_unposted_counts_speak_of_negative_invoices(client, at_world):
    data = client.get("/home/unposted?fresh=1").get_json()
    text = data["companies"][str(at_world.nz.id)]["text"]
    assert re.fullmatch(r"\d+ invoices?, \d+ negative invoices?", text), text
    assert "credit memo" not in text and "purchase order" not in text
