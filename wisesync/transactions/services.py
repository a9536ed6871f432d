"""Who may sync which company, starting a sync run, and reading runs for their pages.

One queued-or-running run per company: the partial unique index on ``transaction_runs``
decides races, so of two starts at the same moment one inserts and the other gets the
winner's run. Services take explicit arguments and never touch ``request``/``flash``.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from wisesync.audit.services import record
from wisesync.companies.models import Company
from wisesync.companies.services import syncable_companies
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.transactions.reading import PSA_NAMES
from wisesync.transactions.models import (COUNT_KEYS, RUN_ACTIVE_STATUSES, TransactionRun,
                                          TransactionRunRecord)

NOT_YOURS = ("You don't have permission to sync this company; an account administrator ticks the "
             "companies each person may sync on their user page.")
WORKER_STOPPED = "The worker stopped during the sync; start it again."
WORKER_STOPPED_FIX = ("Make sure the job worker runs (scripts/serve starts it; otherwise run "
                      "`flask jobs-worker`), then sync again: records already in Xero are only "
                      "posted in {psa}, never pushed twice.")
UNCHECKABLE = "Could not check the records with {psa}, so nothing was started: {explanation} Fix: {fix}"
# A run silent this long is given up when someone starts a new one for the company.
STALE_AFTER = timedelta(minutes=15)


class NotFound(Exception):
    """No such company or run in this account (a 404: other accounts' ids are not revealed)."""


class NotAllowed(Exception):
    """The company exists in the account but this person may not sync it (a 403)."""


class SelectionRefused(Exception):
    """Some named records are not unposted for this company; ``refused`` says which and why."""

    def __init__(self, refused: list):
        self.refused = refused
        self.summary = (f"{len(refused)} of the records sent cannot be synced for this company, so "
                        "nothing was started.")
        super().__init__(self.summary)


class PsaUnreadable(Exception):
    """The PSA could not be read to check the selection (its explanation and fix)."""


# -- who ---------------------------------------------------------------------------------------

def may_sync(user, company: Company) -> bool:
    if user is None or company.account_id != user.account_id:
        return False
    return user.is_admin or any(c.id == company.id for c in user.companies)


def company_for(user, company_id: int) -> Company:
    """The company ``user`` wants to sync; raises :class:`NotFound` or :class:`NotAllowed`."""
    company = db.session.get(Company, company_id)
    if company is None or company.account_id != user.account_id:
        raise NotFound(company_id)
    if not may_sync(user, company):
        raise NotAllowed(NOT_YOURS)
    return company


def run_for(user, run_id: int) -> TransactionRun:
    """A run of a company ``user`` may sync; raises :class:`NotFound` or :class:`NotAllowed`."""
    run = db.session.scalar(select(TransactionRun).where(TransactionRun.id == run_id,
                                                         TransactionRun.account_id == user.account_id))
    if run is None:
        raise NotFound(run_id)
    company = db.session.get(Company, run.company_id)
    if not may_sync(user, company):
        raise NotAllowed(NOT_YOURS)
    return run


def companies_for(user) -> list[Company]:
    return syncable_companies(user)


# -- runs --------------------------------------------------------------------------------------

def active_run(company_id: int) -> TransactionRun | None:
    return db.session.scalar(select(TransactionRun).where(TransactionRun.company_id == company_id,
                                                          TransactionRun.status.in_(RUN_ACTIVE_STATUSES)))


def latest_runs(company_ids: list[int]) -> dict[int, TransactionRun]:
    """Company id → its most recent run (one query)."""
    if not company_ids:
        return {}
    from sqlalchemy import func

    newest = (select(func.max(TransactionRun.id)).where(TransactionRun.company_id.in_(company_ids))
              .group_by(TransactionRun.company_id))
    runs = db.session.scalars(select(TransactionRun).where(TransactionRun.id.in_(newest)))
    return {run.company_id: run for run in runs}


def start_run(company: Company, *, actor=None, selected: list[str] | None = None, identity_label: str = "",
              scheduled: bool = False, ip: str = "") -> tuple[TransactionRun, bool]:
    """Queue a sync of ``company``: ``selected`` ``"<kind>:<psa-id>"`` keys, or ``None`` for every
    unposted record. Returns ``(run, started)``; ``started`` is False when a run of this company
    was already queued or running (that run is returned, and nothing new is queued)."""
    running = active_run(company.id)
    if running is not None and utcnow() - running.heartbeat_at > STALE_AFTER:
        _give_up(running, "The previous sync stopped reporting progress and was given up.")
        db.session.commit()
        running = None
    if running is not None:
        return running, False
    from wisesync.accounts.models import Account

    account = db.session.get(Account, company.account_id)
    run = TransactionRun(account_id=company.account_id, company_id=company.id, psa=account.psa_type,
                         started_by_id=getattr(actor, "id", None), scheduled=scheduled,
                         psa_identity=identity_label[:255], status="queued")
    run.selected = selected
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        winner = active_run(company.id)
        if winner is None:  # the winner already finished: rare; the caller may simply retry
            raise
        return winner, False
    what = "every unposted record" if selected is None else f"{len(selected):,} selected record(s)"
    record("sync.scheduled" if scheduled else "sync.transactions_started", account_id=company.account_id,
           actor=actor, ip=ip,
           detail=f"{'Scheduled sync' if scheduled else 'Sync'} {run.id} of {company.name!r} queued: {what}"
                  + (f", as {identity_label}" if identity_label else ""))
    db.session.commit()
    enqueue(run.id)
    db.session.expire(run)  # in immediate mode the task already ran
    return run, True


def overview(user):
    """The ``/sync`` page: the companies ``user`` may sync, live unposted counts, last runs."""
    from wisesync.transactions.reading import overview as read_overview

    companies = companies_for(user)
    return read_overview(user, companies, latest_runs([c.id for c in companies]))


def review_for(company: Company, user):
    from wisesync.transactions.reading import review

    return review(company, user)


def start_sync(company: Company, actor, keys: list[tuple[str, str]] | None, *, ip: str = ""):
    """Start a sync of ``keys`` (``(kind, psa_id)``; ``None`` = every unposted record) by
    ``actor``. Every named record must be unposted for this company right now, else
    :class:`SelectionRefused` and nothing starts; :class:`PsaUnreadable` when the account's
    PSA cannot be read to check. Returns ``(run, started)`` like :func:`start_run`."""
    from wisesync.accounts.models import Account
    from wisesync.psa.errors import PsaError
    from wisesync.transactions.identity import choose
    from wisesync.transactions.reading import check_selection

    account = db.session.get(Account, company.account_id)
    identity = choose(account, actor)
    selected = None
    if keys is not None:
        try:
            refused = check_selection(company, actor, keys)
        except PsaError as exc:
            raise PsaUnreadable(UNCHECKABLE.format(psa=PSA_NAMES.get(account.psa_type, "the PSA"),
                                                   explanation=exc.explanation, fix=exc.fix)) from None
        if refused:
            raise SelectionRefused(refused)
        selected = [f"{kind}:{psa_id}" for kind, psa_id in keys]
    return start_run(company, actor=actor, selected=selected, identity_label=identity.label, ip=ip)


def enqueue(run_id: int) -> None:
    from wisesync.transactions.run import enqueue_sync

    enqueue_sync(run_id)


def _give_up(run: TransactionRun, message: str) -> None:
    run.status, run.message, run.finished_at = "failed", message, utcnow()
    run.fix = WORKER_STOPPED_FIX.format(psa=PSA_NAMES.get(run.psa, run.psa))


def mark_abandoned_runs(older_than: timedelta | None = None) -> int:
    """When a worker starts: fail the sync and payment runs a killed worker left *running*;
    returns how many. With a shared queue only runs silent for ``older_than`` are failed.

    A *queued* run is not abandoned: it was waiting for a worker, and this is one (as for
    pulls). Its message is handed to the queue again, by purpose; the claim in each task's
    ``execute`` (``queued`` → ``running``) makes a second message for the same run a no-op."""
    from wisesync.transactions.payments_run import PURPOSE as PAYMENTS, enqueue_payments
    from wisesync.transactions.run import enqueue_sync

    query = update(TransactionRun).where(TransactionRun.status == "running")
    if older_than is not None:
        query = query.where(TransactionRun.heartbeat_at < utcnow() - older_than)
    fix = case(*((TransactionRun.psa == psa, WORKER_STOPPED_FIX.format(psa=name)) for psa, name in PSA_NAMES.items()),
               else_=WORKER_STOPPED_FIX.format(psa="the PSA"))
    result = db.session.execute(query.values(status="failed", message=WORKER_STOPPED, fix=fix, finished_at=utcnow()))
    db.session.commit()
    waiting = db.session.execute(select(TransactionRun.id, TransactionRun.purpose)
                                 .where(TransactionRun.status == "queued").order_by(TransactionRun.id)).all()
    for run_id, purpose in waiting:
        (enqueue_payments if purpose == PAYMENTS else enqueue_sync)(run_id)
    return result.rowcount or 0


def progress(run: TransactionRun) -> dict:
    """The progress page and its JSON (DESIGN §10.6): status, counts, records (+ message, fix)."""
    from wisesync.transactions.ledger import run_progress

    return run_progress(run)


def company_of(run: TransactionRun) -> Company:
    return db.session.get(Company, run.company_id)


def started_by(run: TransactionRun):
    from wisesync.users.models import User

    return db.session.get(User, run.started_by_id) if run.started_by_id else None


def run_links(run: TransactionRun, company: Company) -> dict[str, str]:
    """``"<kind>:<psa-id>"`` → the Xero document's page, for the run's records now in Xero."""
    from wisesync.transactions.history import document_link
    from wisesync.transactions.models import LedgerEntry, TransactionRunRecord as R

    rows = db.session.execute(select(LedgerEntry).join(R, (R.kind == LedgerEntry.kind) & (R.psa_id == LedgerEntry.psa_id))
                              .where(R.run_id == run.id, LedgerEntry.company_id == run.company_id,
                                     LedgerEntry.xero_id != "")).scalars()
    return {f"{e.kind}:{e.psa_id}": document_link(company, e) for e in rows}
