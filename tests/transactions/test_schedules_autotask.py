"""Scheduled syncs of Autotask accounts (issue 14): an hourly or daily company of an Autotask
account is synced by the periodic task like a ConnectWise one, as the API user in Integration
Settings (Autotask's only identity), and its invoices get their webServiceDate."""
from __future__ import annotations

from tests.transactions.autotask_world import at_world, entries  # noqa: F401
from tests.transactions.sync_world import app_config, books_sim, sync_sim  # noqa: F401
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.transactions import schedules
from wisesync.transactions.identity import AUTOTASK_LABEL
from wisesync.transactions.models import TransactionRun


def test_a_due_autotask_company_is_synced_as_its_api_user_and_its_invoices_are_marked(app, at_world):
    assert schedules.due_companies() == []  # manual: never due
    at_world.nz.sync_schedule = "hourly"
    db.session.commit()
    assert [c.id for c in schedules.due_companies()] == [at_world.nz.id]
    started = schedules.start_due_syncs()
    assert len(started) == 1
    run = db.session.get(TransactionRun, started[0].id)
    assert run.psa == "autotask" and run.scheduled and run.started_by_id is None
    assert run.status in ("succeeded", "partial"), run.message
    assert run.psa_identity == AUTOTASK_LABEL
    posted = [e for e in entries(at_world.nz).values() if e.state == "posted"]
    assert posted and all(e.synced_by_id is None for e in posted)
    assert {int(e.psa_id) for e in posted} <= set(at_world.web_service_dates())
    assert db.session.query(AuditEvent).filter_by(action="sync.scheduled").count() == 1
    assert schedules.start_due_syncs() == []  # just ran: not due again for an hour
