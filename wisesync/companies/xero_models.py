"""A company's Xero connection: the organisation it is bound to and the OAuth grant's tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wisesync.extensions import db
from wisesync.modelbase import utcnow

STATUS_OK = "ok"
STATUS_RECONNECT = "reconnect"  # Xero refused the refresh token: someone must connect again
STATUS_CHOOSE = "choose"  # the grant holds several organisations and none was picked yet


class XeroConnection(db.Model):
    """One per company; an organisation (``tenant_id``) is bound to at most one company of an
    account.

    ``access_token_enc`` / ``refresh_token_enc`` hold :func:`wisesync.crypto.encrypt` tokens
    (the ``_enc`` suffix is what ``flask rotate-secrets`` re-encrypts); only
    :mod:`wisesync.companies.xero` decrypts them. Xero refresh tokens are single-use, so a
    refresh first *claims* the row (``refresh_claim``, a compare-and-swap on the stored refresh
    token) and only the claimant talks to Xero; see :func:`wisesync.companies.xero.fresh_access_token`.
    ``tax_rates`` caches the organisation's tax rates (Xero's TaxRates, trimmed) for the form.
    """

    __tablename__ = "xero_connections"
    __table_args__ = (UniqueConstraint("account_id", "tenant_id", name="uq_xero_connections_account_tenant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), unique=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))  # None while the org is being chosen
    tenant_name: Mapped[str] = mapped_column(String(255), default="")
    tenant_country: Mapped[str] = mapped_column(String(8), default="")
    short_code: Mapped[str] = mapped_column(String(20), default="")  # for go.xero.com deep links
    connection_id: Mapped[str] = mapped_column(String(64), default="")  # Xero's id of the tenant connection
    pending_tenants: Mapped[list | None] = mapped_column(JSON)  # [{tenant_id, tenant_name, connection_id}]

    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]  # of the access token, naive UTC
    scope: Mapped[str] = mapped_column(Text, default="")
    refresh_claim: Mapped[str | None] = mapped_column(String(64))
    refresh_claimed_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]

    status: Mapped[str] = mapped_column(String(12), default=STATUS_OK)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_at: Mapped[datetime | None]

    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)

    tax_rates: Mapped[list | None] = mapped_column(JSON)
    tax_rates_at: Mapped[datetime | None]
    last_test: Mapped[dict | None] = mapped_column(JSON)  # ConnectionReport.as_dict()
    last_tested_at: Mapped[datetime | None]

    company = relationship("Company", back_populates="xero")
    connected_by = relationship("User")

    @property
    def bound(self) -> bool:
        return bool(self.tenant_id) and self.status != STATUS_CHOOSE

    @property
    def needs_reconnect(self) -> bool:
        return self.status == STATUS_RECONNECT

    def active_tax_rates(self) -> list[dict]:
        return [rate for rate in (self.tax_rates or []) if rate.get("Status") == "ACTIVE"]

    def __repr__(self) -> str:  # never the tokens, not even their ciphertext
        return (f"<XeroConnection company={self.company_id} tenant={self.tenant_id} "
                f"{self.tenant_name!r} {self.status}>")
