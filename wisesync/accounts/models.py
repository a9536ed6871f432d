from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from wisesync.extensions import db
from wisesync.modelbase import utcnow

PSA_TYPES = ("connectwise", "autotask")
TWO_FACTOR_MODES = ("off", "required")


class Account(db.Model):
    """One MSP (a tenant). Every other record hangs off an account."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    psa_type: Mapped[str] = mapped_column(String(20))
    two_factor: Mapped[str] = mapped_column(String(10), default="off")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.name!r}>"
