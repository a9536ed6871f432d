"""The simulated Xero's mutable state, attached to the simulator as ``state.xero``.

``XeroState.reset()`` restores the seed (``POST /_sim/reset`` calls it): the two organisations'
books, every grant and token, the rate-limit counters, the idempotency memory and the clock.
The clock is wall time plus an offset tests move (``advance``) to expire tokens or roll the
rate-limit windows without waiting.
"""
from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from wisesync.simulator import xero_data
from wisesync.simulator.xero_grants import GrantStore
from wisesync.simulator.xero_limits import Limits, RateLimiter

IDEMPOTENCY_LIFETIME = 86_400  # UNVERIFIED: Xero does not say how long it remembers a key


@dataclass
class OrgBooks:
    """One organisation: its settings and every record it holds (dicts in Xero's shape)."""
    seed: xero_data.OrgSeed
    limits: Limits = field(default_factory=Limits)
    period_lock_date: date | None = None
    end_of_year_lock_date: date | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self):
        self.tax_rates = xero_data.tax_rates(self.seed)
        self.accounts = xero_data.accounts(self.seed)
        self.tracking_categories = xero_data.tracking_categories(self.seed)
        # Insertion-ordered, keyed by the record's Xero id.
        self.contacts: dict[str, dict] = {}
        self.items: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.credit_notes: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.created_by: dict[str, str] = {}  # document id → client id of the app that made it
        self.invoice_seq = 0
        self.credit_seq = 0

    def clone(self) -> "OrgBooks":
        """A copy whose records can change without touching these (a dry run)."""
        twin = copy.copy(self)
        for attr in ("contacts", "items", "invoices", "credit_notes", "payments", "created_by"):
            setattr(twin, attr, copy.deepcopy(getattr(self, attr)))
        return twin

    def organisation(self) -> dict:
        org = xero_data.organisation(self.seed)
        org["PeriodLockDate"] = self.period_lock_date
        org["EndOfYearLockDate"] = self.end_of_year_lock_date
        return org

    def account(self, code: str | None) -> dict | None:
        return next((a for a in self.accounts if code is not None and a["Code"] == code), None)

    def tax_rate(self, tax_type: str | None) -> dict | None:
        return next((t for t in self.tax_rates if t["TaxType"] == tax_type), None)

    def settings(self) -> dict:
        return {"period_lock_date": _iso(self.period_lock_date),
                "end_of_year_lock_date": _iso(self.end_of_year_lock_date),
                "minute_limit": self.limits.minute, "day_limit": self.limits.day,
                "concurrent_limit": self.limits.concurrent}


@dataclass
class Remembered:
    fingerprint: str
    stored_at: float
    status: int
    body: str


class XeroState:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.offset = 0.0
            self.grants = GrantStore(self.now)
            self.orgs = {tenant_id: OrgBooks(seed) for tenant_id, seed in xero_data.ORGS.items()}
            self.limiter = RateLimiter(self.now)
            self.idempotency: dict[tuple[str, str], Remembered] = {}
            self.idempotency_lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self.offset

    def utcnow(self) -> datetime:
        """Naive UTC at millisecond precision (what MS-JSON dates carry)."""
        moment = datetime.fromtimestamp(self.now(), timezone.utc).replace(tzinfo=None)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def attach(state) -> XeroState:
    """``state.xero``, created on first use (both Xero modules register against it)."""
    xero = getattr(state, "xero", None)
    if xero is None:
        xero = state.xero = XeroState()
    return xero


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
