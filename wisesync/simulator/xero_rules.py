"""The Xero rules the OpenAPI file cannot say (fixtures README, "Xero rules a simulator must
enforce"), shared by every record type: account codes, tax types, lock dates, tracking, and
line items with Xero's arithmetic.

Messages quoted from public reports of real Xero answers (sources in the fixtures README and
in the comments): "Account code '<code>' is not a valid code for this document.", "The
document date cannot be before the period lock date", "The line total <given> does not match
the expected line total <expected>", "The TaxType code <t> does not exist or cannot be used for
this type of transaction." and "The TaxType code '<t>' cannot be used with account code
'<code>'." (Xero-Java issue #336), "Account code must be specified" (xero-php issue #230), "One
or more line items must be specified" (xero-java-client issue #5). Marked UNVERIFIED where the
simulator had to choose the words or the behaviour itself.

Arithmetic: UnitAmount is kept to 2 decimal places unless the call says ``unitdp=4``;
Quantity to 4; LineAmount = Quantity × UnitAmount (less DiscountRate %) rounded half away from
zero to 2; tax per line from the rate's EffectiveRate: Exclusive ``LineAmount × r / 100``,
Inclusive ``LineAmount × r / (100 + r)``, NoTax 0, each rounded to 2 (Xero's default per-line
rounding for NZ/AU organisations; UNVERIFIED for others); SubTotal = Σ LineAmount (less tax
when Inclusive), Total = SubTotal + TotalTax. A TaxAmount the client sends is ignored
(UNVERIFIED: Xero may accept an override within a rounding tolerance).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from wisesync.simulator.xero_format import decimal, money

ZERO_ID = "00000000-0000-0000-0000-000000000000"  # Xero's id on an element it refused
SALES_TYPES = ("ACCREC", "ACCRECCREDIT")
MAX_TRACKING = 2


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Batch:
    """One write call: the books it works on (the real ones, or a copy for a dry run), when,
    the unit-amount precision asked for, and PUT (create) or POST (create or update)."""
    org: object
    now: datetime
    unitdp: int = 2
    method: str = "PUT"
    client_id: str = ""  # the app writing (for createdByMyApp)

    @property
    def today(self) -> date:
        return self.now.date()


def lock_date_error(org, day: date | None) -> str | None:
    """Xero locks "on and before" the lock date (its settings page wording), so a document dated
    on the lock date is refused too. UNVERIFIED: the date format after "currently set at"."""
    if day is None:
        return None
    for which, lock in (("end of year", org.end_of_year_lock_date), ("period", org.period_lock_date)):
        if lock is not None and day <= lock:
            return (f"The document date cannot be before the {which} lock date, currently set at "
                    f"{lock.day} {lock:%b %Y}")
    return None


def line_account(org, code: str) -> tuple[dict | None, str | None]:
    """An account a document line may post to: exists, ACTIVE, not a bank or system account."""
    account = org.account(code)
    if (account is None or account["Status"] != "ACTIVE" or account["Type"] == "BANK"
            or account.get("SystemAccount")):
        return None, f"Account code '{code}' is not a valid code for this document."
    return account, None


def tax_error(org, tax_type: str, account: dict | None) -> str | None:
    rate = org.tax_rate(tax_type)
    if rate is None or rate["Status"] != "ACTIVE":
        return (f"The TaxType code {tax_type} does not exist or cannot be used for this type of "
                "transaction.")
    if account is not None:
        usable = {"REVENUE": rate["CanApplyToRevenue"], "EXPENSE": rate["CanApplyToExpenses"],
                  "ASSET": rate["CanApplyToAssets"], "LIABILITY": rate["CanApplyToLiabilities"],
                  "EQUITY": rate["CanApplyToEquity"]}.get(account["Class"], True)
        if not usable:
            return f"The TaxType code '{tax_type}' cannot be used with account code '{account['Code']}'."
    return None


def rate_of(org, tax_type: str | None) -> Decimal:
    rate = org.tax_rate(tax_type) if tax_type else None
    return rate["EffectiveRate"] if rate else Decimal(0)


def tracking(org, entries) -> tuple[list[dict], list[str]]:
    """Resolve a line's Tracking (by id or by Name/Option) against ACTIVE categories/options."""
    if not entries:
        return [], []
    if not isinstance(entries, list):
        return [], ["Tracking must be a list"]
    if len(entries) > MAX_TRACKING:  # UNVERIFIED wording; the spec's LineItem says "max 2"
        return [], [f"A line item can have at most {MAX_TRACKING} tracking categories"]
    out, errors = [], []
    for entry in entries:
        entry = entry if isinstance(entry, dict) else {}
        name, option = entry.get("Name"), entry.get("Option")
        category = next((c for c in org.tracking_categories if c["Status"] == "ACTIVE" and (
            c["TrackingCategoryID"] == (entry.get("TrackingCategoryID") or "").lower()
            or (name and c["Name"].lower() == name.lower()))), None)
        if category is None:  # UNVERIFIED wording
            errors.append(f"Tracking category '{name or entry.get('TrackingCategoryID')}' does not exist")
            continue
        chosen = next((o for o in category["Options"] if o["Status"] == "ACTIVE" and (
            o["TrackingOptionID"] == (entry.get("TrackingOptionID") or "").lower()
            or (option and o["Name"].lower() == option.lower()))), None)
        if chosen is None:  # UNVERIFIED wording
            errors.append(f"Tracking option '{option or entry.get('TrackingOptionID')}' does not "
                          f"exist in tracking category '{category['Name']}'")
            continue
        out.append({"TrackingCategoryID": category["TrackingCategoryID"], "Name": category["Name"],
                    "Option": chosen["Name"], "TrackingOptionID": chosen["TrackingOptionID"]})
    return out, errors


def find_item(org, code: str) -> dict | None:
    wanted = code.strip().lower()
    return next((i for i in org.items.values() if i["Code"].lower() == wanted), None)


def build_lines(batch: Batch, raw_lines, doc_type: str, amount_types: str,
                status: str) -> tuple[list[dict], list[str]]:
    """Line items as Xero stores them, or the validation errors they earn."""
    org, sales = batch.org, doc_type in SALES_TYPES
    if raw_lines is None:
        raw_lines = []
    if not isinstance(raw_lines, list):
        return [], ["LineItems must be a list"]
    lines, errors = [], []
    for raw in raw_lines:
        raw = raw if isinstance(raw, dict) else {}
        line, line_errors = _line(batch, raw, sales, amount_types, status != "DRAFT")
        errors.extend(line_errors)
        lines.append(line)
    if not lines and status != "DRAFT":
        errors.append("One or more line items must be specified")
    return lines, errors


def _line(batch: Batch, raw: dict, sales: bool, amount_types: str, approving: bool):
    org, errors = batch.org, []
    item = None
    if raw.get("ItemCode"):
        item = find_item(org, str(raw["ItemCode"]))
        if item is None:  # UNVERIFIED wording
            errors.append(f"Item code '{raw['ItemCode']}' is not valid.")
    details = (item or {}).get("SalesDetails" if sales else "PurchaseDetails") or {}
    account_code = raw.get("AccountCode") or details.get("AccountCode")
    account = None
    if account_code:
        account, problem = line_account(org, str(account_code))
        if problem:
            errors.append(problem)
    elif approving:
        errors.append("Account code must be specified")
    tax_type = raw.get("TaxType") or details.get("TaxType") or (account or {}).get("TaxType")
    if tax_type and amount_types != "NoTax":
        problem = tax_error(org, tax_type, account)
        if problem:
            errors.append(problem)
    quantity = _number(raw, "Quantity", errors)
    quantity = money(quantity if quantity is not None else Decimal(1), 4)
    unit = _number(raw, "UnitAmount", errors)
    given_total = _number(raw, "LineAmount", errors)
    if unit is None:
        if details.get("UnitPrice") is not None:
            unit = details["UnitPrice"]
        elif given_total is not None and quantity:
            unit = given_total / quantity
        else:
            unit = Decimal(0)
    unit = money(unit, batch.unitdp)
    discount = _number(raw, "DiscountRate", errors)
    expected = quantity * unit
    if discount:
        expected = expected * (Decimal(100) - discount) / Decimal(100)
    expected = money(expected, 2)
    if given_total is not None and raw.get("UnitAmount") is not None and given_total != expected:
        errors.append(f"The line total {format(given_total, 'f')} does not match the expected "
                      f"line total {expected}")
    tracked, tracking_errors = tracking(org, raw.get("Tracking"))
    errors.extend(tracking_errors)
    rate = rate_of(org, tax_type) if amount_types != "NoTax" else Decimal(0)
    if amount_types == "Inclusive":
        tax = money(expected * rate / (Decimal(100) + rate), 2)
    else:
        tax = money(expected * rate / Decimal(100), 2)
    description = raw.get("Description")
    if description is None and item is not None:
        description = item.get("Description") if sales else (item.get("PurchaseDescription")
                                                             or item.get("Description"))
    line = {"LineItemID": _uuid_or_new(raw.get("LineItemID")), "Description": description,
            "Quantity": quantity, "UnitAmount": unit, "AccountCode": account_code,
            "AccountID": (account or {}).get("AccountID"), "TaxType": tax_type, "TaxAmount": tax,
            "LineAmount": expected, "Tracking": tracked}
    if item is not None:
        line["ItemCode"] = item["Code"]
        line["Item"] = {"ItemID": item["ItemID"], "Name": item.get("Name") or item["Code"],
                        "Code": item["Code"]}
    if discount:
        line["DiscountRate"] = money(discount, 2)
    return line, errors


def totals(lines: list[dict], amount_types: str) -> dict:
    line_sum = sum((line["LineAmount"] for line in lines), Decimal("0.00"))
    tax = sum((line["TaxAmount"] for line in lines), Decimal("0.00"))
    subtotal = line_sum - tax if amount_types == "Inclusive" else line_sum
    return {"SubTotal": subtotal, "TotalTax": tax, "Total": subtotal + tax}


def _number(raw: dict, key: str, errors: list[str]) -> Decimal | None:
    if raw.get(key) is None:
        return None
    value = decimal(raw[key])
    if value is None:  # UNVERIFIED wording (Xero answers PostDataInvalidException for most)
        errors.append(f"{key} must be a number")
    return value


def _uuid_or_new(value) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return new_id()
