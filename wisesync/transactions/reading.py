"""Reading the PSA (ConnectWise, or Autotask through :mod:`.autotask_review`) for the sync pages: the ``/sync`` overview (unposted counts per company,
last run, problems), a company's review, and the check of a POSTed selection.

Each page reads live; a PSA that cannot be read is a problem shown on the page (its
explanation and fix), never a 500.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from wisesync.accounts.models import Account
from wisesync.extensions import db
from wisesync.psa.errors import PsaError
from wisesync.transactions import review as rv
from wisesync.transactions.identity import Identity, choose, rest_client
from wisesync.transactions.models import LedgerEntry

PSA_NAMES = {"connectwise": "ConnectWise", "autotask": "Autotask"}
NOT_CONNECTED_FIX = "An account administrator connects it on the company's page (Companies > edit > Connect Xero)."


@dataclass
class Problem:
    explanation: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.explanation} Fix: {self.fix}" if self.fix else self.explanation


def books_for(account, identity: Identity, *, impersonate: bool = False):
    """A :class:`ConnectWiseAccounting` for ``identity``, or for an Autotask account its
    :class:`~wisesync.transactions.autotask_review.AutotaskBooks` (may raise any PsaError)."""
    if account.psa_type == "autotask":
        from wisesync.transactions import autotask_review

        return autotask_review.books_for(account)
    from wisesync.psa.connectwise_accounting import ConnectWiseAccounting

    return ConnectWiseAccounting(rest_client(account, identity, impersonate=impersonate))


def read_rows(account, books) -> list:
    """Every unposted record of the PSA (Autotask: every invoice not yet synced)."""
    return books.read_unposted() if account.psa_type == "autotask" else rv.read_unposted(books)


def router_for(account):
    if account.psa_type == "autotask":
        from wisesync.transactions.autotask_review import Router

        return Router(account.id)
    return rv.Router(account.id)


def xero_problem(company) -> Problem | None:
    connection = company.xero
    if connection is None or not connection.tenant_id:
        return Problem(f"{company.name} is not connected to a Xero organisation.", NOT_CONNECTED_FIX)
    if not connection.bound:
        return Problem(f"{company.name}'s Xero grant holds several organisations and none is chosen yet.",
                       "An account administrator picks the organisation on the company's page.")
    if connection.needs_reconnect:
        return Problem(f"Xero no longer accepts {company.name}'s connection"
                       + (f" ({connection.status_reason})" if connection.status_reason else "") + ".",
                       "An account administrator reconnects Xero on the company's page (Reconnect Xero).")
    return None


# -- /sync -----------------------------------------------------------------------------------

@dataclass
class CompanyLine:
    company: object
    organisation: str
    counts: dict | None  # {invoice, credit, procurement}; None when the PSA could not be read
    last_run: object
    problems: list[str] = field(default_factory=list)


@dataclass
class Overview:
    companies: list[CompanyLine]
    error: PsaError | Problem | None = None
    unmapped: int = 0


def _trouble_counts(company_ids: list[int]) -> dict[int, dict[str, int]]:
    rows = db.session.execute(select(LedgerEntry.company_id, LedgerEntry.state, func.count())
                              .where(LedgerEntry.company_id.in_(company_ids or [-1]),
                                     LedgerEntry.state.in_(("failed", "blocked", "pushed", "pushing")))
                              .group_by(LedgerEntry.company_id, LedgerEntry.state))
    out: dict[int, dict[str, int]] = {}
    for company_id, state, count in rows:
        out.setdefault(company_id, {})[state] = count
    return out


def company_problems(company, run) -> list[str]:
    """What stops ``company`` from syncing now: its Xero connection, its last run's failure."""
    problems = []
    xero = xero_problem(company)
    if xero is not None:
        problems.append(str(xero))
    if run is not None and run.status == "failed" and run.message:
        problems.append(f"The last sync failed: {run.message}")
    return problems


def overview(user, companies: list, latest: dict) -> Overview:
    """Every company ``user`` may sync with its live unposted counts (one read of ConnectWise
    for all of them), its last run and its problems."""
    account = db.session.get(Account, user.account_id)
    error, counts, unmapped = None, None, 0
    if companies:
        try:
            rows = read_rows(account, books_for(account, choose(account, user)))
            counts, unmapped = rv.count_by_company(rows, router_for(account))
        except PsaError as exc:
            error = exc
    trouble = _trouble_counts([c.id for c in companies])
    lines = []
    for company in companies:
        run = latest.get(company.id)
        problems = company_problems(company, run)
        found = trouble.get(company.id, {})
        for state, words in (("failed", "failed"), ("blocked", "blocked"),
                             ("pushed", f"in Xero but not yet posted in {PSA_NAMES[account.psa_type]}")):
            if found.get(state):
                problems.append(f"{found[state]} record{'s' if found[state] != 1 else ''} {words} "
                                "(see the history).")
        company_counts = None
        if counts is not None:
            company_counts = counts.get(company.id, {"invoice": 0, "credit": 0, "procurement": 0})
        lines.append(CompanyLine(company, company.xero.tenant_name if company.xero else "", company_counts,
                                 run, problems))
    return Overview(lines, error, unmapped)


# -- /sync/<id> ------------------------------------------------------------------------------

@dataclass
class Review:
    identity: Identity
    psa: str = "ConnectWise"  # the PSA's name, for the page
    organisation: str = ""
    locations: str = ""
    rows: list = field(default_factory=list)  # this company's, then those no company takes
    problems: list = field(default_factory=list)

    @property
    def own_rows(self) -> list:
        return [row for row in self.rows if not getattr(row, "unmapped", False)]

    @property
    def unmapped_groups(self) -> list[tuple[str, str, list]]:
        """Rows no company takes, by location: ``[(reason, fix, rows)]`` (said once per group)."""
        groups: dict[tuple[str, str], list] = {}
        for row in self.rows:
            if getattr(row, "unmapped", False):
                groups.setdefault((row.reason, row.fix), []).append(row)
        return [(reason, fix, rows) for (reason, fix), rows in groups.items()]

    @property
    def totals(self) -> dict:
        return rv.totals(self.rows)

    @property
    def selectable(self) -> int:
        return sum(1 for row in self.rows if not row.blocked)


# Accounts and tax rates change rarely: a review and the sync started from it a moment later
# read them once (per process: a separate worker process reads them again).
CATALOG_TTL = 300.0
_catalogs: dict[str, tuple[float, list, list]] = {}
_catalogs_lock = threading.Lock()


def xero_catalog(company, xero=None, *, with_items: bool = False):
    """What the organisation has, for mapping: accounts and tax rates (reused for
    :data:`CATALOG_TTL` seconds), and its items when ``with_items`` (always read: the run creates
    the missing ones)."""
    from wisesync.companies.xero import xero_client_for
    from wisesync.transactions.mapping import XeroCatalog

    xero = xero or xero_client_for(company)
    tenant = xero.tenant_id
    with _catalogs_lock:
        cached = _catalogs.get(tenant)
    if cached is None or time.monotonic() - cached[0] > CATALOG_TTL:
        cached = (time.monotonic(), xero.accounts(), xero.tax_rates())
        with _catalogs_lock:
            _catalogs[tenant] = cached
    return XeroCatalog.from_xero(cached[1], cached[2], xero.items() if with_items else ())


def forget_catalog(tenant_id: str) -> None:
    """Read accounts and tax rates again next time (Xero refused one the cache had)."""
    with _catalogs_lock:
        _catalogs.pop(tenant_id, None)


def review(company, user) -> Review:
    """The review of ``company`` for ``user`` (DESIGN §10.3): ConnectWise's unposted records
    routed to it (and those no company takes, blocked with the fix), each mapped and given its
    state, read live. Problems (ConnectWise or Xero unreachable, Xero not connected) are on the
    page with their fix; rows are shown as far as they could be read."""
    from wisesync.accounting.errors import XeroError

    account = db.session.get(Account, company.account_id)
    identity = choose(account, user)
    psa = PSA_NAMES[account.psa_type]
    result = Review(identity, psa, organisation=company.xero.tenant_name if company.xero else "")
    router = router_for(account)
    result.locations = router.summary(company)
    xero = xero_problem(company)
    if xero is not None:
        result.problems.append(xero)
    try:
        books = books_for(account, identity)
        mine, unmapped = router.split(read_rows(account, books), company)
    except PsaError as exc:
        result.problems.append(Problem(f"Could not read {psa}: {exc.explanation}", exc.fix))
        return result
    catalog = None
    if xero is None:
        try:
            catalog = xero_catalog(company)
        except XeroError as exc:
            result.problems.append(Problem(f"Could not read the Xero organisation: {exc.explanation}", exc.fix))
    if catalog is not None:
        try:
            if account.psa_type == "autotask":
                books.export_rows(mine, company, catalog)
            else:
                rv.export_rows(books, mine, company, catalog)
        except PsaError as exc:
            result.problems.append(Problem(f"Could not export the records' lines from {psa}: "
                                           f"{exc.explanation}", exc.fix))
    rv.apply_ledger(company, mine, psa=account.psa_type)
    for row in unmapped:
        row.unmapped = True
    result.rows = sorted(mine, key=_order) + sorted(unmapped, key=_order)
    return result


def _order(row) -> tuple:
    return ({"invoice": 0, "credit": 1, "procurement": 2}[row.kind], row.date or rv.date.min, row.number)


# -- POST /sync/<id> ---------------------------------------------------------------------------

@dataclass
class Refusal:
    key: str
    why: str


def check_selection(company, user, keys: list[tuple[str, str]]) -> list[Refusal]:
    """Which of the named ``(kind, psa_id)`` records are not unposted for ``company`` right now,
    and why (unknown id, wrong kind, another company's, already posted). Reads ConnectWise's
    unposted lists; raises PsaError when they cannot be read."""
    account = db.session.get(Account, company.account_id)
    rows = read_rows(account, books_for(account, choose(account, user)))
    router = router_for(account)
    psa = PSA_NAMES[account.psa_type]
    by_id: dict[tuple[str, str], rv.Row] = {}
    for row in rows:
        by_id[("procurement" if row.kind == "procurement" else "invoice", row.psa_id)] = row
    posted = {(e.kind, e.psa_id) for e in db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.company_id == company.id, LedgerEntry.state == "posted"))}
    refused = []
    for kind, psa_id in keys:
        key = f"{kind}:{psa_id}"
        row = by_id.get(("procurement" if kind == "procurement" else "invoice", psa_id))
        if row is None:
            why = (f"Already posted: it is no longer in {psa}'s unposted list (synced to "
                   f"{company.name} earlier)." if (kind, psa_id) in posted else
                   f"No unposted {_noun(kind)} with id {psa_id} in {psa} (unknown, or already posted).")
            refused.append(Refusal(key, why))
            continue
        if row.kind != kind:
            refused.append(Refusal(key, f"{row.what} {row.number} is a {_noun(row.kind)}, not a "
                                        f"{_noun(kind)}: send it as {row.key}."))
            continue
        owner = router.owner(row.location_id)
        if owner is None:
            router.unmapped(row)
            refused.append(Refusal(key, f"{row.reason} {row.fix}"))
        elif owner.id != company.id:
            words = rv.NOT_ROUTED_HERE if account.psa_type == "connectwise" else _at_not_routed()
            refused.append(Refusal(key, words.format(
                what=row.what, number=row.number, owner=repr(owner.name), company=repr(company.name),
                location=router.label(row.location_id))))
    return refused


def _noun(kind: str) -> str:
    return {"invoice": "invoice", "credit": "credit memo", "procurement": "purchase order"}.get(kind, kind)


def _at_not_routed() -> str:
    from wisesync.transactions.autotask_review import NOT_ROUTED_HERE

    return NOT_ROUTED_HERE
