"""When a worker starts, sync and payment runs a killed worker left *running* are failed, and
runs still *queued* (waiting for a worker while it was down) are handed to the queue again by
purpose, not given up (issue 12: the same rule as pulls)."""
from __future__ import annotations

from tests.builders import make_account, make_company
from wisesync.extensions import db
from wisesync.transactions import payments_run, run as run_module, services
from wisesync.transactions.models import TransactionRun


def test_worker_start_fails_running_runs_and_requeues_queued_ones_by_purpose(app, monkeypatch):
    sent = []
    monkeypatch.setattr(run_module, "enqueue_sync", lambda run_id: sent.append(("sync", run_id)))
    monkeypatch.setattr(payments_run, "enqueue_payments", lambda run_id: sent.append(("payments", run_id)))
    account = make_account()
    a, b, c = (make_company(account, name=name) for name in ("A Ltd", "B Ltd", "C Ltd"))
    running = TransactionRun(account_id=account.id, company_id=a.id, psa="connectwise", status="running")
    sync = TransactionRun(account_id=account.id, company_id=b.id, psa="connectwise", status="queued")
    payments = TransactionRun(account_id=account.id, company_id=c.id, psa="connectwise", status="queued",
                              purpose=payments_run.PURPOSE)
    db.session.add_all([running, sync, payments])
    db.session.commit()

    assert services.mark_abandoned_runs() == 1
    db.session.expire_all()
    assert db.session.get(TransactionRun, running.id).status == "failed"
    assert services.WORKER_STOPPED in db.session.get(TransactionRun, running.id).message
    assert db.session.get(TransactionRun, sync.id).status == "queued"
    assert db.session.get(TransactionRun, payments.id).status == "queued"
    assert sorted(sent) == [("payments", payments.id), ("sync", sync.id)]
