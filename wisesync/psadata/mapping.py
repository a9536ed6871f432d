"""How a PSA record becomes a local row, and what makes one unusable.

Each mapper reads only the fields the pull stores and checks each value as it takes it: text
must be text (no NUL, which PostgreSQL refuses, and no longer than its column: a name cut
short could pass for another record's), references must be objects, money a number the
column can hold. A value that fails raises :class:`Skip` with a reason that names the PSA
field, and the pull skips that one record and says so on the run page. Free-text descriptions
are the exception: they are cut to the column, since nobody tells records apart by them.
"""
from __future__ import annotations

import math
from decimal import Decimal

BIGINT = 2 ** 63
MONEY_LIMIT = Decimal(10) ** 10  # Numeric(14, 4): at most 9,999,999,999.9999

# Autotask's contractType picklist, as Autotask's Contracts entity documentation lists its
# system values (not read from a live tenant's entityInformation/fields: UNVERIFIED there).
# A value outside it is shown as "Type <n>".
AUTOTASK_CONTRACT_TYPES = {1: "Time and Materials", 3: "Fixed Price", 4: "Block Hours", 6: "Retainer",
                           7: "Recurring Service", 8: "Per Ticket"}


class Skip(ValueError):
    """This record cannot be stored; ``str()`` is the reason, for the run page."""


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def record_id(record) -> int:
    if not isinstance(record, dict):
        raise Skip(f"the record is {_shown(record)}, not an object")
    value = record.get("id")
    if type(value) is not int or not -BIGINT <= value < BIGINT:
        raise Skip(f"id is {_shown(value)}, not a record number")
    return value


def text(record: dict, field: str, size: int, *, cut: bool = False, label: str | None = None) -> str:
    value = record.get(field)
    if value is None:
        return ""
    name = label or field
    if type(value) is not str:
        raise Skip(f"{name} is {_shown(value)}, not text")
    if "\x00" in value:
        raise Skip(f"{name} contains a NUL character")
    if len(value) > size:
        if cut:
            return value[:size]
        raise Skip(f"{name} is {len(value):,} characters long; Wise-Sync keeps at most {size}")
    return value


def reference(record: dict, field: str) -> dict:
    """A reference object (``{"id": …, "name": …}``) or ``{}`` when absent."""
    value = record.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Skip(f"{field} is {_shown(value)}, not a reference like {{\"id\": …, \"name\": …}}")
    return value


def optional_id(record: dict, field: str, label: str | None = None) -> int | None:
    value = record.get(field)
    if value is None:
        return None
    if type(value) is not int or not -BIGINT <= value < BIGINT:
        raise Skip(f"{label or field} is {_shown(value)}, not a record number")
    return value


def money(record: dict, field: str):
    value = record.get(field)
    if value is None:
        return None
    if type(value) not in (int, float, Decimal):
        raise Skip(f"{field} is {_shown(value)}, not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise Skip(f"{field} is {_shown(value)}, not a number")
    if abs(value) >= MONEY_LIMIT:
        raise Skip(f"{field} is {value:,}; Wise-Sync stores amounts up to 9,999,999,999.9999")
    return value


def flag(record: dict, field: str, default: bool) -> bool:
    """A yes/no field; null (or absent) is ``default`` — Autotask sends ``isActive: null``
    for records nobody set it on, and those are active."""
    value = record.get(field)
    if value is None:
        return default
    if type(value) is bool:
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise Skip(f"{field} is {_shown(value)}, not true or false")


# -- ConnectWise ----------------------------------------------------------------------------
# The fields each list is asked for (``fields=``): only what the pull stores. References are
# asked for whole (they are small), so a reference sent as something else is seen and skipped.
CW_FIELDS = {"customers": "id,identifier,name,status,deletedFlag",
             "agreements": "id,name,company,type,agreementStatus,cancelledFlag",
             "products": "id,identifier,description,customerDescription,price,cost,inactiveFlag",
             "locations": "id,name,inactiveFlag", "statuses": "id,name,inactiveFlag"}


def cw_customer(r: dict, inactive_statuses: set[int]) -> dict:
    """Inactive when deleted, or when its status is one the company's own status list flags
    ``inactiveFlag`` (ConnectWise > Setup Tables > Company Status): the status's name says
    nothing (a tenant may call theirs "Not Approved" or "Inactive Review")."""
    status = reference(r, "status")
    status_id = optional_id(status, "id", "status/id")
    return {"psa_id": record_id(r), "name": text(r, "name", 255), "identifier": text(r, "identifier", 120),
            "status": text(status, "name", 60, label="status/name"),
            "active": not flag(r, "deletedFlag", False) and status_id not in inactive_statuses}


def cw_agreement(r: dict) -> dict:
    cancelled = flag(r, "cancelledFlag", False)
    status = text(r, "agreementStatus", 60) or ("Cancelled" if cancelled else "Active")
    company = reference(r, "company")
    return {"psa_id": record_id(r), "name": text(r, "name", 255),
            "customer_psa_id": optional_id(company, "id", "company/id"),
            "customer_name": text(company, "name", 255, label="company/name"),
            "agreement_type": text(reference(r, "type"), "name", 120, label="type/name"),
            "status": status, "active": not cancelled and status == "Active"}


def cw_catalog_item(r: dict) -> dict:
    return {"psa_id": record_id(r), "name": text(r, "description", 255), "identifier": text(r, "identifier", 120),
            "description": text(r, "customerDescription", 500, cut=True),
            "price": money(r, "price"), "cost": money(r, "cost"), "active": not flag(r, "inactiveFlag", False)}


def cw_location(r: dict) -> dict:
    return {"psa_id": record_id(r), "name": text(r, "name", 255), "active": not flag(r, "inactiveFlag", False)}


# -- Autotask -------------------------------------------------------------------------------
# ``includeFields`` of each query: only what the pull stores.
AT_FIELDS = {"Companies": ["id", "companyName", "companyNumber", "isActive"],
             "Contracts": ["id", "contractName", "companyID", "contractType", "status",
                           "organizationalLevelAssociationID"],
             "Products": ["id", "name", "sku", "description", "unitPrice", "unitCost", "isActive"],
             "Services": ["id", "name", "sku", "description", "unitPrice", "unitCost", "isActive"]}


def at_company(r: dict) -> dict:
    active = flag(r, "isActive", True)
    return {"psa_id": record_id(r), "name": text(r, "companyName", 255), "identifier": text(r, "companyNumber", 120),
            "status": "Active" if active else "Inactive", "active": active}


def at_contract(r: dict) -> dict:
    """The type is the contract's ``contractType`` picklist label (its number is not a type)."""
    active = r.get("status") == 1
    kind = optional_id(r, "contractType")
    return {"psa_id": record_id(r), "name": text(r, "contractName", 255),
            "customer_psa_id": optional_id(r, "companyID"), "customer_name": "",
            "agreement_type": "" if kind is None else AUTOTASK_CONTRACT_TYPES.get(kind, f"Type {kind}"),
            "status": "Active" if active else "Inactive", "active": active}


def level_name(level_id: int) -> str:
    """What an Autotask organisational level is called here: its association id only — the
    API subset Wise-Sync reads has no entity with the branch and line-of-business names."""
    return f"Organisational level {level_id}"


def at_level(r: dict) -> dict:
    """An organisational level association id seen on a contract (see pull.autotask_sources)."""
    level = record_id(r)
    return {"psa_id": level, "name": level_name(level), "active": True}


def at_item(r: dict) -> dict:
    return {"psa_id": record_id(r), "name": text(r, "name", 255), "identifier": text(r, "sku", 120),
            "description": text(r, "description", 500, cut=True), "price": money(r, "unitPrice"),
            "cost": money(r, "unitCost"), "active": flag(r, "isActive", True)}
