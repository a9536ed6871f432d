from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wisesync.extensions import db
from wisesync.modelbase import utcnow


class Company(db.Model):
    """An accounting-package company (e.g. one Xero org per legal entity) of an account."""

    __tablename__ = "companies"
    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_companies_account_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Lower-cased name: "Acme Ltd" and "ACME LTD" are the same company.
    name_key: Mapped[str] = mapped_column(String(120))
    sales_tax_code: Mapped[str] = mapped_column(String(40))
    purchase_tax_code: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Company {self.id} {self.name!r}>"
