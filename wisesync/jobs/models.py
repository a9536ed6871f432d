from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from wisesync.extensions import db
from wisesync.modelbase import utcnow

ACTIVE_STATUSES = ("queued", "running")
STATUSES = (*ACTIVE_STATUSES, "succeeded", "failed")


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
