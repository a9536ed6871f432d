"""The transactions ledger, sync runs, Xero contact links and the shared Xero call budget.

- :class:`LedgerEntry`: one row per PSA record and company (DESIGN §10.3). ``pushing`` is
  written and committed *before* the Xero call, ``pushed`` after it, ``posted`` after the PSA
  batch; a row that holds a Xero document id never loses it (a later failure only adds the
  reason and fix), so a crash anywhere is finished by the next run without a second push.
- :class:`TransactionRun`: one sync of one company, queued → running → succeeded/failed; at
  most one queued-or-running per company (a partial unique index decides races). ``purpose``
  ``payments`` marks a run that brings Xero payments back to the PSA instead
  (:mod:`wisesync.transactions.payments_run`); it shares that one-active-run rule.
- Ledger rows of kind ``payment`` (one per synced invoice, ``psa_id`` the PSA invoice's id):
  the invoice's payment in the PSA; ``psa_batch_id`` holds the ConnectWise payment id, state
  ``waiting`` a partly paid invoice (see :mod:`wisesync.transactions.payments`).
- :class:`TransactionRunRecord`: what happened to each record *in that run*. A child table
  rather than "ledger rows whose last_run_id is this run": the ledger row moves on with later
  runs (and a record the run refused may have no ledger row at all), while a run's page must
  keep saying what that run did.
- :class:`XeroContactLink`: PSA counterparty → Xero ContactID, so later runs need no lookup.
- :class:`XeroCallSlot` / :class:`XeroLimitState`: the per-organisation call budget shared by
  every worker process when there is no Redis (see :mod:`wisesync.transactions.limits`).
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, Date, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        Text, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column

from wisesync.extensions import db
from wisesync.modelbase import utcnow

PSAS = ("connectwise", "autotask")
KINDS = ("invoice", "credit", "procurement")  # what a sync moves (the review's checkboxes)
LEDGER_KINDS = (*KINDS, "payment")  # what the ledger holds
LEDGER_STATES = ("pushing", "pushed", "posted", "failed", "blocked", "waiting")
RUN_PURPOSES = ("sync", "payments")
XERO_TYPES = ("ACCREC", "ACCRECCREDIT", "ACCPAY")
RUN_ACTIVE_STATUSES = ("queued", "running")
RUN_STATUSES = (*RUN_ACTIVE_STATUSES, "succeeded", "failed")
COUNT_KEYS = ("pushed", "posted", "adopted", "blocked", "failed")


class LedgerEntry(db.Model):
    """One PSA record synced (or tried) into one company's Xero organisation."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("account_id", "company_id", "psa", "kind", "psa_id",
                         name="uq_ledger_entries_record"),
        Index("ix_ledger_entries_company_state", "company_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    psa: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    psa_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64), default="")
    counterparty: Mapped[str] = mapped_column(String(255), default="")
    document_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="")
    total: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal("0"))
    state: Mapped[str] = mapped_column(String(20))
    adopted: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    fix: Mapped[str] = mapped_column(Text, default="")
    payload_hash: Mapped[str] = mapped_column(String(64), default="")
    idempotency_key: Mapped[str] = mapped_column(String(128), default="", index=True)
    gl_entry_ids: Mapped[str] = mapped_column(Text, default="")  # "1504,1505,1510"
    xero_id: Mapped[str] = mapped_column(String(64), default="")
    xero_number: Mapped[str] = mapped_column(String(64), default="")
    xero_type: Mapped[str] = mapped_column(String(20), default="")
    psa_batch_identifier: Mapped[str] = mapped_column(String(50), default="")
    psa_batch_id: Mapped[int | None] = mapped_column(BigInteger)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("transaction_runs.id"))
    synced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    pushed_at: Mapped[datetime | None]
    posted_at: Mapped[datetime | None]

    @property
    def in_xero(self) -> bool:
        return bool(self.xero_id)

    @property
    def gl_entry_id_list(self) -> list[int]:
        return [int(part) for part in self.gl_entry_ids.split(",") if part.strip()]

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.id} {self.kind}:{self.psa_id} company={self.company_id} {self.state}>"


class TransactionRun(db.Model):
    """One sync of one company's selected (or all) unposted records."""

    __tablename__ = "transaction_runs"
    __table_args__ = (
        Index("uq_transaction_runs_one_active", "company_id", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scheduled: Mapped[bool] = mapped_column(default=False)
    purpose: Mapped[str] = mapped_column(String(20), default="sync", server_default="sync")
    psa: Mapped[str] = mapped_column(String(20))
    # Which PSA identity the run uses, in words ("your own API Member keys", ...): shown as is.
    psa_identity: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    # JSON list of "<kind>:<psa-id>"; NULL = every unposted record of the company.
    selected_json: Mapped[str | None] = mapped_column(Text)
    counts_json: Mapped[str] = mapped_column(Text, default="{}")
    totals_json: Mapped[str] = mapped_column(Text, default="{}")
    message: Mapped[str] = mapped_column(Text, default="")
    fix: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def active(self) -> bool:
        return self.status in RUN_ACTIVE_STATUSES

    @property
    def selected(self) -> list[str] | None:
        return None if self.selected_json is None else json.loads(self.selected_json)

    @selected.setter
    def selected(self, values) -> None:
        self.selected_json = None if values is None else json.dumps(sorted(set(values)))

    @property
    def counts(self) -> dict:
        return {key: 0 for key in COUNT_KEYS} | json.loads(self.counts_json or "{}")

    @property
    def totals(self) -> dict:
        return json.loads(self.totals_json or "{}")

    def __repr__(self) -> str:
        return f"<TransactionRun {self.id} company={self.company_id} {self.status}>"


class TransactionRunRecord(db.Model):
    """What one run did with one record: its final state in that run and the message."""

    __tablename__ = "transaction_run_records"
    __table_args__ = (UniqueConstraint("run_id", "kind", "psa_id", name="uq_transaction_run_records_record"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("transaction_runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    psa_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(20))  # a ledger state
    pushed: Mapped[bool] = mapped_column(default=False)  # created in Xero by this run
    adopted: Mapped[bool] = mapped_column(default=False)  # found in Xero by number by this run
    message: Mapped[str] = mapped_column(Text, default="")
    fix: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "psa_id": self.psa_id, "number": self.number, "state": self.state,
                "message": self.message, "fix": self.fix}

    def __repr__(self) -> str:
        return f"<TransactionRunRecord run={self.run_id} {self.kind}:{self.psa_id} {self.state}>"


class XeroContactLink(db.Model):
    """A PSA company (customer or vendor) and the Xero contact it became in one company's org."""

    __tablename__ = "xero_contact_links"
    __table_args__ = (
        UniqueConstraint("company_id", "psa", "counterparty_id", name="uq_xero_contact_links_counterparty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    psa: Mapped[str] = mapped_column(String(20))
    counterparty_id: Mapped[str] = mapped_column(String(64))  # the PSA company's id
    contact_id: Mapped[str] = mapped_column(String(64))  # Xero ContactID
    name: Mapped[str] = mapped_column(String(255), default="")
    # SHA-256 of the contact details last sent to Xero (push.contact_fingerprint); "" = unknown
    sent_fingerprint: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<XeroContactLink company={self.company_id} {self.psa}:{self.counterparty_id}>"


class XeroCallSlot(db.Model):
    """One Xero call of one organisation: counts in the rolling minute from ``started_at`` and
    holds one of the 5 concurrent slots while ``held_until`` is in the future (a worker killed
    mid-call loses its slot when that passes)."""

    __tablename__ = "xero_call_slots"
    __table_args__ = (Index("ix_xero_call_slots_tenant_started", "tenant_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    held_until: Mapped[datetime | None] = mapped_column(DateTime)


class XeroLimitState(db.Model):
    """Per organisation: the lock row the slot takers serialise on, and what Xero last said."""

    __tablename__ = "xero_limit_states"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    touched_at: Mapped[datetime | None] = mapped_column(DateTime)
    min_remaining: Mapped[int | None] = mapped_column(Integer)
    day_remaining: Mapped[int | None] = mapped_column(Integer)
    observed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # No call before this (a 429's Retry-After, or the minute budget Xero reports spent).
    wait_until: Mapped[datetime | None] = mapped_column(DateTime)
    # The daily cap is spent until then.
    day_exhausted_until: Mapped[datetime | None] = mapped_column(DateTime)
