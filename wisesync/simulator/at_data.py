"""Deterministic Autotask records, computed one at a time from their index.

Every entity has ``records`` rows (the simulator's size flag); record ``i`` of an entity has
id ``BASE_IDS[entity] + i`` so a lookup by id or a page starting at an id costs nothing, and
50,000 products are never all in memory. Field names and types follow the fixture's
``*Model`` definitions; like the real API, fields nobody filled in are ``null``.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

BASE_IDS = {"Companies": 29680000, "Contracts": 29710000, "ContractServices": 29740000,
            "Products": 29770000, "Services": 29800000, "Invoices": 29830000,
            "BillingItems": 29860000}
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
    return records if entity in BASE_IDS else 0


def index_of(entity: str, record_id: int, records: int) -> int | None:
    index = int(record_id) - BASE_IDS[entity]
    return index if 0 <= index < records else None


def record(entity: str, index: int, records: int) -> dict:
    """Record ``index`` (0-based) of ``entity`` in a simulator of size ``records``."""
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
        "parentCompanyID": None, "currencyID": 1, "taxRegionID": 1 + i % 3,
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
        "organizationalLevelAssociationID": None, "overageBillingRate": 125.0 if i % 4 == 1 else None,
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


def _invoice(i: int, n: int) -> dict:
    subtotal = round(150 + (i * 37) % 4800 + (i % 100) / 100, 2)
    tax = round(subtotal * 0.0825, 2)
    return {
        "id": _id("Invoices", i), "companyID": _id("Companies", i % n),
        "invoiceNumber": f"{10001 + i}", "invoiceDateTime": _day(i), "dueDate": _day(i, 30),
        "fromDate": _day(i, -30), "toDate": _day(i, -1), "createDateTime": _when(i, 24),
        "creatorResourceID": 29682885, "invoiceTotal": round(subtotal + tax, 2),
        "totalTaxValue": tax, "isVoided": i % 50 == 49, "voidedDate": None,
        "voidedByResourceID": None, "paidDate": None, "paymentTerm": 1, "batchID": 1 + i // 25,
        "comments": None, "orderNumber": None, "taxGroup": None, "taxRegionName": "Texas",
        "invoiceEditorTemplateID": 102, "webServiceDate": None, "invoiceStatus": None,
        "invoiceTaxMethodExternalCode": None,
    }


def _billing_item(i: int, n: int) -> dict:
    name, cost, price = _SERVICES[i % len(_SERVICES)]
    quantity = float(1 + i % 20)
    amount = round(price * quantity, 2)
    posted = i % 3 != 0  # a third are approved but not yet invoiced
    return {
        "id": _id("BillingItems", i), "companyID": _id("Companies", i % n),
        "contractID": _id("Contracts", i % n), "contractServiceID": _id("ContractServices", i % n),
        "serviceID": _id("Services", i % n), "invoiceID": _id("Invoices", i % n) if posted else None,
        "itemName": name, "description": f"{name} ({int(quantity)} units)",
        "lineItemFullDescription": None, "lineItemGroupDescription": None, "itemDate": _day(i),
        "postedDate": _day(i, 1) if posted else None, "postedOnTime": _when(i, 24) if posted else None,
        "quantity": quantity, "rate": price, "ourCost": round(cost * quantity, 2),
        "extendedPrice": amount, "taxDollars": round(amount * 0.0825, 2),
        "totalAmount": round(amount * 1.0825, 2), "internalCurrencyExtendedPrice": amount,
        "internalCurrencyRate": price, "internalCurrencyTaxDollars": round(amount * 0.0825, 2),
        "internalCurrencyTotalAmount": round(amount * 1.0825, 2), "billingItemType": 10,
        "subType": None, "billingCodeID": 29682802, "taxCategoryID": 1, "nonBillable": 0,
        "accountManagerWhenApprovedID": None, "itemApproverID": 29682885,
        "configurationItemID": None, "contractBlockID": None, "contractChargeID": None,
        "contractServiceAdjustmentID": None, "contractServiceBundleAdjustmentID": None,
        "contractServiceBundleID": None, "contractServiceBundlePeriodID": None,
        "contractServicePeriodID": None, "expenseItemID": None, "milestoneID": None,
        "organizationalLevelAssociationID": None, "projectChargeID": None, "projectID": None,
        "purchaseOrderNumber": None, "roleID": None, "serviceBundleID": None, "sortOrderID": None,
        "taskID": None, "ticketChargeID": None, "ticketID": None, "timeEntryID": None,
        "vendorID": None, "webServiceDate": None,
    }


_BUILDERS = {"Companies": _company, "Contracts": _contract, "ContractServices": _contract_service,
             "Products": _product, "Services": _service, "Invoices": _invoice,
             "BillingItems": _billing_item}
