"""Autotask organisational levels for the pull (see ``pull.autotask_sources``): the fixture's API
subset has no entity that lists them or names them, so they are gathered from the records that
carry ``organizationalLevelAssociationID`` — contracts (read by the pull anyway) and the billing
items of the invoices waiting to sync (read here)."""
from __future__ import annotations

from wisesync.psa.autotask_billing import AutotaskBilling
from wisesync.psa.errors import PsaPermissionError

def invoice_levels(client) -> set[int]:
    """The organisational levels on the billing items of the invoices waiting to sync (the
    review routes by them); none when the API user may not read invoices — a pull needs only
    the rights of what it stores, the sync checks its own."""
    billing = AutotaskBilling(client)
    try:
        invoices = billing.unsynced_invoices()
        items = billing.billing_items(int(i["id"]) for i in invoices if type(i.get("id")) is int) if invoices else {}
    except PsaPermissionError:
        return set()
    found = (item.get("organizationalLevelAssociationID") for lines in items.values() for item in lines)
    return {level for level in found if type(level) is int and level > 0}
