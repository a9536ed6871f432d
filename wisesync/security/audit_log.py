"""The audit log page and its CSV export: actions in plain words, filters by action, person and
date, and a streamed CSV safe to open in a spreadsheet.

The person filter is a search box: the people it matches are found by a query of their ids
(a subquery of the audit query), so the page never loads the account's users to draw a
drop-down, however many there are.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterator

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, selectinload

from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.users.models import User

AUDIT_PER_PAGE = 50

# Every action the features record, in words (a test checks each recorded code is here).
ACTION_LABELS = {
    "account.created": "Account created",
    "account.settings_changed": "Account settings changed",
    "account_qlink.generated": "Account QLink generated",
    "account_qlink.revoked": "Account QLink revoked",
    "account_qlink.used": "Account QLink opened",
    "company.created": "Company created",
    "company.edited": "Company edited",
    "company.deleted": "Company deleted",
    "company.xero_authorised": "Xero access granted",
    "company.xero_connect_failed": "Xero connection failed",
    "company.xero_connect_started": "Xero connection started",
    "company.xero_connected": "Xero connected",
    "company.xero_disconnected": "Xero disconnected",
    "company.xero_reconnect_needed": "Xero needs reconnecting",
    "company.xero_tested": "Xero connection tested",
    "document.attached": "Document attached to a transaction",
    "document.retried": "Document to be sent to Xero again",
    "google.connected": "Google account connected",
    "google.connect_failed": "Google account connection failed",
    "google.disconnected": "Google account disconnected",
    "google.reconnect_needed": "Google account needs reconnecting",
    "integration.settings_changed": "Integration settings changed",
    "integration.tested": "Integration settings tested",
    "login.ok": "Logged in",
    "login.failed": "Login failed",
    "login.refused": "Login refused",
    "login.code_sent": "Login code mailed",
    "login.code_failed": "Wrong login code",
    "logout": "Logged out (every session)",
    "password.changed": "Password changed",
    "password.reset": "Password reset",
    "password.reset_requested": "Password reset requested",
    "password.reset_refused": "Password reset refused",
    "payment_link.created": "Wise-Pay link created",
    "payment_link.deactivated": "Wise-Pay link deactivated",
    "psa_credentials.set": "PSA credentials saved",
    "psa_credentials.tested": "PSA credentials tested",
    "qlink.generated": "QLink generated",
    "qlink.revoked": "QLink revoked",
    "qlink.used": "QLink opened",
    "qlink.reauth": "Password confirmed in a QLink session",
    "qlink.reauth_failed": "Wrong password in a QLink session",
    "session.expired": "Session expired",
    "sync.started": "Pull of PSA data started",
    "sync.scheduled": "Scheduled sync queued",
    "sync.transactions_started": "Sync started",
    "sync.payments_started": "Payment sync started",
    "sync.payments_scheduled": "Scheduled payment sync queued",
    "user.created": "User created",
    "user.edited": "User edited",
    "user.role_changed": "Role changed",
    "user.companies_changed": "Companies changed",
    "user.disabled": "User disabled",
    "user.enabled": "User enabled",
}


def action_label(code: str) -> str:
    """The action in words; a code recorded by a newer feature still reads as words."""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    words = code.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def action_choices() -> list[tuple[str, str]]:
    """``(code, label)`` for the action filter, by label."""
    return sorted(ACTION_LABELS.items(), key=lambda item: item[1].lower())


@dataclass
class AuditFilter:
    action: str = ""
    person: str = ""  # words of a name, username or email
    user_id: int | None = None  # one exact person (links from other pages)
    since: date | None = None  # inclusive, UTC
    until: date | None = None  # inclusive, UTC

    def as_args(self) -> dict:
        """The query parameters that give this filter back (for page links and the CSV link)."""
        args = {"action": self.action, "person": self.person, "user": self.user_id,
                "from": self.since.isoformat() if self.since else "",
                "to": self.until.isoformat() if self.until else ""}
        return {key: value for key, value in args.items() if value}

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def person_name(account_id: int, user_id: int | None) -> str | None:
    """The full name of one of the account's users (``None``: no such user here)."""
    if user_id is None:
        return None
    row = db.session.execute(select(User.first_name, User.last_name).where(
        User.id == user_id, User.account_id == account_id)).first()
    return f"{row[0]} {row[1]}" if row else None


def _people_matching(account_id: int, words: str):
    """A subquery of the ids of the account's users whose name, username or email holds ``words``."""
    needle = f"%{words.strip().lower()}%"
    full_name = func.lower(User.first_name + " " + User.last_name)
    return select(User.id).where(User.account_id == account_id, or_(
        full_name.like(needle), func.lower(User.username).like(needle), func.lower(User.email).like(needle)))


def _where(query, account_id: int, filters: AuditFilter):
    query = query.where(AuditEvent.account_id == account_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.user_id is not None:
        query = query.where(or_(AuditEvent.actor_id == filters.user_id,
                                AuditEvent.target_user_id == filters.user_id))
    if filters.person:
        people = _people_matching(account_id, filters.person)
        query = query.where(or_(AuditEvent.actor_id.in_(people), AuditEvent.target_user_id.in_(people)))
    if filters.since:
        query = query.where(AuditEvent.created_at >= datetime.combine(filters.since, time.min))
    if filters.until:
        query = query.where(AuditEvent.created_at < datetime.combine(filters.until + timedelta(days=1), time.min))
    return query


def audit_page(account_id: int, filters: AuditFilter, *, page: int = 1):
    """Newest first, :data:`AUDIT_PER_PAGE` a page; a person filter matches what they did or
    what was done to them."""
    query = _where(select(AuditEvent), account_id, filters).options(
        selectinload(AuditEvent.actor), selectinload(AuditEvent.target_user))
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=max(page, 1), per_page=AUDIT_PER_PAGE, error_out=False)


# -- CSV ------------------------------------------------------------------------------------------

CSV_COLUMNS = ("Time (UTC)", "Who", "Who (username)", "What", "To whom", "To whom (username)", "Detail",
               "IP address")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(account_id: int, filters: AuditFilter) -> Iterator[str]:
    """The header, then every matching event newest first, as CSV lines; read from the
    database in chunks (names by join, no ORM objects), so any size streams in flat memory."""
    actor, target = aliased(User), aliased(User)
    query = _where(select(AuditEvent.created_at, actor.first_name, actor.last_name, actor.username,
                          AuditEvent.action, target.first_name, target.last_name, target.username,
                          AuditEvent.detail, AuditEvent.ip)
                   .select_from(AuditEvent)
                   .outerjoin(actor, actor.id == AuditEvent.actor_id)
                   .outerjoin(target, target.id == AuditEvent.target_user_id), account_id, filters)
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(value) for value in values])
        return buffer.getvalue()

    yield line(CSV_COLUMNS)
    for row in db.session.execute(query.execution_options(yield_per=1000)):
        (at, a_first, a_last, a_user, action, t_first, t_last, t_user, detail, ip) = row
        yield line((at.strftime("%Y-%m-%d %H:%M:%S"), f"{a_first} {a_last}" if a_user else "", a_user or "",
                    action_label(action), f"{t_first} {t_last}" if t_user else "", t_user or "", detail, ip))
