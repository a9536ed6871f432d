"""Deterministic Autotask records, computed one at a time from their index.

Every entity has ``records`` rows (the simulator's size flag); record ``i`` of an entity has
id ``BASE_IDS[entity] + i`` so a lookup by id or a page starting at an id costs nothing, and
50,000 products are never all in memory. Field names and types follow the fixture's
``*Model`` definitions; like the real API, fields nobody filled in are ``null``.

Reference data (billing codes, invoice templates, taxes, tax categories and regions, payment
terms) has a fixed size (``FIXED_SIZES``) whatever ``records`` is, with the ids the other
entities already point at (``taxRegionID`` 1-3, ``invoiceTemplateID`` 102, billing codes
29682801/29682802, ``paymentTerm`` 1).

Invoices and billing items come in blocks of 20 (``invoice_items``): invoice ``k`` holds billing
item ``k`` (a contract service); the first invoice of a block also holds the block's item 19, a
Remote Support labour line on another billing code and tax category; invoices 9 and 19 of a
block are voided and hold nothing (voiding returns their items to "Items to Invoice", so item 9
has no ``invoiceID``); invoice 13 is a credit (negative quantity). Both entities keep exactly
``records`` rows. A third of the
invoices already carry a ``webServiceDate`` (synced before), half of those a ``paidDate``.
Invoice totals are the sums of their items. Tax is the company's region rate (``TAX_REGIONS``),
nothing for tax-exempt companies.

Writes (``PATCH``/``PUT /Invoices``, ``wisesync.simulator.at_invoices``) do not touch the seed:
``record()`` lays the changes of the current request's simulator over it (``writes_applied``).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Mapping

BASE_IDS = {"Companies": 29680000, "Contracts": 29710000, "ContractServices": 29740000,
            "Products": 29770000, "Services": 29800000, "Invoices": 29830000,
            "BillingItems": 29860000, "BillingCodes": 29682800, "InvoiceTemplates": 101,
            "Taxes": 1, "TaxCategories": 1, "TaxRegions": 1, "PaymentTerms": 1}
ENTITIES = tuple(BASE_IDS)

_EPOCH = datetime(2024, 1, 2, 9, 0, tzinfo=timezone.utc)
_PREFIX = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Woodgrove", "Litware", "Adatum",
           "Proseware", "Lucerne", "Wingtip", "Alpine", "Bluebird", "Coho", "Fourth Coffee",
           "Humongous", "Margie's", "Trey", "Wide World", "Blue Yonder", "Graphic Design"]
_TRADE = ["Dental", "Legal", "Logistics", "Accounting", "Engineering", "Veterinary",
          "Architects", "Insurance", "Realty", "Manufacturing", "Pharmacy", "Builders"]
_SUFFIX = ["Ltd", "LLC", "Inc.", "Group", "Partners", "Co."]
_CITIES = [("Austin", "TX", "78701"), ("Denver", "CO", "80202"), ("Tampa", "FL", "33602"),
           ("Columbus", "OH", "43215"), ("Portland", "OR", "97204"), ("Raleigh", "NC", "27601")]
_STREETS = ["Main St", "Oak Ave", "Market St", "Cedar Rd", "Lakeview Dr", "Commerce Blvd"]
_PRODUCTS = [  # (manufacturer, name, unit cost)
    ("Dell", "Latitude 5450 Laptop", 1089.00), ("Dell", "OptiPlex 7020 Desktop", 829.00),
    ("HP", "EliteBook 840 G11", 1249.00), ("Lenovo", "ThinkPad T14 Gen 5", 1179.00),
    ("Microsoft", "Surface Pro 11", 1399.00), ("Ubiquiti", "UniFi U7 Pro Access Point", 189.00),
    ("Cisco", "Meraki MX68 Security Appliance", 645.00), ("Fortinet", "FortiGate 60F", 559.00),
    ("APC", "Smart-UPS 1500VA", 612.00), ("Synology", "DiskStation DS923+", 599.00),
    ("Logitech", "MX Keys Combo", 119.00), ("Samsung", "27in Business Monitor", 229.00),
    ("Yealink", "T54W IP Phone", 169.00), ("Seagate", "IronWolf 8TB Drive", 179.00)]
_SERVICES = [  # (name, unit cost, unit price)
    ("Managed Workstation", 12.0, 45.0), ("Managed Server", 45.0, 150.0),
    ("Microsoft 365 Business Premium", 22.0, 26.4), ("Cloud Backup 1 TB", 18.0, 59.0),
    ("Endpoint Detection and Response", 4.5, 11.0), ("Help Desk per User", 9.0, 35.0),
    ("Firewall Management", 20.0, 75.0), ("Email Security", 1.8, 4.5),
    ("Security Awareness Training", 1.2, 3.5), ("Domain and DNS Hosting", 2.0, 6.0)]


def total(entity: str, records: int) -> int:
    """How many records ``entity`` has in a simulator of size ``records``."""
    if entity not in BASE_IDS:
        return 0
    return FIXED_SIZES.get(entity, records)


def index_of(entity: str, record_id: int, records: int) -> int | None:
    index = int(record_id) - BASE_IDS[entity]
    return index if 0 <= index < total(entity, records) else None


# id -> {field: value} written to Invoices in the simulator answering the current request.
_WRITES: ContextVar[Mapping[int, dict] | None] = ContextVar("at_invoice_writes", default=None)


@contextmanager
def writes_applied(writes: Mapping[int, dict] | None):
    """Within the block, ``record("Invoices", ...)`` answers with ``writes`` laid over the seed."""
    token = _WRITES.set(writes)
    try:
        yield
    finally:
        _WRITES.reset(token)


def record(entity: str, index: int, records: int) -> dict:
    """Record ``index`` (0-based) of ``entity`` in a simulator of size ``records``."""
    rec = _BUILDERS[entity](index, max(1, records))
    if entity == "Invoices":
        writes = _WRITES.get()
        changed = writes.get(rec["id"]) if writes else None
        if changed:
            rec.update(changed)
    return rec


def seed(entity: str, index: int, records: int) -> dict:
    """Record ``index`` as seeded, without any write made since."""
    return _BUILDERS[entity](index, max(1, records))


def _id(entity: str, index: int) -> int:
    return BASE_IDS[entity] + index


def _when(index: int, hours: int = 7) -> str:
    return (_EPOCH + timedelta(hours=index * hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _day(index: int, days: int = 0) -> str:
    return (_EPOCH + timedelta(days=index % 700 + days)).strftime("%Y-%m-%dT00:00:00.000Z")


def company_name(index: int) -> str:
    prefix, trade = _PREFIX[index % len(_PREFIX)], _TRADE[(index // len(_PREFIX)) % len(_TRADE)]
    cycle = index // (len(_PREFIX) * len(_TRADE))
    name = f"{prefix} {trade} {_SUFFIX[index % len(_SUFFIX)]}"
    return name if cycle == 0 else f"{name} {cycle + 1}"


def _company(i: int, n: int) -> dict:
    city, state, zip_code = _CITIES[i % len(_CITIES)]
    name = company_name(i)
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
    return {
        "id": _id("Companies", i), "companyName": name, "companyNumber": f"C{i + 1:06d}",
        "companyType": 1, "classification": None, "isActive": i % 17 != 16,
        "address1": f"{100 + i % 900} {_STREETS[i % len(_STREETS)]}", "address2": None,
        "additionalAddressInformation": None, "city": city, "state": state, "postalCode": zip_code,
        "countryID": 237, "phone": f"(555) {200 + i % 700:03d}-{i % 10000:04d}", "fax": None,
        "alternatePhone1": None, "alternatePhone2": None, "webAddress": f"https://www.{slug}.example",
        "billToAddressToUse": 1, "billingAddress1": None, "billingAddress2": None,
        "billToCity": None, "billToState": None, "billToZipCode": None, "billToCountryID": None,
        "billToAttention": None, "billToCompanyLocationID": None,
        "billToAdditionalAddressInformation": None, "createDate": _when(i),
        "createdByResourceID": 29682885, "lastActivityDate": _when(i, 9),
        "lastTrackedModifiedDateTime": _when(i, 11), "ownerResourceID": 29682885 + i % 5,
        "parentCompanyID": None, "currencyID": 1, "taxRegionID": 1 + region_of(i),
        "taxID": None, "isTaxExempt": i % 23 == 0, "invoiceMethod": 1, "invoiceTemplateID": 102,
        "invoiceEmailMessageID": None, "quoteTemplateID": None, "quoteEmailMessageID": None,
        "purchaseOrderTemplateID": None, "invoiceNonContractItemsToParentCompany": False,
        "isClientPortalActive": i % 3 == 0, "isEnabledForComanaged": False, "isSample": False,
        "isTaskFireActive": False, "marketSegmentID": None, "territoryID": None,
        "companyCategoryID": 1, "competitorID": None, "apiVendorID": None, "assetValue": None,
        "sicCode": None, "stockMarket": None, "stockSymbol": None, "surveyCompanyRating": None,
        "impersonatorCreatorResourceID": None, "userDefinedFields": [],
    }


def _contract(i: int, n: int) -> dict:
    company = i % n
    year = 2024 + (i // n) % 3
    kind = ["Managed Services", "Block Hours", "Recurring Services", "Time & Materials"][i % 4]
    return {
        "id": _id("Contracts", i), "companyID": _id("Companies", company),
        "contractName": f"{company_name(company)} - {kind} {year}",
        "contractNumber": f"CT-{year}-{i + 1:05d}", "contractType": [7, 6, 7, 1][i % 4],
        "contractCategory": 1, "contractPeriodType": None, "status": 1 if i % 9 else 0,
        "startDate": f"{year}-01-01T00:00:00.000Z", "endDate": f"{year}-12-31T00:00:00.000Z",
        "description": f"{kind} agreement", "billingPreference": 1, "billToCompanyID": None,
        "billToCompanyContactID": None, "contactID": None, "contactName": None,
        "contractExclusionSetID": None, "estimatedCost": float(200 + i % 50 * 10),
        "estimatedHours": float(i % 40), "estimatedRevenue": float(900 + i % 50 * 25),
        "exclusionContractID": None, "internalCurrencyOverageBillingRate": None,
        "internalCurrencySetupFee": None, "isCompliant": True, "isDefaultContract": i % 4 == 3,
        "lastModifiedDateTime": _when(i, 5), "opportunityID": None,
        "organizationalLevelAssociationID": org_level(company), "overageBillingRate": 125.0 if i % 4 == 1 else None,
        "purchaseOrderNumber": None, "renewedContractID": None, "serviceLevelAgreementID": 1,
        "setupFee": 0.0, "setupFeeBillingCodeID": None, "timeReportingRequiresStartAndStopTimes": 0,
        "userDefinedFields": [],
    }


def _contract_service(i: int, n: int) -> dict:
    name, cost, price = _SERVICES[i % len(_SERVICES)]
    units = 1 + i % 25
    return {
        "id": _id("ContractServices", i), "contractID": _id("Contracts", i % n),
        "serviceID": _id("Services", i % n), "unitCost": cost, "unitPrice": price,
        "internalCurrencyUnitPrice": price, "internalCurrencyAdjustedPrice": round(price * units, 2),
        "invoiceDescription": f"{name} x {units}", "internalDescription": None, "quoteItemID": None,
    }


def _product(i: int, n: int) -> dict:
    maker, model, cost = _PRODUCTS[i % len(_PRODUCTS)]
    series = i // len(_PRODUCTS)
    name = f"{maker} {model}" + (f" (rev {series + 1})" if series else "")
    cost = round(cost * (1 + (series % 7) / 100), 2)
    return {
        "id": _id("Products", i), "name": name, "description": f"{maker} {model}",
        "sku": f"{maker[:3].upper()}-{i + 1:06d}", "manufacturerName": maker,
        "manufacturerProductName": model, "vendorProductNumber": f"VPN{i + 1:07d}",
        "unitCost": cost, "unitPrice": round(cost * 1.25, 2), "msrp": round(cost * 1.4, 2),
        "markupRate": 25.0, "isActive": i % 31 != 30, "isSerialized": i % 2 == 0,
        "isEligibleForRma": True, "doesNotRequireProcurement": False, "productCategory": 1 + i % 4,
        "billingType": 1, "periodType": None, "priceCostMethod": 1, "productBillingCodeID": 29682801,
        "chargeBillingCodeID": None, "defaultVendorID": None, "externalProductID": None,
        "internalProductID": f"P{i + 1:06d}", "link": None, "createdTime": _when(i, 3),
        "createdByResourceID": 29682885, "impersonatorCreatorResourceID": None,
        "defaultInstalledProductCategoryID": None, "userDefinedFields": [],
    }


def _service(i: int, n: int) -> dict:
    name, cost, price = _SERVICES[i % len(_SERVICES)]
    tier = i // len(_SERVICES)
    return {
        "id": _id("Services", i), "name": name + (f" - Tier {tier + 1}" if tier else ""),
        "description": name, "invoiceDescription": name, "unitCost": cost, "unitPrice": price,
        "markupRate": round((price - cost) / cost * 100, 2), "periodType": 3, "isActive": True,
        "billingCodeID": 29682802, "serviceLevelAgreementID": None, "vendorCompanyID": None,
        "createDate": _when(i, 13), "creatorResourceID": 29682885, "lastModifiedDate": _when(i, 17),
        "updateResourceID": None, "manufacturerServiceProvider": None,
        "manufacturerServiceProviderProductNumber": None, "catalogNumberPartNumber": None,
        "sku": f"SVC-{i + 1:05d}", "internalID": None, "externalID": None, "url": None,
        "userDefinedFields": [],
    }


BLOCK = 20  # invoices and billing items repeat this pattern (see the module docstring)
VOIDED = (9, 19)
CREDIT = 13
SECOND_LINE = 19  # item 19 of a block is the second line of the block's invoice 0


def invoice_items(k: int, n: int) -> list[int]:
    """Indexes of the billing items on invoice ``k`` (none for a voided invoice)."""
    j = k % BLOCK
    if j in VOIDED or k >= n:
        return []
    items = [k]
    if j == 0 and k + SECOND_LINE < n:
        items.append(k + SECOND_LINE)
    return items


def item_invoice(i: int) -> int | None:
    """Index of the invoice billing item ``i`` is on (``None``: not invoiced)."""
    j = i % BLOCK
    if j == SECOND_LINE:
        return i - SECOND_LINE
    return None if j in VOIDED else i


def is_synced(k: int) -> bool:
    """The invoice already carries a ``webServiceDate`` in the seed."""
    return k % 3 == 1 and k % BLOCK not in VOIDED


def _rate(company: int) -> float:
    """The company's sales-tax rate in percent (its region's standard rate; 0 if exempt)."""
    if company % 23 == 0:  # _company(): isTaxExempt
        return 0.0
    return TAX_REGIONS[region_of(company)][1]


def region_of(company: int) -> int:
    """0-based index into ``TAX_REGIONS`` of ``company``'s tax region (regions 1-3; pairs of
    companies share one, so already-synced invoices, ``is_synced``, fall in every region)."""
    return (company // 2) % 3


def org_level(company: int) -> int:
    """The organisational level association that bills ``company`` (see ``ORG_LEVELS``)."""
    return 2 if region_of(company) == 1 else 1


THIRDS, SEVENTHS = 3, 7  # items 3 and 7 of a block carry Autotask's 7 decimals (see below)


def _item_amounts(i: int, n: int, company: int) -> tuple[float, float, float, float]:
    """(quantity, rate, extended price, tax) of billing item ``i`` billed to ``company``.

    Autotask keeps quantities and rates to 7 decimals (a third of an hour is 0.3333333) and
    rounds the extended price to cents from them: item 3 of a block is billed in thirds, item 7
    at a seventh of the service price, so 4-decimal arithmetic misses the PSA's line total."""
    if i % BLOCK == SECOND_LINE:  # remote support labour, by the hour
        quantity, price = float(1 + i % 4), BILLING_CODES[0][6]
    else:
        quantity, price = float(1 + i % 20), _SERVICES[i % len(_SERVICES)][2]
        if i % BLOCK == THIRDS:
            quantity = round(quantity / 3, 7)
        elif i % BLOCK == SEVENTHS:
            price = round(price / 7, 7)
    if i % BLOCK == CREDIT:
        quantity = -quantity
    amount = round(price * quantity, 2)
    return quantity, price, amount, round(amount * _rate(company) / 100, 2)


def _invoice(i: int, n: int) -> dict:
    company = i % n
    lines = invoice_items(i, n) or [i]  # a voided invoice keeps the totals it had
    amounts = [_item_amounts(item, n, company) for item in lines]
    tax = round(sum(a[3] for a in amounts), 2)
    voided = i % BLOCK in VOIDED
    synced = is_synced(i)
    return {
        "id": _id("Invoices", i), "companyID": _id("Companies", company),
        "invoiceNumber": f"{10001 + i}", "invoiceDateTime": _day(i), "dueDate": _day(i, 30),
        "fromDate": _day(i, -30), "toDate": _day(i, -1), "createDateTime": _when(i, 24),
        "creatorResourceID": 29682885,
        "invoiceTotal": round(sum(a[2] for a in amounts) + tax, 2), "totalTaxValue": tax,
        "isVoided": voided, "voidedDate": _day(i, 3) if voided else None,
        "voidedByResourceID": 29682885 if voided else None,
        "paidDate": _day(i, 20) if synced and i % 6 == 1 else None,
        "paymentTerm": 1, "batchID": 1 + i // 25,
        "comments": None, "orderNumber": None, "taxGroup": None,
        "taxRegionName": TAX_REGIONS[region_of(company)][0], "invoiceEditorTemplateID": 102,
        "webServiceDate": _synced_at(i) if synced else None, "invoiceStatus": None,
        "invoiceTaxMethodExternalCode": None,
    }


def _synced_at(i: int) -> str:
    return (_EPOCH + timedelta(days=i % 700 + 1, hours=5, minutes=i % 60)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


def _billing_item(i: int, n: int) -> dict:
    invoice = item_invoice(i)
    if invoice is not None and invoice >= n:
        invoice = None
    company = (invoice if invoice is not None else i) % n
    quantity, rate, amount, tax = _item_amounts(i, n, company)
    if i % BLOCK == SECOND_LINE:  # labour: no contract service, the Remote Support work type
        name, what = BILLING_CODES[0][0], f"{int(quantity)} hours"
        cost, code, category, kind = 55.0, _id("BillingCodes", 0), 2, 1
        contract = service = None
    else:
        name, cost, _ = _SERVICES[i % len(_SERVICES)]
        what = f"{int(abs(quantity))} units"
        code, category, kind = _id("BillingCodes", 2), 1, 10
        contract = service = i % n  # contract service k is on contract k, of company k
    return {
        "id": _id("BillingItems", i), "companyID": _id("Companies", company),
        "contractID": None if contract is None else _id("Contracts", contract),
        "contractServiceID": None if service is None else _id("ContractServices", service),
        "serviceID": None if service is None else _id("Services", service),
        "invoiceID": _id("Invoices", invoice) if invoice is not None else None,
        "itemName": name, "description": f"{'Credit: ' if quantity < 0 else ''}{name} ({what})",
        "lineItemFullDescription": None, "lineItemGroupDescription": None, "itemDate": _day(i),
        # every billing item has been approved and posted (that is what makes it one)
        "postedDate": _day(i, 1), "postedOnTime": _when(i, 24),
        "quantity": quantity, "rate": rate, "ourCost": round(cost * quantity, 2),
        "extendedPrice": amount, "taxDollars": tax,
        "totalAmount": round(amount + tax, 2), "internalCurrencyExtendedPrice": amount,
        "internalCurrencyRate": rate, "internalCurrencyTaxDollars": tax,
        "internalCurrencyTotalAmount": round(amount + tax, 2), "billingItemType": kind,
        "subType": None, "billingCodeID": code, "taxCategoryID": category, "nonBillable": 0,
        "accountManagerWhenApprovedID": None, "itemApproverID": 29682885,
        "configurationItemID": None, "contractBlockID": None, "contractChargeID": None,
        "contractServiceAdjustmentID": None, "contractServiceBundleAdjustmentID": None,
        "contractServiceBundleID": None, "contractServiceBundlePeriodID": None,
        "contractServicePeriodID": None, "expenseItemID": None, "milestoneID": None,
        "organizationalLevelAssociationID": org_level(company), "projectChargeID": None, "projectID": None,
        "purchaseOrderNumber": None, "roleID": None, "serviceBundleID": None, "sortOrderID": None,
        "taskID": None, "ticketChargeID": None, "ticketID": None, "timeEntryID": None,
        "vendorID": None, "webServiceDate": None,
    }


# --- reference data: fixed sizes, ids the records above point at ------------------------------

# (name, standard rate %): TaxRegions ids 1..5; companies use 1-3 (taxRegionID = 1 + region_of(i)).
# The rates of the regions companies use are those of the demo Xero organisations (NZ GST 15 %,
# AU GST 10 %), so an invoice synced to the organisation of its own country adds up to the same
# total in Xero, and one sent to the other country's organisation shows the totals mismatch.
TAX_REGIONS = [("New Zealand", 15.0), ("Australia", 10.0), ("New Zealand - Chatham Islands", 15.0),
               ("Ohio", 5.75), ("Oregon", 0.0)]
# Organisational level associations (Autotask's branch + line of business pairs that billing
# items and contracts carry as ``organizationalLevelAssociationID``): companies in the Australia
# tax region are billed by the Australian branch, the others by the New Zealand one. The
# OrganizationalLevelAssociations entity is not in the fixture's subset, so only the ids appear.
ORG_LEVELS = {1: "New Zealand branch", 2: "Australia branch"}
# (name, description, taxable): TaxCategories ids 1..4; billing items use 1.
TAX_CATEGORIES = [("Standard", "Taxable goods and services", True),
                  ("Labor", "Labor and professional services", True),
                  ("Non-Taxable", "Items no sales tax applies to", False),
                  ("Hardware", "Tangible equipment", True)]
# (name, billingCodeType, useType, external number, tax category, unit cost, unit price, active).
# billingCodeType/useType 1 is a work type (Autotask's docs); the other values are this
# simulator's numbering, UNVERIFIED against a live tenant. External numbers are the demo Xero
# chart's revenue codes (4000 services, 4100 products, 4200 agreements).
BILLING_CODES = [
    ("Remote Support", 1, 1, "4000", 2, 0.0, 150.0, True),        # 29682800
    ("Hardware", 2, 2, "4100", 4, 0.0, 0.0, True),                # 29682801 Products
    ("Managed Services", 5, 5, "4200", 1, 0.0, 0.0, True),        # 29682802 Services, items
    ("After Hours Support", 1, 1, "4000", 2, 0.0, 225.0, True),   # 29682803
    ("Travel Expenses", 4, 4, "4000", 3, 0.0, 0.0, True),         # 29682804
    ("Project Milestone", 6, 6, "4000", 2, 0.0, 0.0, True),       # 29682805
    ("Legacy Hosting", 5, 5, None, 1, 0.0, 0.0, False),           # 29682806
]
# (name, payment due in days): PaymentTerms ids 1..5; invoices use 1 (due 30 days after).
PAYMENT_TERMS = [("Net 30", 30), ("Net 15", 15), ("Due on Receipt", 0), ("Net 45", 45),
                 ("Net 60", 60)]
INVOICE_TEMPLATES = ["Standard", "Managed Services Detail", "Project Billing", "Summary Only"]
FIXED_SIZES = {"BillingCodes": len(BILLING_CODES), "InvoiceTemplates": len(INVOICE_TEMPLATES),
               "Taxes": len(TAX_REGIONS) * len(TAX_CATEGORIES),
               "TaxCategories": len(TAX_CATEGORIES), "TaxRegions": len(TAX_REGIONS),
               "PaymentTerms": len(PAYMENT_TERMS)}


def _billing_code(i: int, n: int) -> dict:
    name, kind, use, external, category, cost, price, active = BILLING_CODES[i]
    return {
        "id": _id("BillingCodes", i), "name": name, "description": f"{name} billing code",
        "billingCodeType": kind, "useType": use, "externalNumber": external,
        "generalLedgerAccount": None if external is None else 1 + i,
        "department": 1 if kind == 1 else None, "taxCategoryID": category,
        "afterHoursWorkType": _id("BillingCodes", 3) if i == 0 else None,
        "unitCost": cost, "unitPrice": price,
        "markupRate": None if not cost else round((price - cost) / cost * 100, 2),
        "isActive": active, "isExcludedFromNewContracts": not active,
    }


def _invoice_template(i: int, n: int) -> dict:
    return {
        "id": _id("InvoiceTemplates", i), "name": INVOICE_TEMPLATES[i],
        "coveredByBlockRetainerContractLabel": "Covered by Block/Retainer",
        "coveredByRecurringServiceFixedPricePerTicketContractLabel": "Covered by Contract",
        "nonBillableLaborLabel": "No Charge", "currencyPositiveFormat": "$X",
        "currencyNegativeFormat": "($X)", "dateFormat": 1, "timeFormat": 1, "numberFormat": 1,
        "pageLayout": 1, "pageNumberFormat": 1, "paymentTerms": 1, "groupBy": 1 + i % 3,
        "itemizeItemsInEachGroup": 1, "sortBy": 1, "itemizeServicesAndBundles": i != 3,
        "displayFixedPriceContractLabor": i == 1, "displayRecurringServiceContractLabor": i == 1,
        "displaySeparateLineItemForEachTax": False, "displayTaxCategory": True,
        "displayTaxCategorySuperscripts": False,
        "displayZeroAmountRecurringServicesAndBundles": False, "showGridHeader": True,
        "showVerticalGridLines": False, "rateCostExpression": None,
    }


def _tax(i: int, n: int) -> dict:
    region, category = divmod(i, len(TAX_CATEGORIES))
    region_name, rate = TAX_REGIONS[region]
    category_name, _, taxable = TAX_CATEGORIES[category]
    return {
        "id": _id("Taxes", i), "taxName": f"{region_name} {category_name} Tax",
        "taxRate": rate if taxable else 0.0, "isCompounded": False,
        "taxCategoryID": category + 1, "taxRegionID": region + 1,
    }


def _tax_category(i: int, n: int) -> dict:
    name, description, _ = TAX_CATEGORIES[i]
    return {"id": _id("TaxCategories", i), "name": name, "description": description,
            "isActive": True}


def _tax_region(i: int, n: int) -> dict:
    return {"id": _id("TaxRegions", i), "name": TAX_REGIONS[i][0], "isActive": True}


def _payment_term(i: int, n: int) -> dict:
    name, days = PAYMENT_TERMS[i]
    return {"id": _id("PaymentTerms", i), "name": name, "paymentDueInDays": days,
            "description": None if days else "Payment is due when the invoice is received",
            "isActive": True}


_BUILDERS = {"Companies": _company, "Contracts": _contract, "ContractServices": _contract_service,
             "Products": _product, "Services": _service, "Invoices": _invoice,
             "BillingItems": _billing_item, "BillingCodes": _billing_code,
             "InvoiceTemplates": _invoice_template, "Taxes": _tax, "TaxCategories": _tax_category,
             "TaxRegions": _tax_region, "PaymentTerms": _payment_term}
