"""What the worker runs for the ``wisesync.pull`` task: one pull, from "queued" to "succeeded"
or "failed"."""
from __future__ import annotations

import logging

from sqlalchemy import update

from wisesync.accounts.models import Account
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psa.errors import PsaError
from wisesync.psadata import pull
from wisesync.psadata.runs import SyncRun, dumps

log = logging.getLogger(__name__)
UNEXPECTED = "The pull stopped because of an unexpected error in Wise-Sync."
UNEXPECTED_FIX = "Try again; if it happens again, the server log has the details for support."


def account_client(account: Account):
    from wisesync.integrations.clients import account_autotask_client, account_cw_rest_client

    if account.psa_type == "connectwise":
        return account_cw_rest_client(account)
    return account_autotask_client(account)


def execute_run(run_id: int, client=None) -> SyncRun | None:
    """Run the pull ``run_id`` if it is still queued (a run failed meanwhile is skipped).

    Never raises for a PSA failure: the run ends ``failed`` with the error's explanation
    and fix. ``client`` replaces the one built from the account's settings (benchmarks).
    """
    claimed = db.session.execute(
        update(SyncRun).where(SyncRun.id == run_id, SyncRun.status == "queued")
        .values(status="running", started_at=utcnow(), heartbeat_at=utcnow())).rowcount
    db.session.commit()
    run = db.session.get(SyncRun, run_id)
    if not claimed:
        log.info("Pull %s is %s, not queued; skipped.", run_id, run.status if run else "gone")
        return run
    account = db.session.get(Account, run.account_id)
    try:
        sources = pull.sources_for(run.psa_type, client or account_client(account))
        totals = {}
        for source in sources:
            totals[source.key] = source.count()
        run.totals_json = dumps(totals)
        db.session.commit()
        counts = {source.key: 0 for source in sources}

        def on_batch(key: str, rows: int) -> None:
            counts[key] += rows
            run.counts_json = dumps(counts)
            run.heartbeat_at = utcnow()

        pull.pull(sources, account.id, run.id, on_batch)
        removed = pull.mark_gone(sources, account.id, run.id)
        run.status, run.finished_at = "succeeded", utcnow()
        run.message = ", ".join(f"{n:,} {key}" for key, n in counts.items()) + " pulled" + (
            f"; {removed:,} no longer in the PSA marked inactive." if removed else ".")
        db.session.commit()
    except PsaError as exc:
        _fail(run_id, exc.explanation, exc.fix)
        log.warning("Pull %s failed: %s", run_id, exc)  # str(PsaError) never holds a secret
    except Exception:
        log.exception("Pull %s failed unexpectedly", run_id)
        _fail(run_id, UNEXPECTED, UNEXPECTED_FIX)
    return db.session.get(SyncRun, run_id)


def _fail(run_id: int, message: str, fix: str) -> None:
    db.session.rollback()
    db.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(
        status="failed", message=message, fix=fix, finished_at=utcnow()))
    db.session.commit()
