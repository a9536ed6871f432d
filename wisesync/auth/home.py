"""The home page: the set-up checklist, ticked from what is really stored, and once every step
is done what matters daily (the companies with their last sync and problems, the last pull).

Everything here reads the database only. The unposted counts come from ConnectWise, which
can take seconds on a real tenant, so the page asks for them after it is shown
(:func:`unposted_fragment_cached`), and a person's counts are reused for a couple of minutes.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select

from wisesync.accounts.models import Account
from wisesync.companies.services import list_companies, syncable_companies
from wisesync.credentials.models import KINDS, PsaCredential
from wisesync.extensions import db
from wisesync.integrations.clients import settings_for
from wisesync.integrations.last_test import last_test
from wisesync.psadata.runs import SyncRun, latest_run
from wisesync.users.models import User


@dataclass
class Step:
    key: str
    title: str
    done: bool
    detail: str  # what is there, or what is missing, in a sentence
    endpoint: str  # where the step is done (a url_for endpoint)


@dataclass
class Home:
    steps: list[Step]
    last_pull: SyncRun | None = None
    companies: list = field(default_factory=list)  # [(company, last run, [problem])]
    problems: list[str] = field(default_factory=list)  # about the account, not one company

    @property
    def set_up(self) -> bool:
        return all(step.done for step in self.steps)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _companies_step(companies: list) -> Step:
    if companies:
        detail = f"{_plural(len(companies), 'company', 'companies')}: " + ", ".join(c.name for c in companies[:3]) \
            + (", …" if len(companies) > 3 else "") + "."
    else:
        detail = "No accounting company yet."
    return Step("companies", "Add your accounting companies and their tax codes", bool(companies), detail,
                "companies.index")


def _psa_step(account: Account) -> Step:
    psa = "ConnectWise" if account.psa_type == "connectwise" else "Autotask"
    title = f"Connect {psa} in Integration Settings"
    settings = settings_for(account.id)
    configured = settings is not None and (settings.cw_configured if account.psa_type == "connectwise"
                                           else settings.at_configured)
    if not configured:
        return Step("psa", title, False, f"The {psa} connection is not saved yet.", "integrations.index")
    result = last_test(settings, account.psa_type)
    if result is None or result["other_values"]:
        return Step("psa", title, False, "Saved, but not tested with the saved values: use Test and Save.",
                    "integrations.index")
    if not result["report"].connected:
        failed = result["report"].failed
        return Step("psa", title, False, f"The last test failed{': ' + failed[0].name if failed else ''}.",
                    "integrations.index")
    return Step("psa", title, True, f"Connected ({result['tested_at']:%d %b %Y %H:%M} UTC).", "integrations.index")


def _users_step(account: Account) -> Step:
    """Done when someone has PSA credentials and every enabled ``user``-role person has some."""
    kinds = [kind for kind, (_, psa) in KINDS.items() if psa == account.psa_type]
    has_credentials = exists().where(PsaCredential.user_id == User.id, PsaCredential.kind.in_(kinds),
                                     PsaCredential.login != "", PsaCredential.secret_enc.is_not(None))
    rows = db.session.execute(select(User.role, User.first_name, User.last_name, has_credentials)
                              .where(User.account_id == account.id, User.enabled.is_(True))
                              .order_by(User.last_name, User.first_name)).all()
    with_credentials = sum(1 for row in rows if row[3])
    missing = [f"{row[1]} {row[2]}" for row in rows if row[0] == "user" and not row[3]]
    title = "Create the people who sync, with their PSA credentials"
    if not with_credentials and not missing:
        detail = "Nobody has PSA credentials yet."
    elif missing:
        detail = (f"No PSA credentials yet: {', '.join(missing[:3])}{', …' if len(missing) > 3 else ''}"
                  f" ({_plural(with_credentials, 'person', 'people')} with credentials).")
    else:
        detail = f"{_plural(with_credentials, 'person', 'people')} with PSA credentials."
    return Step("users", title, bool(with_credentials) and not missing, detail, "users.index")


def _xero_step(companies: list) -> Step:
    from wisesync.transactions.reading import xero_problem

    waiting = [c.name for c in companies if xero_problem(c) is not None]
    title = "Connect each company to its Xero organisation"
    if not companies:
        detail = "Add a company first."
    elif waiting:
        detail = (f"{len(companies) - len(waiting)} of {len(companies)} connected; not yet: "
                  + ", ".join(waiting[:3]) + (", …" if len(waiting) > 3 else "") + ".")
    else:
        detail = "Every company is connected." if len(companies) > 1 else "Connected."
    return Step("xero", title, bool(companies) and not waiting, detail, "companies.index")


def _first_sync_step(account: Account) -> Step:
    """A finished sync of transactions (ConnectWise and Autotask alike); payment runs do not count."""
    from wisesync.transactions.models import TransactionRun

    synced = db.session.scalar(select(func.count(TransactionRun.id)).where(
        TransactionRun.account_id == account.id, TransactionRun.status == "succeeded",
        TransactionRun.purpose == "sync"))
    return Step("sync", "Sync your first transactions", bool(synced),
                f"{_plural(synced, 'sync')} finished." if synced else "No sync has finished yet.",
                "transactions.index")


def setup_steps(account: Account) -> list[Step]:
    companies = list_companies(account.id)
    return [_companies_step(companies), _psa_step(account), _users_step(account), _xero_step(companies),
            _first_sync_step(account)]


def home_for(user) -> Home:
    """What ``user``'s home page shows (admins get the checklist; everyone the daily part)."""
    from wisesync.transactions.reading import company_problems
    from wisesync.transactions.services import latest_runs

    account = db.session.get(Account, user.account_id)
    home = Home(steps=setup_steps(account) if user.is_admin else [])
    home.last_pull = latest_run(account.id)
    if home.last_pull is not None and home.last_pull.status == "failed":
        home.problems.append(f"The last pull failed: {home.last_pull.message}"
                             + (f" Fix: {home.last_pull.fix}" if home.last_pull.fix else ""))
    if not user.is_admin:  # an admin sees the same in the checklist until it is fixed
        psa = _psa_step(account)
        if not psa.done:
            home.problems.append(f"The PSA connection is not ready ({psa.detail.rstrip('.')}); an account "
                                 "administrator fixes it under Integrations.")
    companies = syncable_companies(user)
    runs = latest_runs([c.id for c in companies])
    for company in companies:
        run = runs.get(company.id)
        home.companies.append((company, run, company_problems(company, run)))
    return home


# -- the unposted counts, asked for by the page once it is shown ---------------------------------

COUNTS_TTL = 120.0  # seconds a person's counts are reused (per process)
_counts: dict[int, tuple[float, dict]] = {}
_counts_lock = threading.Lock()


def unposted_counts(user, *, fresh: bool = False) -> dict:
    """``{"companies": {id: {"text", "problems"}}, "error": str, "counted_at": epoch}`` from the
    ``/sync`` overview (one read of ConnectWise), reused for :data:`COUNTS_TTL` seconds."""
    now = time.monotonic()
    with _counts_lock:
        cached = _counts.get(user.id)
    if cached is not None and not fresh and now - cached[0] < COUNTS_TTL:
        return cached[1]
    from wisesync.transactions.services import overview

    result = overview(user)
    out = {"companies": {}, "error": "", "counted_at": time.time()}
    if result.error is not None:
        explanation = getattr(result.error, "explanation", str(result.error))
        fix = getattr(result.error, "fix", "")
        out["error"] = f"{explanation}" + (f" Fix: {fix}" if fix else "")
    autotask = getattr(getattr(user, "account", None), "psa_type", "") == "autotask"
    # Autotask has no credit memos or purchase orders to sync: negative invoices (credit notes in Xero).
    kinds = ((("invoice", "invoice"), ("credit", "negative invoice")) if autotask else
             (("invoice", "invoice"), ("credit", "credit memo"), ("procurement", "purchase order")))
    for line in result.companies:
        counts = line.counts
        text = "—" if counts is None else ", ".join(_plural(counts.get(kind, 0), word) for kind, word in kinds)
        out["companies"][str(line.company.id)] = {
            "text": text, "total": None if counts is None else sum(counts.values()), "problems": line.problems}
    with _counts_lock:
        _counts[user.id] = (now, out)
    return out
