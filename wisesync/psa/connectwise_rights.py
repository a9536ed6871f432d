"""ConnectWise security-role rights the REST integration needs, and how a REST error maps to one.

Used by :class:`wisesync.psa.connectwise_rest.ConnectWiseRestClient` for ``check_permissions``
and to name the missing right when ConnectWise answers 403 ``{"code": "Security"}``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Right:
    key: str          # short name, also the simulator's ``deny;right=<key>``
    label: str        # the check's name in the connection report
    probe: str        # a cheap GET that needs only this right
    module: str       # the Security Role module in ConnectWise
    permission: str   # the row inside that module
    levels: str = "Inquire Level to All"

    @property
    def fix(self) -> str:
        return (f"In ConnectWise open System > Security Roles, pick the role of the API member "
                f"Wise-Sync signs in as, expand {self.module} and set '{self.permission}' "
                f"{self.levels}. Save, then test the connection again.")


RIGHTS = (
    Right("companies", "Companies", "/company/companies/count", "Companies", "Company Maintenance"),
    Right("contacts", "Contacts", "/company/contacts/count", "Companies", "Contacts"),
    Right("agreements", "Agreements", "/finance/agreements/count", "Finance", "Agreements"),
    Right("invoicing", "Invoicing / accounting interface", "/finance/accounting/unpostedinvoices/count",
          "Finance", "Accounting Interface", "Inquire and Add Level to All (Add is needed to post batches)"),
    Right("catalog", "Product catalog", "/procurement/catalog/count", "Procurement", "Product Catalog"),
    Right("system", "Table setup / system info", "/system/info", "System", "Table Setup"),
)

_MEMBERS = Right("members", "Members", "/system/members/count", "System", "Member Maintenance")

# Longest prefix first: which right a path needs.
_BY_PREFIX = (
    ("/company/contacts", RIGHTS[1]), ("/company/", RIGHTS[0]), ("/finance/agreements", RIGHTS[2]),
    ("/finance/accounting", RIGHTS[3]), ("/procurement/", RIGHTS[4]), ("/system/members", _MEMBERS),
    ("/system/", RIGHTS[5]),
)


def right_for_path(path: str) -> Right | None:
    """The right a REST path (relative to ``apis/3.0``, or a full URL) needs, if known."""
    marker = "/apis/3.0"
    if marker in path:
        path = path.split(marker, 1)[1]
    path = path.split("?", 1)[0]
    for prefix, right in _BY_PREFIX:
        if path.startswith(prefix) or path.rstrip("/") == prefix.rstrip("/"):
            return right
    return None
