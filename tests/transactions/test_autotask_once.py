"""Exactly once for Autotask (issue 14), proven against the simulator the way the ConnectWise tests
prove it (test_exactly_once.py): syncing twice, faults on both sides, a worker killed between
the push and the PATCH and between the PATCH and the ledger. Whatever happens, no document is
in Xero twice and no invoice gets its webServiceDate without its document in Xero. SQLite and
PostgreSQL (``WISESYNC_TEST_DB=postgresql``)."""
from __future__ import annotations

from collections import Counter

import pytest

from tests.transactions.autotask_world import FIRST, at_world, entries, unsynced  # noqa: F401
from tests.transactions.sync_world import app_config, books_sim, start_sync, sync_sim, wait_done  # noqa: F401
from tests.transactions.test_exactly_once import Killed
from tests.transactions.test_review import rows
from wisesync.extensions import db
from wisesync.simulator.faults import Fault
from wisesync.transactions import ledger, services
from wisesync.transactions.models import LedgerEntry, TransactionRun


def sync(client, company, **data) -> dict:
    return wait_done(client, start_sync(client, company, **(data or {"all": "1"})))


def assert_exactly_once(world) -> None:
    """No (type, number) twice in Xero, no contact name twice, and every invoice the sync marked
    in Autotask has its document in Xero and a posted (or pushed) ledger row with its Xero id."""
    numbers = world.numbers()
    assert [key for key, n in numbers.items() if n > 1] == [], numbers
    names = Counter(c["Name"].lower() for c in world.documents()["contacts"])
    assert [name for name, n in names.items() if n > 1] == []
    held = {number for _type, number in numbers}
    found = entries(world.nz)
    for invoice_id in world.web_service_dates():
        invoice = world.invoice(invoice_id)
        assert invoice["invoiceNumber"] in held, f"invoice {invoice_id} marked in Autotask, not in Xero"
        assert found[str(invoice_id)].xero_id
    for entry in found.values():
        if entry.state == "posted":
            assert entry.xero_id and entry.psa_batch_identifier


def test_sync_all_then_again_sends_nothing_twice_and_patches_nothing_again(client, at_world):
    first = sync(client, at_world.nz)
    assert first["status"] == "succeeded", first
    pushed = first["counts"]["pushed"]
    assert pushed == first["counts"]["posted"] == sum(at_world.numbers().values()) > 50
    assert pushed + first["counts"]["blocked"] == len(unsynced())
    before, dates = at_world.numbers(), at_world.web_service_dates()
    again = sync(client, at_world.nz)
    assert again["counts"]["pushed"] == again["counts"]["posted"] == 0, again
    assert at_world.numbers() == before and at_world.web_service_dates() == dates
    assert_exactly_once(at_world)


def test_a_cleared_web_service_date_comes_back_as_in_xero_and_is_only_marked_again(client, at_world, sync_sim):
    from wisesync.simulator.at_invoices import writes_for

    key = f"invoice:{FIRST}"
    sync(client, at_world.nz, records=[key])
    before = at_world.numbers()
    writes_for(sync_sim.state).apply(FIRST, {"webServiceDate": None}, replace=False)  # un-synced in Autotask
    page = client.get(f"/sync/{at_world.nz.id}").get_data(as_text=True)
    assert rows(page)[key] == "in_xero"
    data = sync(client, at_world.nz, records=[key])
    assert data["counts"]["posted"] == 1 and data["counts"]["pushed"] == 0, data
    assert at_world.numbers() == before and at_world.invoice(FIRST)["webServiceDate"]
    assert_exactly_once(at_world)


FAULTS = [
    Fault(kind="429", target="xero", after=3, count=2, retry_after=0.1),
    Fault(kind="500", target="xero", path="Invoices", count=1),
    Fault(kind="drop", target="xero", path="Invoices", after=1, count=1),
    Fault(kind="drop", target="xero", path="CreditNotes", count=1),
    Fault(kind="429", target="at", path="/Invoices", after=4, count=1, retry_after=0.1),
    Fault(kind="500", target="at", path="/Invoices", after=3, count=4),
    Fault(kind="drop", target="at", path="/Invoices", after=5, count=2),
    Fault(kind="drop", target="at", path="BillingItems", count=1),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f"{f.target}-{f.kind}-{f.path or 'any'}-{f.after}")
def test_faults_mid_run_leave_every_invoice_posted_or_failed_with_a_message_and_none_twice(
        client, at_world, sync_sim, fault):
    sync_sim.state.faults.add(fault)
    data = sync(client, at_world.nz)
    for record in data["records"]:
        assert record["state"] in ("posted", "failed", "blocked"), record
        if record["state"] != "posted":
            assert record["message"].split(" ")[0] in ("Invoice", "Credit", "Negative"), record
    if data["status"] == "failed":
        assert data["message"] and data["fix"], data
    assert fault.fired, "the fault never fired: it proves nothing"
    assert_exactly_once(at_world)
    sync_sim.state.faults.clear()
    again = sync(client, at_world.nz)
    assert again["status"] == "succeeded", again
    assert {r["state"] for r in again["records"]} <= {"posted", "blocked"}, again
    assert_exactly_once(at_world)
    posted = [e for e in entries(at_world.nz).values() if e.state == "posted"]
    assert len(posted) == sum(at_world.numbers().values()) == len(at_world.web_service_dates())


def test_a_worker_killed_between_push_and_patch_is_finished_without_a_second_push(
        app, at_world, sync_sim, monkeypatch):
    from wisesync.transactions import run as run_module

    monkeypatch.setattr(run_module, "enqueue_sync", lambda run_id: None)
    real, seen = ledger.record_pushed, []

    def pushed_then_killed(entry, *args, **kwargs):
        result = real(entry, *args, **kwargs)
        seen.append(entry.psa_id)
        if len(seen) == 3:
            raise Killed()
        return result

    monkeypatch.setattr(ledger, "record_pushed", pushed_then_killed)
    run, _ = services.start_run(at_world.nz, actor=at_world.admin, selected=None)
    with pytest.raises(Killed):
        run_module.execute(run.id)
    monkeypatch.setattr(ledger, "record_pushed", real)
    in_xero = sum(at_world.numbers().values())
    assert in_xero >= 3 and at_world.web_service_dates() == {}  # the whole call went in, nothing marked
    states = Counter(e.state for e in db.session.query(LedgerEntry))
    assert states["pushed"] == 3 and states["pushing"] >= 1

    assert services.mark_abandoned_runs() == 1  # the worker restarts
    second, started = services.start_run(at_world.nz, actor=at_world.admin, selected=None)
    assert started
    run_module.execute(second.id)
    data = services.progress(db.session.get(TransactionRun, second.id))
    assert data["status"] == "succeeded", data
    total = sum(at_world.numbers().values())
    assert data["counts"]["posted"] == total == len(at_world.web_service_dates())
    assert data["counts"]["pushed"] == total - in_xero  # nothing in Xero was sent again
    assert_exactly_once(at_world)


def test_a_worker_killed_between_patch_and_ledger_is_recorded_posted_without_a_second_patch(
        app, at_world, sync_sim, monkeypatch):
    from wisesync.transactions import run as run_module

    monkeypatch.setattr(run_module, "enqueue_sync", lambda run_id: None)
    real = ledger.record_posted

    def killed(*args, **kwargs):
        raise Killed()

    monkeypatch.setattr(ledger, "record_posted", killed)
    selected = [f"invoice:{FIRST}", f"invoice:{FIRST + 23}"]
    run, _ = services.start_run(at_world.nz, actor=at_world.admin, selected=selected)
    with pytest.raises(Killed):
        run_module.execute(run.id)
    monkeypatch.setattr(ledger, "record_posted", real)
    dates = at_world.web_service_dates()
    assert list(dates) == [FIRST]  # the first PATCH went in, then the worker died
    assert entries(at_world.nz)[str(FIRST)].state == "pushed"
    writes = []
    from wisesync.psa import autotask_billing

    real_mark = autotask_billing.AutotaskBilling.mark_synced
    monkeypatch.setattr(autotask_billing.AutotaskBilling, "mark_synced",
                        lambda self, invoice_id, when: writes.append(invoice_id) or real_mark(self, invoice_id, when))
    services.mark_abandoned_runs()
    second, _ = services.start_run(at_world.nz, actor=at_world.admin, selected=selected[1:])
    run_module.execute(second.id)
    data = services.progress(db.session.get(TransactionRun, second.id))
    assert data["status"] == "succeeded", data
    assert writes == [FIRST + 23]  # the marked invoice is read, not PATCHed again
    assert at_world.web_service_dates()[FIRST] == dates[FIRST]
    mine = {r["psa_id"]: r for r in data["records"]}
    assert mine[str(FIRST)]["state"] == "posted" and "already had its web service date" in mine[str(FIRST)]["message"]
    assert data["counts"]["pushed"] == 0 and sum(at_world.numbers().values()) == 2
    assert_exactly_once(at_world)
