"""Local copies of PSA records, keyed by (account, PSA id) and upserted by pulls.

A record that disappears from the PSA is kept and marked ``removed_at`` (and inactive) after
the next successful full pass; it comes back to life if the PSA shows it again.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wisesync.extensions import db
from wisesync.modelbase import utcnow

PRODUCT_KINDS = ("catalog", "product", "service")  # CW catalog item; Autotask product / service


class _Pulled:
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    psa_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)  # the PSA's own flag, and still present
    removed_at: Mapped[datetime | None]  # gone from the PSA as of a full pull
    last_run_id: Mapped[int | None]  # the pull that last saw it (for the gone-marking pass)
    pulled_at: Mapped[datetime] = mapped_column(default=utcnow)


class PsaCustomer(_Pulled, db.Model):
    """A ConnectWise company or Autotask company (the MSP's customer)."""

    __tablename__ = "psa_customers"
    __table_args__ = (UniqueConstraint("account_id", "psa_id", name="uq_psa_customers_account_psa_id"),
                      Index("ix_psa_customers_list", "account_id", "active", "name", "id"))  # list order

    identifier: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(60), default="")

    def __repr__(self) -> str:
        return f"<PsaCustomer {self.psa_id} {self.name!r}>"


class PsaAgreement(_Pulled, db.Model):
    """A ConnectWise agreement or Autotask contract."""

    __tablename__ = "psa_agreements"
    __table_args__ = (UniqueConstraint("account_id", "psa_id", name="uq_psa_agreements_account_psa_id"),
                      Index("ix_psa_agreements_list", "account_id", "active", "name", "id"))  # list order

    customer_psa_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_name: Mapped[str] = mapped_column(String(255), default="")
    agreement_type: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(60), default="")

    def __repr__(self) -> str:
        return f"<PsaAgreement {self.psa_id} {self.name!r}>"


class PsaProduct(_Pulled, db.Model):
    """A ConnectWise catalog item, or an Autotask product or service (``kind``): Autotask
    numbers products and services separately, so the key includes the kind."""

    __tablename__ = "psa_products"
    __table_args__ = (UniqueConstraint("account_id", "kind", "psa_id", name="uq_psa_products_account_kind_psa_id"),
                      Index("ix_psa_products_list", "account_id", "active", "name", "id"),  # list orders
                      Index("ix_psa_products_price", "account_id", "active", "price", "id"))

    kind: Mapped[str] = mapped_column(String(20))
    identifier: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    price: Mapped[float | None] = mapped_column(Numeric(14, 4, asdecimal=False))
    cost: Mapped[float | None] = mapped_column(Numeric(14, 4, asdecimal=False))

    def __repr__(self) -> str:
        return f"<PsaProduct {self.kind} {self.psa_id} {self.name!r}>"


class PsaLocation(_Pulled, db.Model):
    """A ConnectWise location (``/system/locations``): companies take the transactions of the
    billing locations they tick."""

    __tablename__ = "psa_locations"
    __table_args__ = (UniqueConstraint("account_id", "psa_id", name="uq_psa_locations_account_psa_id"),)

    def __repr__(self) -> str:
        return f"<PsaLocation {self.psa_id} {self.name!r}>"
