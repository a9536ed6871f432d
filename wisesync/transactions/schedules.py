"""Scheduled syncs: companies set to ``hourly`` or ``daily`` are synced by the queue's periodic
task, as the company's (no person: the primary API account, else Integration Settings), and
audited as scheduled. The same setting brings their Xero payments back to the PSA: a payment
run (:mod:`.payments_run`) is due on the same interval, counted from the last scheduled
payment run, for ConnectWise and Autotask accounts alike. A company's sync and payment run
never overlap (one active run per company): when both are due the sync goes first and the
payment run starts on the next check after it finished.

The periodic task runs every five minutes and starts the companies that are due. Never two at
once for a company: a company with a run queued or running (scheduled or manual) is skipped,
and the run insert itself is guarded by the one-active-run index, so a repeat of the periodic
task (several workers, a restart) starts nothing twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select

from wisesync import jobs
from wisesync.accounts.models import Account
from wisesync.companies.models import Company
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.transactions.models import TransactionRun

log = logging.getLogger(__name__)
TASK = "wisesync.transactions.schedules"
CHECK_EVERY = "*/5 * * * *"
INTERVALS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}
# The check runs every five minutes and a run is inserted a moment after the check: without
# this slack an hourly company would slip to every 65 minutes.
SLACK = timedelta(minutes=2)


def register() -> None:
    jobs.register_periodic(TASK, CHECK_EVERY, start_due_runs)


def start_due_runs(now: datetime | None = None) -> list[TransactionRun]:
    """The periodic task: due syncs first, then due payment runs of the companies left idle."""
    return start_due_syncs(now) + start_due_payments(now)


def due_companies(now: datetime | None = None, purpose: str = "sync") -> list[Company]:
    """Companies on a schedule whose last scheduled run of ``purpose`` started at least one
    interval ago (or that never had one), with a usable Xero connection — ConnectWise and
    Autotask accounts alike, for syncs and payment runs."""
    now = now or utcnow()
    last = (select(TransactionRun.company_id, func.max(TransactionRun.created_at).label("at"))
            .where(TransactionRun.scheduled.is_(True), TransactionRun.purpose == purpose)
            .group_by(TransactionRun.company_id).subquery())
    which = [Company.sync_schedule.in_(list(INTERVALS))]
    rows = db.session.execute(
        select(Company, last.c.at).join(Account, Account.id == Company.account_id)
        .outerjoin(last, last.c.company_id == Company.id)
        .where(*which).order_by(Company.id))
    due = []
    for company, at in rows:
        connection = company.xero
        if connection is None or not connection.bound or connection.needs_reconnect:
            continue  # the /sync page shows the problem; a run every hour would only repeat it
        if at is None or now - at >= INTERVALS[company.sync_schedule] - SLACK:
            due.append(company)
    return due


def start_due_syncs(now: datetime | None = None) -> list[TransactionRun]:
    """Start every due company's scheduled sync (of all its unposted records); returns the runs
    started. A company already syncing is left alone."""
    from wisesync.transactions.identity import choose
    from wisesync.transactions.services import active_run, start_run

    started = []
    for company in due_companies(now):
        if active_run(company.id) is not None:
            continue
        account = db.session.get(Account, company.account_id)
        identity = choose(account, None)
        run, new = start_run(company, actor=None, selected=None, identity_label=identity.label, scheduled=True)
        if new:
            started.append(run)
            log.info("Scheduled %s sync %s of company %s started.", company.sync_schedule, run.id, company.id)
    return started


def start_due_payments(now: datetime | None = None) -> list[TransactionRun]:
    """Start every due company's scheduled payment run; a company with any run queued or
    running is left for the next check."""
    from wisesync.transactions.payments_run import start_payments
    from wisesync.transactions.services import active_run

    started = []
    for company in due_companies(now, purpose="payments"):
        if active_run(company.id) is not None:
            continue
        run, new = start_payments(company, actor=None, scheduled=True)
        if new:
            started.append(run)
            log.info("Scheduled %s payment sync %s of company %s started.", company.sync_schedule, run.id, company.id)
    return started
