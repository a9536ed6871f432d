"""*Sync payments now* and the scheduled payment runs (issue 14): who may start one, CSRF,
the run page and its JSON, payment rows in the history, and the schedule shared with syncs."""
from __future__ import annotations

from datetime import timedelta

from tests.builders import make_account, make_admin
from tests.transactions.payments_world import paid_world, pay, sync_payments, synced  # noqa: F401
from tests.transactions.sync_world import app_config, books_sim, client_as, sync_sim, world  # noqa: F401
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.transactions import payments_run, schedules
from wisesync.transactions.models import TransactionRun


def _no_queue(monkeypatch):
    from wisesync.transactions import run as run_module

    monkeypatch.setattr(payments_run, "enqueue_payments", lambda run_id: None)
    monkeypatch.setattr(run_module, "enqueue_sync", lambda run_id: None)


def test_the_review_page_has_the_sync_payments_button_with_its_token(client, world):
    page = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert f'action="/sync/{world.nz.id}/payments"' in page and "Sync payments now" in page
    form = page[page.index('id="payments-form"'):]
    assert 'name="csrf_token"' in form[:form.index("</form>")]


def test_starting_payments_needs_the_csrf_token(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/sync/{world.nz.id}/payments").status_code == 400
    assert db.session.query(TransactionRun).count() == 0


def test_only_people_who_may_sync_the_company_start_its_payments(app, client, world, monkeypatch):
    _no_queue(monkeypatch)
    user = client_as(app, world.user)  # NZ ticked, AU not
    assert user.post(f"/sync/{world.au.id}/payments").status_code == 403
    stranger = client_as(app, make_admin(make_account("Other MSP")))
    assert stranger.post(f"/sync/{world.nz.id}/payments").status_code == 404
    assert db.session.query(TransactionRun).count() == 0
    started = user.post(f"/sync/{world.nz.id}/payments")
    assert started.status_code == 303
    run = db.session.query(TransactionRun).one()
    assert started.headers["Location"] == f"/sync/runs/{run.id}"
    assert (run.purpose, run.started_by_id, run.scheduled) == ("payments", world.user.id, False)
    assert stranger.get(f"/sync/runs/{run.id}").status_code == 404
    event = db.session.query(AuditEvent).filter_by(action="sync.payments_started").one()
    assert event.actor_id == world.user.id and "Acme NZ Ltd" in event.detail


def test_the_payment_run_page_and_its_json(client, paid_world, sync_sim):
    entry = synced(paid_world)[0]
    pay(sync_sim.url, entry, entry.total)
    data = sync_payments(client, paid_world.nz)
    assert set(data["counts"]) >= {"pushed", "posted", "adopted", "blocked", "failed", "waiting", "ignored"}
    run = db.session.query(TransactionRun).filter_by(purpose="payments").one()
    page = client.get(f"/sync/runs/{run.id}").get_data(as_text=True)
    assert f"Payment sync #{run.id}" in page and "Recorded in ConnectWise" in page
    assert f'data-record="payment:{entry.psa_id}"' in page
    assert f"/_sim/xero/" in page and entry.xero_id in page  # the invoice, in Xero
    history = client.get(f"/sync/history?company={paid_world.nz.id}&q={entry.number}").get_data(as_text=True)
    row = history[history.index(f'data-record="payment:{entry.psa_id}"'):]
    assert ">Payment<" in row[:600] and entry.xero_id in row[:2000]


def test_a_scheduled_company_gets_its_payments_after_its_sync_on_the_same_setting(app, world, monkeypatch):
    _no_queue(monkeypatch)
    world.nz.sync_schedule = "hourly"
    db.session.commit()
    [sync] = schedules.start_due_runs()
    assert sync.purpose == "sync"  # the sync first; the payment run waits for it
    assert db.session.query(TransactionRun).count() == 1
    sync.status, sync.finished_at = "succeeded", utcnow()
    db.session.commit()
    [payments] = schedules.start_due_runs()
    assert (payments.purpose, payments.scheduled, payments.started_by_id) == ("payments", True, None)
    payments.status = "succeeded"
    db.session.commit()
    assert schedules.start_due_runs() == []  # both ran: neither is due for an hour
    later = utcnow() + timedelta(hours=1, minutes=1)
    assert {c.id for c in schedules.due_companies(later, purpose="payments")} == {world.nz.id}
    assert db.session.query(AuditEvent).filter_by(action="sync.payments_scheduled").count() == 1


def test_autotask_companies_get_scheduled_payment_runs(app, client, login, sync_sim, monkeypatch):
    from tests.companies.xero_flow import connect
    from tests.builders import make_company
    from tests.integrations.helpers import save_at_settings
    from wisesync.simulator.xero_data import NZ_TENANT_ID

    _no_queue(monkeypatch)
    account = make_account("Tasked MSP", "autotask")
    save_at_settings(account)
    company = make_company(account, "Tasked NZ Ltd")
    login(make_admin(account))
    assert connect(client, company, tenant_ids=(NZ_TENANT_ID,)).status_code == 303
    company = db.session.get(type(company), company.id)
    company.sync_schedule = "daily"
    db.session.commit()
    assert [c.id for c in schedules.due_companies()] == [company.id]  # its sync is scheduled too
    [run] = schedules.start_due_payments()
    assert run.purpose == "payments" and run.psa == "autotask"
    assert run.psa_identity == "the Autotask API user in Integration Settings"
