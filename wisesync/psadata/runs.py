"""Pull runs: the record people watch while the PSA's customers, agreements and products are
pulled, starting one (one queued-or-running per account), its progress, and failing the runs
a killed worker left behind. The pull itself is :mod:`wisesync.psadata.runner` (the queued
task) and :mod:`wisesync.psadata.pull` (paging and upserting)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from wisesync import jobs
from wisesync.audit.services import record
from wisesync.extensions import db
from wisesync.modelbase import utcnow

ACTIVE_STATUSES = ("queued", "running")
STATUSES = (*ACTIVE_STATUSES, "succeeded", "failed")
PULL_TASK = "wisesync.pull"  # the queued task's name (kept: runs queued before an upgrade still run)

WORKER_STOPPED = "The worker stopped during the pull; start it again."
WORKER_STOPPED_FIX = ("Make sure the job worker runs (scripts/serve starts it; otherwise run "
                      "`flask jobs-worker`), then start the pull again.")
# A run that has not reported progress for this long is considered abandoned when someone
# starts a new pull (a worker killed with no restart would otherwise block pulls forever).
STALE_AFTER = timedelta(minutes=15)


class SyncRun(db.Model):
    """One pull of an account's PSA data, from "queued" to "succeeded" or "failed".

    At most one run per account is queued or running: a partial unique index enforces it, so
    two concurrent starts cannot both win.
    """

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("uq_sync_runs_one_active", "account_id", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    psa_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    # {"customers": 120, ...} done so far, and the totals the PSA reported before paging.
    counts_json: Mapped[str] = mapped_column(Text, default="{}")
    totals_json: Mapped[str] = mapped_column(Text, default="{}")
    message: Mapped[str] = mapped_column(Text, default="")
    fix: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "auto" until it starts (the runner picks), "full" (every record; marks the ones gone from
    # the PSA) or "incremental" (only records changed since ``since``); "legacy": a full pull
    # from before incremental pulls (and the mapping they came with), so never the base of one.
    kind: Mapped[str] = mapped_column(String(20), default="auto", server_default="full")
    since: Mapped[datetime | None]
    skipped_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # [[kind, psa_id, reason], ...]: the first records that could not be stored, for the page
    skipped_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def counts(self) -> dict:
        return json.loads(self.counts_json or "{}")

    @property
    def totals(self) -> dict:
        return json.loads(self.totals_json or "{}")

    @property
    def skipped(self) -> list[list]:
        return json.loads(self.skipped_json or "[]")

    @property
    def percent(self) -> int:
        if self.status == "succeeded":
            return 100
        total = sum(self.totals.values())
        return min(99, int(100 * sum(self.counts.values()) / total)) if total else 0

    def as_dict(self) -> dict:
        return {"id": self.id, "status": self.status, "counts": self.counts, "totals": self.totals,
                "percent": self.percent, "message": self.message, "fix": self.fix}

    def __repr__(self) -> str:
        return f"<SyncRun {self.id} account={self.account_id} {self.status}>"


def get_run(account_id: int, run_id: int) -> SyncRun | None:
    return db.session.scalar(select(SyncRun).where(SyncRun.id == run_id, SyncRun.account_id == account_id))


def latest_run(account_id: int) -> SyncRun | None:
    return db.session.scalar(select(SyncRun).where(SyncRun.account_id == account_id)
                             .order_by(SyncRun.id.desc()).limit(1))


def recent_runs(account_id: int, limit: int = 20) -> list[SyncRun]:
    """The account's last ``limit`` pulls, newest first (the history on Integrations)."""
    return list(db.session.scalars(select(SyncRun).where(SyncRun.account_id == account_id)
                                   .order_by(SyncRun.id.desc()).limit(limit)))


def active_run(account_id: int) -> SyncRun | None:
    return db.session.scalar(select(SyncRun).where(SyncRun.account_id == account_id,
                                                   SyncRun.status.in_(ACTIVE_STATUSES)))


def start_pull(account, *, actor=None, ip: str = "", full: bool = False) -> tuple[SyncRun, bool]:
    """Queue a pull of the account's PSA data; returns ``(run, started)``. ``full`` asks for a
    full pull now; otherwise the runner picks full or incremental (see ``runner.plan``).

    When a pull is already queued or running, returns that one with ``started=False``. The
    partial unique index on ``sync_runs`` decides races: of two concurrent starts, one
    insert fails and that caller gets the winner's run.
    """
    running = active_run(account.id)
    # Only a *running* pull goes stale; a queued one is waiting for the worker (its page says so).
    if running is not None and running.status == "running" and utcnow() - running.heartbeat_at > STALE_AFTER:
        _fail(running, "The previous pull stopped reporting progress and was given up.")
        db.session.commit()
        running = None
    if running is not None:
        return running, False
    run = SyncRun(account_id=account.id, started_by_id=getattr(actor, "id", None),
                  psa_type=account.psa_type, status="queued", kind="full" if full else "auto")
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
           detail=f"{'Full pull' if full else 'Pull'} {run.id} of {account.psa_type} customers, "
                  "agreements and products queued")
    db.session.commit()
    jobs.enqueue(PULL_TASK, run.id)
    db.session.expire(run)  # in immediate mode the task already changed it
    return run, True


def _fail(run: SyncRun, message: str, fix: str = WORKER_STOPPED_FIX) -> None:
    run.status, run.message, run.fix, run.finished_at = "failed", message, fix, utcnow()


@jobs.on_worker_start
def mark_abandoned_runs(older_than: timedelta | None = None) -> int:
    """When a worker starts: fail the pulls a killed worker left *running*; returns how many.

    With the embedded queue there is one worker, so every running pull is abandoned
    (``older_than=None``). With Redis, other workers may be busy, so only runs silent for
    ``older_than`` are. A *queued* pull is not abandoned: it was waiting for a worker, and this
    is one. Its message is handed to the queue again (the queue may have lost it, say with a
    new instance folder); the claim in :func:`~wisesync.psadata.runner.execute_run` makes a
    second message for the same run a no-op, so it runs exactly once.
    """
    query = update(SyncRun).where(SyncRun.status == "running")
    if older_than is not None:
        query = query.where(SyncRun.heartbeat_at < utcnow() - older_than)
    result = db.session.execute(query.values(status="failed", message=WORKER_STOPPED,
                                             fix=WORKER_STOPPED_FIX, finished_at=utcnow()))
    db.session.commit()
    waiting = list(db.session.scalars(select(SyncRun.id).where(SyncRun.status == "queued")
                                      .order_by(SyncRun.id)))
    for run_id in waiting:
        jobs.enqueue(PULL_TASK, run_id)
    return result.rowcount or 0


# A queued pull the worker has not picked up after this long gets the "is the worker running?" hint.
QUEUED_HINT_AFTER = timedelta(seconds=30)


def _duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def state_line(run: SyncRun, now: datetime | None = None) -> str:
    """One sentence that says where the pull is — exactly one per status, never two at once."""
    now = now or utcnow()
    if run.status == "queued":
        if now - run.created_at > QUEUED_HINT_AFTER:
            return ("Still waiting for the job worker to pick this pull up. Is it running? "
                    "scripts/serve starts it; otherwise run `flask jobs-worker`.")
        return "Queued: the job worker starts it in a moment."
    if run.status == "running":
        totals = run.totals
        if not totals:
            return "Running: asking the PSA how many records there are…"
        done, total = sum(run.counts.values()), sum(totals.values())
        return f"Running: {done:,} of {total:,} records pulled ({run.percent}%)."
    when = (run.finished_at or now).strftime("%d %b %Y %H:%M")
    took = _duration(run.started_at, run.finished_at)
    if run.status == "succeeded":
        return f"Finished {when} UTC" + (f" in {took}" if took else "") + "."
    return f"Failed {when} UTC" + (f" after {took}" if took else "") + "."


def kind_line(run: SyncRun) -> str:
    """Which kind of pull this is, in one line (the run page, under the state line)."""
    if run.kind == "incremental" and run.since is not None:
        return (f"Incremental pull: only records changed since {run.since:%d %b %Y %H:%M} UTC "
                "(nothing is marked removed; a full pull runs at least daily).")
    if run.kind in ("full", "legacy"):  # legacy: before incremental pulls, every pull was full
        return "Full pull: every record, and the ones no longer in the PSA are marked inactive."
    return "Full or incremental: decided when the pull starts."


def progress(run: SyncRun) -> dict:
    """What the progress page and its JSON show: ``state`` is the page's one state line,
    ``kinds`` the per-kind counts in pull order (``[kind, done, total]``; totals come in once
    the PSA has said them, counts grow with every page)."""
    counts, totals = run.counts, run.totals
    kinds = [[key, counts.get(key, 0), total] for key, total in totals.items()]
    return {"id": run.id, "status": run.status, "state": state_line(run), "counts": counts, "totals": totals,
            "kinds": kinds, "percent": run.percent, "message": run.message, "fix": run.fix,
            "retry": run.status == "failed", "kind": run.kind, "kind_line": kind_line(run),
            "since": run.since.isoformat() + "Z" if run.since else None,
            "skipped_count": run.skipped_count or 0,
            "skipped": [{"kind": key, "psa_id": psa_id, "reason": reason} for key, psa_id, reason in run.skipped]}


def dumps(values: dict) -> str:
    return json.dumps(values, sort_keys=True)


@jobs.task(PULL_TASK)
def pull_task(run_id: int) -> None:
    from wisesync.psadata.runner import execute_run

    execute_run(run_id)
