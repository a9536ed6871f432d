"""Incremental pulls (issue 12): after a complete pull the next asks only for records changed
since the last successful one started; a full pull (the only kind that marks records removed)
runs daily or on demand; the run page says which kind it was."""
from __future__ import annotations

from datetime import timedelta

from tests.builders import make_account, make_admin
from tests.integrations.helpers import save_at_settings
from tests.psadata.helpers import local, sim_records  # noqa: F401  (sim_records: a fixture)
from tests.psadata.helpers import start_pull as start
from wisesync.extensions import db
from wisesync.psadata import runner
from wisesync.psadata.models import PsaAgreement, PsaCustomer, PsaProduct
from wisesync.psadata.runs import SyncRun
from wisesync.simulator import at_data


class Sent:
    """The list requests the ConnectWise client sends."""

    def __init__(self, monkeypatch):
        from wisesync.psa import connectwise_paging

        self.params = []
        real = connectwise_paging.ListPaging._page

        def page(client, path, **kw):
            self.params.append((path, dict(kw.get("params") or {})))
            return real(client, path, **kw)

        monkeypatch.setattr(connectwise_paging.ListPaging, "_page", page)


def test_the_second_pull_asks_only_for_changes_since_the_first_started(client, admin, sim_records, monkeypatch,
                                                                      sim_faults):
    first = start(client)
    assert first["kind"] == "full"
    sim_records.change("cw", "company/companies", 3, {"status": {"id": 5, "name": "Credit Hold"}})
    sim_records.change("cw", "procurement/catalog", 9, {"price": 99.5})
    sent = Sent(monkeypatch)
    second = start(client)
    assert second["status"] == "succeeded", second
    assert second["kind"] == "incremental"
    assert second["counts"] == {"customers": 1, "agreements": 0, "products": 1, "locations": 3}
    started = db.session.get(SyncRun, first["id"]).started_at
    assert db.session.get(SyncRun, second["id"]).since == started - runner.OVERLAP
    since = f"lastUpdated>[{(started - runner.OVERLAP):%Y-%m-%dT%H:%M:%SZ}]"
    lists = {path: params for path, params in sent.params}
    assert since in lists["/company/companies"]["conditions"] and since in lists["/procurement/catalog"]["conditions"]
    assert "lastUpdated" not in lists["/system/locations"]["conditions"]  # few: always read whole
    assert local(PsaCustomer, 3).status == "Credit Hold" and local(PsaProduct, 9).price == 99.5
    assert second["message"].startswith("Changes since") and "Incremental pull" in second["kind_line"]
    page = client.get(f"/integrations/sync/{second['id']}").get_data(as_text=True)
    assert "Incremental pull: only records changed since" in page


def test_an_incremental_pull_marks_nothing_removed_and_a_full_one_does(client, admin, sim_records, sim_faults):
    start(client)
    sim_records.delete("cw", "company/companies", 4)
    assert start(client)["kind"] == "incremental"
    assert local(PsaCustomer, 4).active and local(PsaCustomer, 4).removed_at is None
    full = start(client, full="1")
    assert full["kind"] == "full" and "1 no longer in the PSA marked inactive" in full["message"]
    assert local(PsaCustomer, 4).removed_at is not None


def test_a_full_pull_runs_when_the_last_full_one_is_a_day_old(client, admin, sim_faults):
    first = start(client)
    run = db.session.get(SyncRun, first["id"])
    run.started_at -= runner.FULL_EVERY + timedelta(minutes=1)
    db.session.commit()
    assert start(client)["kind"] == "full"
    assert start(client)["kind"] == "incremental"


def test_a_failed_pull_does_not_move_the_since(client, admin, sim_faults):
    from wisesync.simulator.faults import Fault

    first = start(client)
    sim_faults.add(Fault(kind="500", target="cw-rest", path="finance/agreements"))
    assert start(client)["status"] == "failed"
    sim_faults.clear()
    third = start(client)
    assert third["kind"] == "incremental"
    assert db.session.get(SyncRun, third["id"]).since == db.session.get(SyncRun, first["id"]).started_at - runner.OVERLAP


def test_plan_is_full_for_another_psa_or_when_nothing_succeeded(app):
    account = make_account(psa_type="connectwise")
    old = SyncRun(account_id=account.id, psa_type="autotask", status="succeeded", kind="full")
    run = SyncRun(account_id=account.id, psa_type="connectwise", status="running", kind="auto")
    db.session.add_all([old, run])
    db.session.commit()
    old.started_at = run.created_at
    db.session.commit()
    assert runner.plan(run) == ("full", None)


def test_autotask_incremental_uses_each_entitys_modified_field(app, client, login, sim_records, sim_faults):
    account = make_account(psa_type="autotask")
    save_at_settings(account)
    login(make_admin(account))
    start(client)
    contract = at_data.BASE_IDS["Contracts"] + 5
    service = at_data.BASE_IDS["Services"] + 2
    sim_records.change("at", "Contracts", contract, {"status": 0})
    sim_records.change("at", "Services", service, {"unitPrice": 12.0})
    data = start(client)
    assert data["status"] == "succeeded", data
    assert data["kind"] == "incremental"
    # Products have no modified field in Autotask's ProductModel: read whole every time.
    # Levels: the changed contract's and those of the invoices waiting to sync; none marked gone.
    assert data["counts"] == {"customers": 0, "agreements": 1, "products": 200, "services": 1,
                              "organisational levels": 2}
    assert local(PsaAgreement, contract).active is False and local(PsaAgreement, contract).status == "Inactive"
    assert local(PsaProduct, service, kind="service").price == 12.0


def test_progress_is_written_at_most_once_a_second(app):
    from wisesync.psadata.pull import Outcome

    now = [0.0]
    progress = runner.Progress(run_id=1, clock=lambda: now[0])
    writes = []
    progress.flush = lambda real=progress.flush: writes.append(now[0])
    outcome = Outcome({"customers": 0}, {"customers": 0}, [])
    for t in (0.0, 0.3, 0.9, 1.0, 1.4, 2.5):
        now[0] = t
        progress(outcome)
        if writes and writes[-1] == t:
            progress.last = t
    assert writes == [0.0, 1.0, 2.5]


def test_after_the_upgrade_the_first_pull_is_full(app):
    """Runs from before incremental pulls are 'legacy': their records came with the old mapping,
    so the next pull rewrites every record instead of asking only for changes."""
    account = make_account(psa_type="connectwise")
    old = SyncRun(account_id=account.id, psa_type="connectwise", status="succeeded", kind="legacy")
    run = SyncRun(account_id=account.id, psa_type="connectwise", status="running", kind="auto")
    db.session.add_all([old, run])
    db.session.commit()
    old.started_at = run.created_at
    db.session.commit()
    assert runner.plan(run) == ("full", None)
    old.kind = "full"
    db.session.commit()
    assert runner.plan(run)[0] == "incremental"


def test_a_renamed_record_is_stored_and_found_by_its_new_name(client, admin, sim_records, sim_faults):
    """The SQLite search triggers fire inside the pull's upsert: a rename must not be refused."""
    start(client)
    sim_records.change("cw", "company/companies", 3, {"name": "Renamed Holdings Ltd"})
    sim_records.change("cw", "procurement/catalog", 9, {"description": "Quartzite widget"})
    second = start(client)
    assert second["status"] == "succeeded" and not second.get("skipped"), second
    assert local(PsaCustomer, 3).name == "Renamed Holdings Ltd"
    assert "Renamed Holdings Ltd" in client.get("/psa/customers?q=renamed holdings").get_data(as_text=True)
    assert "Quartzite widget" in client.get("/psa/products?q=quartzite").get_data(as_text=True)
