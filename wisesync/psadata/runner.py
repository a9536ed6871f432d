"""What the worker runs for the ``wisesync.pull`` task: one pull, from "queued" to "succeeded"
or "failed".

A pull is *full* (every record; the ones the PSA no longer lists are marked removed) or
*incremental* (only records changed since the last successful pull started, a few minutes of
overlap for clock drift). It is full when asked for, when there is no successful full pull in
the last ``FULL_EVERY``, or when nothing was pulled yet; else incremental.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import select, update

from wisesync.accounts.models import Account
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psa.errors import PsaError
from wisesync.psadata import pull
from wisesync.psadata.runs import SyncRun, dumps

log = logging.getLogger(__name__)
UNEXPECTED = "The pull stopped because of an unexpected error in Wise-Sync."
UNEXPECTED_FIX = "Try again; if it happens again, the server log has the details for support."
FULL_EVERY = timedelta(hours=24)
OVERLAP = timedelta(minutes=5)  # an incremental pull asks from this long before the last start
PROGRESS_EVERY = 1.0  # seconds: the run's progress row is written at most this often


def account_client(account: Account):
    from wisesync.integrations.clients import account_autotask_client, account_cw_rest_client

    if account.psa_type == "connectwise":
        return account_cw_rest_client(account)
    return account_autotask_client(account)


def plan(run: SyncRun, now: datetime | None = None) -> tuple[str, datetime | None]:
    """``("full", None)`` or ``("incremental", since)`` for ``run`` (see the module docstring)."""
    if run.kind == "full":
        return "full", None
    previous = list(db.session.scalars(
        select(SyncRun).where(SyncRun.account_id == run.account_id, SyncRun.id != run.id,
                              SyncRun.status == "succeeded", SyncRun.psa_type == run.psa_type,
                              SyncRun.started_at.is_not(None))
        .order_by(SyncRun.started_at.desc()).limit(50)))
    last_full = next((r for r in previous if r.kind == "full"), None)
    if not previous or last_full is None or (now or utcnow()) - last_full.started_at > FULL_EVERY:
        return "full", None
    return "incremental", previous[0].started_at - OVERLAP


class Progress:
    """Writes the run's counts (and heartbeat) at most every ``PROGRESS_EVERY`` seconds, as
    one UPDATE inside the batch's transaction; :meth:`flush` writes the last state."""

    def __init__(self, run_id: int, clock=time.monotonic):
        self.run_id, self.clock, self.last = run_id, clock, None
        self.outcome: pull.Outcome | None = None

    def __call__(self, outcome: pull.Outcome) -> None:
        self.outcome = outcome
        if self.last is None or self.clock() - self.last >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.outcome is None:
            return
        self.last = self.clock()
        db.session.execute(update(SyncRun).where(SyncRun.id == self.run_id).values(
            counts_json=dumps(self.outcome.counts), heartbeat_at=utcnow(),
            skipped_count=sum(self.outcome.skipped.values()), skipped_json=json.dumps(self.outcome.examples)))


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
        run.kind, run.since = plan(run)
        sources = pull.sources_for(run.psa_type, client or account_client(account), run.since)
        run.totals_json = dumps({source.key: source.count() for source in sources})
        db.session.commit()
        progress = Progress(run_id)
        outcome = pull.pull(sources, account.id, run_id, progress)
        derived = {s.key: s.count() for s in sources if s.derived}  # known only now (Autotask levels)
        if derived:
            db.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(
                totals_json=dumps({**json.loads(run.totals_json or "{}"), **derived})))
        progress.flush()
        # Marked removed: only what a complete read did not see, and only when the PSA's count
        # at the end agrees that the read saw everything (nothing was added behind it).
        whole = [s for s in sources if not s.changed_only]
        short = [s.key for s in whole if outcome.seen(s.key) < s.count()]
        removed = pull.mark_gone([s for s in whole if s.key not in short], account.id, run_id)
        run = db.session.get(SyncRun, run_id)
        run.status, run.finished_at = "succeeded", utcnow()
        run.message = _message(run, outcome, removed, short)
        db.session.commit()
    except PsaError as exc:
        _fail(run_id, exc.explanation, exc.fix)
        log.warning("Pull %s failed: %s", run_id, exc)  # str(PsaError) never holds a secret
    except Exception:
        log.exception("Pull %s failed unexpectedly", run_id)
        _fail(run_id, UNEXPECTED, UNEXPECTED_FIX)
    return db.session.get(SyncRun, run_id)


def _message(run: SyncRun, outcome: pull.Outcome, removed: int, short: list[str]) -> str:
    pulled = ", ".join(f"{n:,} {key}" for key, n in outcome.counts.items())
    if run.kind == "incremental":
        text = f"Changes since {run.since:%d %b %Y %H:%M} UTC: {pulled} pulled"
    else:
        text = f"{pulled} pulled"
    skipped = sum(outcome.skipped.values())
    if skipped:
        text += f"; {skipped:,} record{'s' if skipped != 1 else ''} skipped (listed below)"
    if removed:
        text += f"; {removed:,} no longer in the PSA marked inactive"
    if short:
        text += (f"; the PSA counted more {', '.join(short)} at the end than were read (records "
                 "added during the pull), so none were marked removed: the next full pull will")
    return text + "."


def _fail(run_id: int, message: str, fix: str) -> None:
    db.session.rollback()
    db.session.execute(update(SyncRun).where(SyncRun.id == run_id).values(
        status="failed", message=message, fix=fix, finished_at=utcnow()))
    db.session.commit()
