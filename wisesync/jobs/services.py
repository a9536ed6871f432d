"""Starting pulls and reading their state. One queued-or-running pull per account."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from wisesync.audit.services import record
from wisesync.extensions import db
from wisesync.jobs.models import ACTIVE_STATUSES, SyncRun
from wisesync.modelbase import utcnow

WORKER_STOPPED = "The worker stopped during the pull; start it again."
WORKER_STOPPED_FIX = ("Make sure the job worker runs (scripts/serve starts it; otherwise run "
                      "`flask jobs-worker`), then start the pull again.")
# A run that has not reported progress for this long is considered abandoned when someone
# starts a new pull (a worker killed with no restart would otherwise block pulls forever).
STALE_AFTER = timedelta(minutes=15)


def get_run(account_id: int, run_id: int) -> SyncRun | None:
    return db.session.scalar(select(SyncRun).where(SyncRun.id == run_id, SyncRun.account_id == account_id))


def latest_run(account_id: int) -> SyncRun | None:
    return db.session.scalar(select(SyncRun).where(SyncRun.account_id == account_id)
                             .order_by(SyncRun.id.desc()).limit(1))


def active_run(account_id: int) -> SyncRun | None:
    return db.session.scalar(select(SyncRun).where(SyncRun.account_id == account_id,
                                                   SyncRun.status.in_(ACTIVE_STATUSES)))


def start_pull(account, *, actor=None, ip: str = "") -> tuple[SyncRun, bool]:
    """Queue a pull of the account's PSA data; returns ``(run, started)``.

    When a pull is already queued or running, returns that one with ``started=False``. The
    partial unique index on ``sync_runs`` decides races: of two concurrent starts, one
    insert fails and that caller gets the winner's run.
    """
    from wisesync.jobs.queue import enqueue_pull

    running = active_run(account.id)
    if running is not None and utcnow() - running.heartbeat_at > STALE_AFTER:
        _fail(running, "The previous pull stopped reporting progress and was given up.")
        db.session.commit()
        running = None
    if running is not None:
        return running, False
    run = SyncRun(account_id=account.id, started_by_id=getattr(actor, "id", None),
                  psa_type=account.psa_type, status="queued")
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        winner = active_run(account.id)
        if winner is None:  # the other one already finished; rare enough to just report it
            raise
        return winner, False
    record("sync.started", account_id=account.id, actor=actor, ip=ip,
           detail=f"Pull {run.id} of {account.psa_type} customers, agreements and products queued")
    db.session.commit()
    enqueue_pull(run.id)
    db.session.expire(run)  # in immediate mode the task already changed it
    return run, True


def _fail(run: SyncRun, message: str, fix: str = WORKER_STOPPED_FIX) -> None:
    run.status, run.message, run.fix, run.finished_at = "failed", message, fix, utcnow()


def mark_abandoned_runs(older_than: timedelta | None = None) -> int:
    """Fail the runs a killed worker left queued or running; returns how many.

    Called when a worker starts. With the embedded queue there is one worker, so every such
    run is abandoned (``older_than=None``). With Redis, other workers may be busy, so only
    runs silent for ``older_than`` are.
    """
    query = update(SyncRun).where(SyncRun.status.in_(ACTIVE_STATUSES))
    if older_than is not None:
        query = query.where(SyncRun.heartbeat_at < utcnow() - older_than)
    result = db.session.execute(query.values(status="failed", message=WORKER_STOPPED,
                                             fix=WORKER_STOPPED_FIX, finished_at=utcnow()))
    db.session.commit()
    return result.rowcount or 0


def progress(run: SyncRun) -> dict:
    """What the progress page and its JSON show."""
    return {"status": run.status, "counts": run.counts, "totals": run.totals,
            "percent": run.percent, "message": run.message, "fix": run.fix}


def dumps(values: dict) -> str:
    return json.dumps(values, sort_keys=True)
