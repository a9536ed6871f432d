from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from wisesync.extensions import db
from wisesync.modelbase import utcnow


class IntegrationSettings(db.Model):
    """The account's PSA connection: one row per account, ConnectWise and Autotask columns side
    by side (the account's ``psa_type`` says which are used).

    Secrets (``cw_private_key_enc``, ``at_secret_enc``) hold :func:`wisesync.crypto.encrypt`
    tokens; only :mod:`wisesync.integrations.clients` decrypts them. ``*_set_at`` is what
    pages show instead of a secret.
    """

    __tablename__ = "integration_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)

    # ConnectWise Manage: the company ID and site are also what per-user SOAP/REST tests use.
    cw_company_id: Mapped[str] = mapped_column(String(60), default="")
    cw_site: Mapped[str] = mapped_column(String(255), default="")  # region code or host/URL
    cw_public_key: Mapped[str] = mapped_column(String(120), default="")
    cw_private_key_enc: Mapped[str | None] = mapped_column(Text)
    cw_private_key_set_at: Mapped[datetime | None]
    cw_client_id: Mapped[str] = mapped_column(String(120), default="")

    # Autotask: the integration code is also used by per-user Autotask tests.
    at_username: Mapped[str] = mapped_column(String(254), default="")
    at_secret_enc: Mapped[str | None] = mapped_column(Text)
    at_secret_set_at: Mapped[datetime | None]
    at_integration_code: Mapped[str] = mapped_column(String(120), default="")
    at_zone_url: Mapped[str] = mapped_column(String(255), default="")  # the admin's override
    at_zone_detected: Mapped[str] = mapped_column(String(255), default="")  # from the zone lookup
    at_zone_name: Mapped[str] = mapped_column(String(60), default="")

    # The last "Test and Save": the ConnectionReport as JSON (no secrets in it by design).
    last_test_at: Mapped[datetime | None]
    last_test_json: Mapped[str | None] = mapped_column(Text)
    saved_untested: Mapped[bool] = mapped_column(default=False)  # saved with "save anyway"
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def cw_configured(self) -> bool:
        return bool(self.cw_company_id and self.cw_site and self.cw_public_key
                    and self.cw_private_key_enc and self.cw_client_id)

    @property
    def at_configured(self) -> bool:
        return bool(self.at_username and self.at_secret_enc and self.at_integration_code)

    @property
    def at_effective_zone(self) -> str:
        """The override when given, else the zone the lookup found (may be empty)."""
        return self.at_zone_url or self.at_zone_detected

    @property
    def last_test(self):
        """The last test as a :class:`~wisesync.psa.report.ConnectionReport`, or ``None``."""
        from wisesync.psa.report import ConnectionReport

        if not self.last_test_json:
            return None
        return ConnectionReport.from_dict(json.loads(self.last_test_json))

    def __repr__(self) -> str:  # never a secret, not even whether one is set
        return f"<IntegrationSettings account={self.account_id}>"
