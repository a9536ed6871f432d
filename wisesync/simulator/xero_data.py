"""The simulated Xero's fixed demo values and the seed of its two organisations.

Demo app: client id ``simxero``, secret ``simxero-secret`` (any ``http(s)`` redirect URI is
accepted: the simulator cannot know where the portal runs). Organisations, each with the same
chart of accounts (INTERFACES.md), its country's five tax rates plus one ARCHIVED rate, and one
tracking category "Region"; no contacts, items or documents until a client creates them.

Seed records are plain dicts in Xero's JSON shape with Python values (``Decimal`` amounts,
``date``/``datetime`` dates); ``xero_format.render`` turns them into Xero's wire form.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

CLIENT_ID = "simxero"
CLIENT_SECRET = "simxero-secret"

NZ_TENANT_ID = "6f1b7e52-0c1a-4d2e-9f5a-1a2b3c4d5e01"
AU_TENANT_ID = "6f1b7e52-0c1a-4d2e-9f5a-1a2b3c4d5e02"

SEED_TIME = datetime(2026, 1, 1, 9, 0, 0)  # naive UTC: when the seed records were "created"
_NAMESPACE = uuid.UUID("0b9c6a2e-5f3d-4c1b-8a7e-2d4f6b8c0e1a")


def stable_id(*parts: object) -> str:
    """The same UUID for the same seed record on every run (tests may hard-code none of them)."""
    return str(uuid.uuid5(_NAMESPACE, ":".join(str(p) for p in parts)))


@dataclass(frozen=True)
class OrgSeed:
    tenant_id: str
    name: str
    country: str
    currency: str
    short_code: str
    timezone: str
    year_end: tuple[int, int]          # (day, month)
    sales_tax_basis: str
    output: str                        # taxable sales / purchases tax types
    input: str
    rates: tuple[tuple[str, str, str, Decimal, str], ...]  # (TaxType, Name, ReportTaxType, rate, side)


_NZ_RATES = (
    ("OUTPUT2", "15% GST on Income", "OUTPUT", Decimal("15"), "revenue"),
    ("INPUT2", "15% GST on Expenses", "INPUT", Decimal("15"), "expenses"),
    ("EXEMPTOUTPUT", "Exempt Income", "EXEMPTOUTPUT", Decimal("0"), "revenue"),
    ("EXEMPTINPUT", "Exempt Expenses", "EXEMPTINPUT", Decimal("0"), "expenses"),
    ("NONE", "No GST", "NONE", Decimal("0"), "both"),
)
_AU_RATES = (
    ("OUTPUT", "GST on Income", "OUTPUT", Decimal("10"), "revenue"),
    ("INPUT", "GST on Expenses", "INPUT", Decimal("10"), "expenses"),
    ("EXEMPTOUTPUT", "GST Free Income", "EXEMPTOUTPUT", Decimal("0"), "revenue"),
    ("EXEMPTEXPENSES", "GST Free Expenses", "EXEMPTEXPENSES", Decimal("0"), "expenses"),
    ("BASEXCLUDED", "BAS Excluded", "BASEXCLUDED", Decimal("0"), "both"),
)

ORGS: dict[str, OrgSeed] = {
    NZ_TENANT_ID: OrgSeed(NZ_TENANT_ID, "Wisesim NZ Ltd", "NZ", "NZD", "!wsNZ1",
                          "NEWZEALANDSTANDARDTIME", (31, 3), "INVOICE", "OUTPUT2", "INPUT2", _NZ_RATES),
    AU_TENANT_ID: OrgSeed(AU_TENANT_ID, "Wisesim AU Pty", "AU", "AUD", "!wsAU1",
                          "AUSEASTERNSTANDARDTIME", (30, 6), "ACCRUALS", "OUTPUT", "INPUT", _AU_RATES),
}

# An ARCHIVED custom rate in each organisation, to test "TaxType must be an ACTIVE rate".
ARCHIVED_TAX_TYPE = "TAX001"

_CLASS = {"REVENUE": "REVENUE", "SALES": "REVENUE", "OTHERINCOME": "REVENUE",
          "EXPENSE": "EXPENSE", "DIRECTCOSTS": "EXPENSE", "OVERHEADS": "EXPENSE",
          "DEPRECIATN": "EXPENSE", "BANK": "ASSET", "CURRENT": "ASSET", "FIXED": "ASSET",
          "INVENTORY": "ASSET", "NONCURRENT": "ASSET", "PREPAYMENT": "ASSET",
          "CURRLIAB": "LIABILITY", "LIABILITY": "LIABILITY", "TERMLIAB": "LIABILITY",
          "PAYG": "LIABILITY", "EQUITY": "EQUITY"}

# (Code, Name, Type, tax side, SystemAccount): INTERFACES.md's chart, the same in both orgs.
CHART = (
    ("4000", "Services revenue", "REVENUE", "output", ""),
    ("4100", "Product revenue", "REVENUE", "output", ""),
    ("4200", "Agreement revenue", "REVENUE", "output", ""),
    ("5000", "Purchases", "DIRECTCOSTS", "input", ""),
    ("860", "Rounding", "EXPENSE", "none", ""),
    ("090", "Bank", "BANK", "none", ""),
    ("610", "Accounts Receivable", "CURRENT", "none", "DEBTORS"),
    ("800", "Accounts Payable", "CURRLIAB", "none", "CREDITORS"),
    ("820", "GST", "CURRLIAB", "none", "GST"),
)

REGION_OPTIONS = ("Auckland", "Sydney", "Head Office")


def organisation(seed: OrgSeed) -> dict:
    day, month = seed.year_end
    return {
        "OrganisationID": seed.tenant_id, "APIKey": "", "Name": seed.name, "LegalName": seed.name,
        "PaysTax": True, "Version": seed.country, "OrganisationType": "COMPANY",
        "BaseCurrency": seed.currency, "CountryCode": seed.country, "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE", "FinancialYearEndDay": day, "FinancialYearEndMonth": month,
        "SalesTaxBasis": seed.sales_tax_basis, "SalesTaxPeriod": "TWOMONTHS" if seed.country == "NZ"
        else "QUARTERLY1", "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": SEED_TIME, "OrganisationEntityType": "COMPANY", "Timezone": seed.timezone,
        "ShortCode": seed.short_code, "Edition": "BUSINESS", "Class": "PREMIUM",
        "Addresses": [], "Phones": [], "ExternalLinks": [], "PaymentTerms": {},
    }


def tax_rates(seed: OrgSeed) -> list[dict]:
    rates = [_tax_rate(tax_type, name, report, rate, side, "ACTIVE")
             for tax_type, name, report, rate, side in seed.rates]
    rates.append(_tax_rate(ARCHIVED_TAX_TYPE, "Old GST rate (archived)", "OUTPUT",
                           Decimal("12.5"), "revenue", "ARCHIVED"))
    return rates


def _tax_rate(tax_type: str, name: str, report: str, rate: Decimal, side: str, status: str) -> dict:
    revenue, expenses = side in ("revenue", "both"), side in ("expenses", "both")
    return {
        "Name": name, "TaxType": tax_type, "ReportTaxType": report, "Status": status,
        "TaxComponents": [{"Name": "GST", "Rate": rate, "IsCompound": False,
                           "IsNonRecoverable": False}],
        "CanApplyToAssets": expenses, "CanApplyToEquity": expenses, "CanApplyToExpenses": expenses,
        "CanApplyToLiabilities": expenses, "CanApplyToRevenue": revenue,
        "DisplayTaxRate": rate, "EffectiveRate": rate,
    }


def accounts(seed: OrgSeed) -> list[dict]:
    out = []
    for code, name, kind, side, system in CHART:
        tax = {"output": seed.output, "input": seed.input}.get(side, "NONE" if seed.country == "NZ"
                                                               else "BASEXCLUDED")
        account = {
            "AccountID": stable_id(seed.tenant_id, "account", code), "Code": code, "Name": name,
            "Type": kind, "Status": "ACTIVE", "TaxType": tax, "Class": _CLASS[kind],
            "EnablePaymentsToAccount": False, "ShowInExpenseClaims": kind in ("EXPENSE", "DIRECTCOSTS"),
            "ReportingCode": "", "ReportingCodeName": "", "HasAttachments": False,
            "UpdatedDateUTC": SEED_TIME, "AddToWatchlist": False,
        }
        if system:
            account["SystemAccount"] = system
        if kind == "BANK":
            account.update(BankAccountNumber="0201234567890000", BankAccountType="BANK",
                           CurrencyCode=seed.currency)
        out.append(account)
    return out


def tracking_categories(seed: OrgSeed) -> list[dict]:
    category_id = stable_id(seed.tenant_id, "tracking", "Region")
    return [{
        "TrackingCategoryID": category_id, "Name": "Region", "Status": "ACTIVE",
        "Options": [{"TrackingOptionID": stable_id(seed.tenant_id, "tracking", "Region", option),
                     "Name": option, "Status": "ACTIVE", "TrackingCategoryID": category_id}
                    for option in REGION_OPTIONS],
    }]
