"""Pull runs through the job queue: starting, one per account, progress JSON, failures, workers."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.builders import make_account, make_admin
from tests.integrations.helpers import save_at_settings, save_cw_settings
from tests.psadata.helpers import no_sleep_policy
from wisesync.extensions import db
from wisesync.psadata import pull
from wisesync.psadata import runs
from wisesync.psadata.runs import SyncRun
from wisesync.psadata.models import PsaAgreement, PsaCustomer, PsaProduct
from wisesync.simulator.faults import Fault


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def start(client, **form) -> tuple[int, dict]:
    response = client.post("/integrations/sync", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return run_id, client.get(f"/integrations/sync/{run_id}", headers={"Accept": "application/json"}).get_json()


def test_sync_redirects_to_its_progress_page_which_answers_json(client, admin, sim_faults):
    response = client.post("/integrations/sync")
    assert response.headers["Location"].startswith("/integrations/sync/")
    html = client.get(response.headers["Location"])
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "<progress" in html.get_data(as_text=True) and "js/sync.js" in html.get_data(as_text=True)
    data = client.get(response.headers["Location"], headers={"Accept": "application/json"}).get_json()
    assert data["status"] == "succeeded" and data["counts"] == {"customers": 200, "agreements": 200, "products": 200, "locations": 3}
    assert "200 customers" in data["message"]


def test_a_second_sync_while_one_runs_shows_the_running_one(client, admin):
    running = SyncRun(account_id=admin.account_id, psa_type="connectwise", status="running")
    db.session.add(running)
    db.session.commit()
    response = client.post("/integrations/sync")
    assert response.headers["Location"].endswith(f"/integrations/sync/{running.id}")
    assert rows(SyncRun) == 1
    assert "already running" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_database_refuses_two_active_runs_for_one_account(app):
    account = make_account()
    db.session.add_all([SyncRun(account_id=account.id, psa_type="connectwise", status="queued"),
                        SyncRun(account_id=account.id, psa_type="connectwise", status="running")])
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add_all([SyncRun(account_id=account.id, psa_type="connectwise", status="failed"),
                        SyncRun(account_id=account.id, psa_type="connectwise", status="running")])
    db.session.commit()


def test_a_concurrent_start_that_loses_the_race_gets_the_winner(app, admin, monkeypatch):
    winner = SyncRun(account_id=admin.account_id, psa_type="connectwise", status="running")
    db.session.add(winner)
    db.session.commit()
    # As if the check ran before the winner's insert was visible.
    monkeypatch.setattr(runs, "active_run", lambda account_id, _real=runs.active_run: (
        None if not getattr(monkeypatch, "_checked", False) and not setattr(monkeypatch, "_checked", True)
        else _real(account_id)))
    run, started = runs.start_pull(admin.account)
    assert not started and run.id == winner.id and rows(SyncRun) == 1


def test_a_stale_active_run_does_not_block_new_pulls_forever(client, admin, sim_faults):
    from datetime import timedelta

    from wisesync.modelbase import utcnow

    stale = SyncRun(account_id=admin.account_id, psa_type="connectwise", status="running",
                    heartbeat_at=utcnow() - timedelta(hours=1))
    db.session.add(stale)
    db.session.commit()
    run_id, data = start(client)
    assert run_id != stale.id and data["status"] == "succeeded"
    assert db.session.get(SyncRun, stale.id).status == "failed"


def test_another_accounts_run_is_404(client, admin, app):
    other = make_account(name="Other MSP")
    run = SyncRun(account_id=other.id, psa_type="connectwise", status="succeeded")
    db.session.add(run)
    db.session.commit()
    assert client.get(f"/integrations/sync/{run.id}").status_code == 404
    assert client.get(f"/integrations/sync/{run.id}", headers={"Accept": "application/json"}).status_code == 404
    assert client.get("/integrations/sync/999999").status_code == 404


def test_sync_without_saved_settings_explains_what_to_do(app, client, login):
    login(make_admin(make_account()))
    response = client.post("/integrations/sync")
    assert response.headers["Location"].rstrip("/") == "/integrations"
    assert "Save working integration settings first" in client.get("/integrations").get_data(as_text=True)
    assert rows(SyncRun) == 0


def test_a_429_mid_pull_is_retried_and_the_pull_completes(client, admin, sim_faults, monkeypatch):
    no_sleep_policy(monkeypatch)
    sim_faults.add(Fault(kind="429", target="cw-rest", path="procurement/catalog", after=1, count=2, retry_after=0))
    _, data = start(client)
    assert data["status"] == "succeeded", data
    assert rows(PsaProduct) == 200 and not sim_faults.list()


def test_repeated_500_fails_cleanly_with_the_message_and_a_rerun_makes_no_duplicates(
        client, admin, sim_faults, monkeypatch):
    no_sleep_policy(monkeypatch)
    monkeypatch.setattr(pull, "BATCH_SIZE", 30)
    gone = PsaCustomer(account_id=admin.account_id, psa_id=987654, name="Gone Ltd")
    db.session.add(gone)
    db.session.commit()
    # The count passes; every page of the catalog then fails.
    sim_faults.add(Fault(kind="500", target="cw-rest", path="procurement/catalog", after=1))
    _, data = start(client)
    assert data["status"] == "failed"
    assert "ConnectWise kept failing (HTTP 500)" in data["message"] and data["fix"]
    assert rows(PsaCustomer) == 201 and rows(PsaAgreement) == 200 and rows(PsaProduct) == 0
    assert db.session.get(PsaCustomer, gone.id).removed_at is None  # no full pass: nothing marked
    assert "ConnectWise kept failing" in client.get("/integrations").get_data(as_text=True)

    sim_faults.clear()
    _, data = start(client)
    assert data["status"] == "succeeded"
    assert rows(PsaCustomer) == 201 and rows(PsaAgreement) == 200 and rows(PsaProduct) == 200
    db.session.expire_all()
    gone = db.session.get(PsaCustomer, gone.id)
    assert gone.removed_at is not None and gone.active is False


def test_a_rerun_updates_in_place(client, admin, sim_faults):
    start(client)
    first_ids = set(db.session.scalars(select(PsaProduct.id)))
    _, data = start(client)
    assert data["status"] == "succeeded"
    assert set(db.session.scalars(select(PsaProduct.id))) == first_ids
    assert rows(PsaCustomer) == 200 and rows(PsaAgreement) == 200


def test_a_record_back_in_the_psa_is_active_again(client, admin, sim_faults):
    start(client)
    customer = db.session.scalar(select(PsaCustomer).where(PsaCustomer.psa_id == 5))
    customer.active, customer.removed_at = False, customer.pulled_at
    db.session.commit()
    start(client, full="1")  # a full pull reads it again (an incremental one reads only changes)
    db.session.expire_all()
    customer = db.session.scalar(select(PsaCustomer).where(PsaCustomer.psa_id == 5))
    assert customer.active and customer.removed_at is None


def test_a_missing_right_fails_the_pull_with_the_fix(client, admin, sim_faults):
    sim_faults.add(Fault(kind="deny", target="cw-rest", right="agreements"))
    _, data = start(client)
    assert data["status"] == "failed" and "right" in data["message"] and data["fix"]
    assert rows(PsaAgreement) == 0


def test_pull_with_a_key_that_stopped_working_fails_with_the_fix(app, client, login, psa_sim, sim_faults):
    account = make_account()
    save_cw_settings(account, psa_sim, private_key="revoked-key")
    login(make_admin(account))
    _, data = start(client)
    assert data["status"] == "failed" and "API keys" in data["message"] and "revoked-key" not in str(data)


def test_autotask_pull_fills_customer_names_on_contracts(app, client, login, sim_faults):
    account = make_account(psa_type="autotask")
    save_at_settings(account)
    login(make_admin(account))
    _, data = start(client)
    assert data["status"] == "succeeded", data
    from wisesync.psadata import services

    listed = services.agreements(account.id).items
    assert listed and all(customer for _agreement, customer in listed)
    _agreement, customer = listed[0]
    assert customer in client.get("/psa/agreements").get_data(as_text=True)


def test_worker_start_fails_only_running_pulls_and_runs_the_queued_ones(app, psa_sim, sim_faults):
    from wisesync.jobs.worker import prepare_worker

    a, b = make_account(name="A"), make_account(name="B")
    save_cw_settings(b, psa_sim)
    db.session.add_all([SyncRun(account_id=a.id, psa_type="connectwise", status="running"),
                        SyncRun(account_id=b.id, psa_type="connectwise", status="queued"),
                        SyncRun(account_id=a.id, psa_type="connectwise", status="succeeded")])
    db.session.commit()
    assert prepare_worker(app) == 1  # only the running one was abandoned
    db.session.expire_all()
    by_account = {(r.account_id, r.status): r for r in db.session.scalars(select(SyncRun))}
    assert rows(SyncRun) == 3
    assert "worker stopped during the pull; start it again" in by_account[(a.id, "failed")].message
    # The queued pull was handed to the (immediate) queue and ran: it was waiting, not abandoned.
    assert (b.id, "succeeded") in by_account and rows(PsaCustomer) == 200


def test_a_queued_pull_waiting_for_the_worker_is_not_given_up_by_a_new_start(client, admin):
    from datetime import timedelta

    from wisesync.modelbase import utcnow

    waiting = SyncRun(account_id=admin.account_id, psa_type="connectwise", status="queued",
                      created_at=utcnow() - timedelta(hours=2), heartbeat_at=utcnow() - timedelta(hours=2))
    db.session.add(waiting)
    db.session.commit()
    response = client.post("/integrations/sync")
    assert response.headers["Location"].endswith(f"/integrations/sync/{waiting.id}")
    assert db.session.get(SyncRun, waiting.id).status == "queued" and rows(SyncRun) == 1


def test_a_failed_run_left_in_the_queue_is_skipped(app, psa_sim):
    from wisesync.psadata.runner import execute_run

    account = make_account()
    save_cw_settings(account, psa_sim)
    run = SyncRun(account_id=account.id, psa_type="connectwise", status="failed", message="given up")
    db.session.add(run)
    db.session.commit()
    assert execute_run(run.id).status == "failed" and rows(PsaCustomer) == 0


def test_jobs_worker_command_is_registered_and_refuses_immediate_mode(app):
    result = app.test_cli_runner().invoke(args=["jobs-worker"])
    assert result.exit_code != 0 and "no worker is needed" in result.output
