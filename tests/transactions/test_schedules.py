"""Scheduled syncs: hourly and daily companies started by the queue's periodic task, as the
company's (no person), audited as scheduled, never two at once for a company."""
from __future__ import annotations

from datetime import timedelta

from tests.transactions.sync_world import app_config, books_sim, sync_sim, world  # noqa: F401
from wisesync.audit.models import AuditEvent
from wisesync.credentials.models import PsaCredential
from wisesync.crypto import encrypt
from wisesync.extensions import db
from wisesync.jobs import registry
from wisesync.modelbase import utcnow
from wisesync.simulator import demo
from wisesync.transactions import schedules
from wisesync.transactions.models import LedgerEntry, TransactionRun


def scheduled_run(company, minutes_ago: int, status: str = "succeeded") -> TransactionRun:
    run = TransactionRun(account_id=company.account_id, company_id=company.id, psa="connectwise",
                         scheduled=True, status=status, created_at=utcnow() - timedelta(minutes=minutes_ago))
    db.session.add(run)
    db.session.commit()
    return run


def set_schedule(company, schedule: str) -> None:
    company.sync_schedule = schedule
    db.session.commit()


def test_the_schedule_check_is_a_periodic_task_of_the_queue(app):
    task = registry.periodic_tasks()[schedules.TASK]
    assert task.schedule == "*/5 * * * *" and task.fn is schedules.start_due_runs


def test_manual_companies_are_never_due_and_scheduled_ones_are_by_their_interval(app, world):
    assert schedules.due_companies() == []
    set_schedule(world.nz, "hourly")
    set_schedule(world.au, "daily")
    assert {c.id for c in schedules.due_companies()} == {world.nz.id, world.au.id}  # never synced
    scheduled_run(world.nz, 30)
    scheduled_run(world.au, 23 * 60)
    assert schedules.due_companies() == []
    now = utcnow()
    assert [c.id for c in schedules.due_companies(now + timedelta(minutes=31))] == [world.nz.id]
    assert {c.id for c in schedules.due_companies(now + timedelta(hours=1, minutes=1))} == {world.nz.id, world.au.id}


def test_a_company_without_a_usable_xero_connection_is_not_started(app, world):
    set_schedule(world.nz, "hourly")
    world.nz.xero.status = "reconnect"
    db.session.commit()
    assert schedules.due_companies() == []


def test_a_due_company_is_synced_as_the_company_and_audited_as_scheduled(app, world, sync_sim):
    db.session.add(PsaCredential(account_id=world.account.id, user_id=world.user.id, kind="connectwise",
                                 login=demo.CW_MEMBER_ID, secret_enc=encrypt(demo.CW_MEMBER_PASSWORD)))
    db.session.commit()
    set_schedule(world.nz, "hourly")
    started = schedules.start_due_syncs()
    assert len(started) == 1
    run = db.session.get(TransactionRun, started[0].id)
    assert run.scheduled and run.started_by_id is None and run.status == "succeeded", run.message
    assert run.psa_identity == "the API keys in Integration Settings"
    event = db.session.query(AuditEvent).filter_by(action="sync.scheduled").one()
    assert event.actor_id is None and "Scheduled sync" in event.detail and "Acme NZ Ltd" in event.detail
    posted = db.session.query(LedgerEntry).filter_by(state="posted").all()
    assert len(posted) == 16 and all(e.synced_by_id is None for e in posted)
    # no person, so nobody is impersonated: ConnectWise records the API member
    assert {b.actor for b in sync_sim.state.cw_books.batch_list()} == {"WiseSyncAPI"}
    assert schedules.start_due_syncs() == []  # just ran: not due again for an hour


def test_a_company_already_syncing_is_left_alone(app, world, monkeypatch):
    from wisesync.transactions import run as run_module

    monkeypatch.setattr(run_module, "enqueue_sync", lambda run_id: None)
    set_schedule(world.nz, "hourly")
    manual = TransactionRun(account_id=world.account.id, company_id=world.nz.id, psa="connectwise",
                            status="running", started_by_id=world.admin.id)
    db.session.add(manual)
    db.session.commit()
    assert schedules.start_due_syncs() == []
    assert db.session.query(TransactionRun).count() == 1


def test_the_periodic_task_repeated_in_one_minute_starts_one_run(app, world, monkeypatch):
    from wisesync.jobs.queue import jobs
    from wisesync.transactions import run as run_module

    monkeypatch.setattr(run_module, "enqueue_sync", lambda run_id: None)
    set_schedule(world.nz, "hourly")
    set_schedule(world.au, "daily")
    task = jobs(app).wrapper(schedules.TASK)
    task()  # two workers running the scheduler, or a restart within the minute
    task()
    runs = db.session.query(TransactionRun).all()
    assert sorted(r.company_id for r in runs) == sorted([world.nz.id, world.au.id])
    assert all(r.scheduled and r.status == "queued" for r in runs)
    assert schedules.start_due_syncs() == []  # queued runs block a second start too


def test_scheduled_runs_use_the_primary_api_account_over_integration_settings(app, world, monkeypatch):
    from wisesync.transactions import run as run_module

    monkeypatch.setattr(run_module, "enqueue_sync", lambda run_id: None)
    db.session.add(PsaCredential(account_id=world.account.id, user_id=world.admin.id, kind="connectwise-api",
                                 login=demo.CW_PUBLIC_KEY, secret_enc=encrypt(demo.CW_PRIVATE_KEY),
                                 is_primary=True))
    db.session.commit()
    set_schedule(world.nz, "daily")
    [run] = schedules.start_due_syncs()
    assert run.psa_identity.startswith("the primary API account (Ada Admin")
