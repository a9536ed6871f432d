from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wisesync.extensions import db
from wisesync.modelbase import utcnow

DOCUMENT_STATUSES = ("DRAFT", "AUTHORISED")
SYNC_SCHEDULES = ("manual", "hourly", "daily")
DEFAULT_ROUNDING_ACCOUNT = "860"


class Company(db.Model):
    """An accounting-package company (e.g. one Xero org per legal entity) of an account.

    The four tax codes are Xero ``TaxType`` values: taxable and exempt, for sales and for
    purchases. ``locations`` are the ConnectWise billing locations whose transactions this
    company takes; a company with none takes every location no other company names.
    """

    __tablename__ = "companies"
    __table_args__ = (UniqueConstraint("account_id", "name_key", name="uq_companies_account_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Lower-cased name: "Acme Ltd" and "ACME LTD" are the same company.
    name_key: Mapped[str] = mapped_column(String(120))
    sales_tax_code: Mapped[str] = mapped_column(String(40))
    purchase_tax_code: Mapped[str] = mapped_column(String(40))
    sales_exempt_tax_code: Mapped[str] = mapped_column(String(40), default="")
    purchase_exempt_tax_code: Mapped[str] = mapped_column(String(40), default="")
    document_status: Mapped[str] = mapped_column(String(12), default="DRAFT")
    sync_schedule: Mapped[str] = mapped_column(String(10), default="manual")
    rounding_account: Mapped[str] = mapped_column(String(10), default=DEFAULT_ROUNDING_ACCOUNT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    locations = relationship("CompanyLocation", cascade="all, delete-orphan",
                             order_by="CompanyLocation.psa_location_id")
    xero = relationship("XeroConnection", uselist=False, back_populates="company",
                        cascade="all, delete-orphan")

    @property
    def location_ids(self) -> set[int]:
        """The PSA (ConnectWise) location ids ticked for this company; empty = the catch-all."""
        return {location.psa_location_id for location in self.locations}

    @property
    def tax_codes(self) -> dict[str, str]:
        """Field name → saved code, in the order the form and the Test show them."""
        return {"sales_tax_code": self.sales_tax_code,
                "sales_exempt_tax_code": self.sales_exempt_tax_code,
                "purchase_tax_code": self.purchase_tax_code,
                "purchase_exempt_tax_code": self.purchase_exempt_tax_code}

    def __repr__(self) -> str:
        return f"<Company {self.id} {self.name!r}>"


class CompanyLocation(db.Model):
    """A PSA location ticked for a company. Unique per account: a location belongs to at most
    one company (the index catches the race two admins' saves could otherwise win together)."""

    __tablename__ = "company_locations"
    __table_args__ = (UniqueConstraint("account_id", "psa_location_id",
                                       name="uq_company_locations_account_location"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    psa_location_id: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"<CompanyLocation company={self.company_id} location={self.psa_location_id}>"
