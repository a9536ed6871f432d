"""Deterministic ConnectWise records, each computed from its index (ids are 1-based).

Like ConnectWise, a field with no value is left out rather than sent as null.

Nothing is stored: ``catalog_item(49_999)`` costs the same as ``catalog_item(1)``, so the
simulator can serve ``--records 50000`` without holding them. Values follow the shapes of
``fixtures/connectwise/manage-openapi-subset.json``. The SOAP simulator reuses
:func:`company` and :func:`unposted_invoice` so both APIs show the same data.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

BASE_TIME = datetime(2023, 1, 1, tzinfo=timezone.utc)
ADDITIONS_PER_AGREEMENT = 3
NO_BILLING_CONTACT_COMPANY = 6  # cw_ledger_data's "no billing contact" case

_FIRST = ["Acme", "Bluewater", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor",
          "Ironwood", "Juniper", "Keystone", "Lakeside", "Meridian", "Northwind", "Oakridge",
          "Pinnacle", "Quarry", "Riverside", "Summit", "Tidewater"]
_SECOND = ["Dental", "Logistics", "Legal", "Medical", "Builders", "Accounting", "Realty",
           "Foods", "Motors", "Insurance", "Architects", "Veterinary", "Manufacturing"]
_SUFFIX = ["LLC", "Inc.", "Group", "Partners", "Co."]
_CITIES = [("Tampa", "FL", "336"), ("Austin", "TX", "787"), ("Denver", "CO", "802"),
           ("Columbus", "OH", "432"), ("Raleigh", "NC", "276"), ("Boise", "ID", "837")]
_STREETS = ["Main St", "Oak Ave", "Commerce Blvd", "Harbor Dr", "Industrial Pkwy", "Elm St"]
_PEOPLE = [("John", "Smith"), ("Maria", "Garcia"), ("Wei", "Chen"), ("Aisha", "Khan"),
           ("Liam", "O'Brien"), ("Sofia", "Rossi"), ("Noah", "Walker"), ("Emma", "Novak")]
_PRODUCTS = [("Managed Workstation", "Service", 45.0, 12.0), ("Managed Server", "Service", 150.0, 40.0),
             ("Microsoft 365 Business Premium", "NonInventory", 22.0, 18.5),
             ("Backup 1TB", "Service", 60.0, 21.0), ("Firewall Appliance", "Inventory", 899.0, 640.0),
             ("Onsite Labor Hour", "Service", 125.0, 55.0), ("Laptop 14in", "Inventory", 1249.0, 1010.0),
             ("Endpoint Security Seat", "NonInventory", 6.5, 3.2)]
_AGREEMENT_TYPES = [(1, "Managed Services"), (2, "Block Time"), (3, "Backup as a Service")]
USD = {"id": 7, "symbol": "$", "currencyCode": "USD", "decimalSeparator": ".", "numberOfDecimals": 2,
       "thousandsSeparator": ",", "negativeParenthesesFlag": False, "displaySymbolFlag": True,
       "currencyIdentifier": "USD", "displayIdFlag": False, "rightAlign": False, "name": "US Dollars"}


def pick(seq, i: int, salt: int = 0):
    """A fixed but well-mixed choice for index ``i``."""
    return seq[(i * 7919 + salt * 104729) % len(seq)]


UPDATE_STEP = timedelta(minutes=20)
LAST_SEED_UPDATE = datetime(2025, 1, 1, tzinfo=timezone.utc)  # seeds never look changed lately


def last_updated(i: int) -> datetime:
    """Seed records are updated in id order, 20 minutes apart, none after ``LAST_SEED_UPDATE``
    (so ``lastUpdated>`` is an id range, and a big simulator has no records "from the future"
    that every incremental pull would fetch again). Changes (``psa_changes``) stamp their own."""
    return min(BASE_TIME + UPDATE_STEP * i, LAST_SEED_UPDATE)


def first_updated_after(when: datetime) -> int | None:
    """The lowest index whose seed ``lastUpdated`` is after ``when`` (None: no seed record is)."""
    if when >= LAST_SEED_UPDATE:
        return None
    if when < BASE_TIME:
        return 0
    return (when - BASE_TIME) // UPDATE_STEP + 1


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _info(i: int, kind: str) -> dict:
    return {"lastUpdated": stamp(last_updated(i)), "updatedBy": "jsmith",
            "dateEntered": stamp(BASE_TIME + timedelta(minutes=i)), "enteredBy": "Wise-Sync sim"}


def company_name(i: int) -> str:
    return f"{pick(_FIRST, i)} {pick(_SECOND, i, 1)} {pick(_SUFFIX, i, 2)}"


def company_identifier(i: int) -> str:
    return f"{pick(_FIRST, i)}{pick(_SECOND, i, 1)}{i}"


def company_ref(i: int) -> dict:
    return {"id": i, "identifier": company_identifier(i), "name": company_name(i),
            "_info": {"company_href": f"/company/companies/{i}"}}


# /company/companies/statuses: each status carries its own inactiveFlag (CompanyStatus in
# ConnectWise's generated clients: name, defaultFlag, inactiveFlag, notifyFlag,
# disallowSavingFlag, notificationMessage, customNoteFlag, cancelOpenTracksFlag, track). Names
# are the tenant's own words, so "Not Approved" is inactive and "Inactive Review" is not.
COMPANY_STATUSES = [(1, "Active", False, True), (2, "Inactive", True, False),
                    (3, "Not Approved", True, False), (4, "Inactive Review", False, False),
                    (5, "Credit Hold", False, False)]


def company_status(i: int) -> dict:
    status_id, name, inactive, default = COMPANY_STATUSES[i - 1]
    return {"id": status_id, "name": name, "defaultFlag": default, "inactiveFlag": inactive,
            "notifyFlag": False, "disallowSavingFlag": status_id == 3, "notificationMessage": "",
            "customNoteFlag": False, "cancelOpenTracksFlag": False,
            "_info": {"lastUpdated": stamp(BASE_TIME), "updatedBy": "jsmith"}}


def company(i: int) -> dict:
    city, state, zip3 = pick(_CITIES, i, 3)
    first, last = pick(_PEOPLE, i, 4)
    record = {
        "id": i, "identifier": company_identifier(i), "name": company_name(i),
        "status": {"id": 1, "name": "Active"},
        "addressLine1": f"{100 + i % 9000} {pick(_STREETS, i, 5)}",
        "city": city, "state": state, "zip": f"{zip3}{i % 100:02d}",
        "country": {"id": 1, "identifier": "US", "name": "United States"},
        "phoneNumber": f"555{i % 10_000_000:07d}", "faxNumber": "",
        "website": f"www.{company_identifier(i).lower()}.example",
        "territory": {"id": 1, "name": "Main"}, "market": {"id": 1, "name": "Small Business"},
        "accountNumber": f"C{i:06d}", "defaultContact": {"id": i, "name": f"{first} {last}"},
        "dateAcquired": stamp(BASE_TIME - timedelta(days=i % 900)),
        "numberOfEmployees": 5 + i % 240,
        "leadFlag": False, "unsubscribeFlag": False, "vendorIdentifier": "", "taxIdentifier": "",
        "taxCode": {"id": 1, "name": "Tax-State"}, "billingTerms": {"id": 1, "name": "Net 30 days"},
        "billToCompany": company_ref(i), "billingSite": {"id": i, "name": "Main"},
        "invoiceDeliveryMethod": {"id": 1, "name": "Email"},
        "deletedFlag": False, "mobileGuid": f"00000000-0000-4000-8000-{i:012d}",
        "currency": USD, "isVendorFlag": False, "types": [{"id": 1, "name": "Client"}],
        "site": {"id": i, "name": "Main"}, "integratorTags": [], "customFields": [],
        "_info": _info(i, "company"),
    }
    if i != NO_BILLING_CONTACT_COMPANY:  # one company has none (the sync must say so)
        record["billingContact"] = {"id": i, "name": f"{first} {last}"}
        record["invoiceToEmailAddress"] = f"billing@{company_identifier(i).lower()}.example"
    return record


def contact(i: int) -> dict:
    """Not in the OpenAPI fixture (the client only counts contacts for the permission check)."""
    first, last = pick(_PEOPLE, i, 4)
    return {"id": i, "firstName": first, "lastName": last, "company": company_ref(i),
            "inactiveFlag": False, "_info": _info(i, "contact")}


def agreement(i: int, companies: int | None = None) -> dict:
    comp = 1 + (i - 1) % (companies or i)
    type_id, type_name = pick(_AGREEMENT_TYPES, i, 6)
    first, last = pick(_PEOPLE, comp, 4)
    start = BASE_TIME + timedelta(days=i % 365)
    return {
        "id": i, "name": f"{type_name} - {company_name(comp)}", "type": {"id": type_id, "name": type_name},
        "company": company_ref(comp), "contact": {"id": comp, "name": f"{first} {last}"},
        "site": {"id": comp, "name": "Main"}, "customerPO": "",
        "location": {"id": 1, "name": "Auckland"},
        "department": {"id": 1, "identifier": "MS", "name": "Managed Services"},
        "startDate": stamp(start), "noEndingDateFlag": True, "cancelledFlag": False,
        "applicationUnits": "Amount", "applicationLimit": 0.0, "applicationCycle": "CalendarMonth",
        "applicationUnlimitedFlag": True, "oneTimeFlag": False, "coverAgreementTime": True,
        "coverAgreementProduct": False, "coverAgreementExpense": False, "coverSalesTax": False,
        "billingCycle": {"id": 1, "name": "Monthly"}, "billingTerms": {"id": 1, "name": "Net 30 days"},
        "billToCompany": company_ref(comp), "billAmount": round(250 + (i * 37) % 4750, 2),
        "taxable": True, "billStartDate": stamp(start), "invoiceDescription": type_name,
        "billTime": "Billable", "billExpenses": "Billable", "billProducts": "Billable",
        "currency": USD, "periodType": "Current", "autoInvoiceFlag": True, "billZeroAmountFlag": False,
        "agreementStatus": "Active", "customFields": [], "_info": _info(i, "agreement"),
    }


def addition(agreement_id: int, j: int, catalog_size: int | None = None) -> dict:
    """The ``j``-th (1-based) addition of an agreement; its id is unique across agreements."""
    item = 1 + ((agreement_id - 1) * ADDITIONS_PER_AGREEMENT + j - 1) % (catalog_size or 10**9)
    name, _cls, price, cost = pick(_PRODUCTS, item, 7)
    quantity = float(1 + (agreement_id + j) % 25)
    aid = (agreement_id - 1) * ADDITIONS_PER_AGREEMENT + j
    return {
        "id": aid, "product": {"id": item, "identifier": catalog_identifier(item), "serializedFlag": False},
        "quantity": quantity, "lessIncluded": 0.0, "unitPrice": price, "unitCost": cost,
        "billCustomer": "Billable", "effectiveDate": stamp(BASE_TIME + timedelta(days=aid % 365)),
        "taxableFlag": True, "invoiceDescription": name, "agreementId": agreement_id,
        "description": name, "billedQuantity": quantity, "uom": "Each",
        "extPrice": round(price * quantity, 2), "extCost": round(cost * quantity, 2),
        "sequenceNumber": float(j), "margin": round((price - cost) * quantity, 2),
        "agreementStatus": "Active", "customFields": [], "_info": _info(aid, "addition"),
    }


def catalog_identifier(i: int) -> str:
    return f"{''.join(w[0] for w in pick(_PRODUCTS, i, 7)[0].split())}-{i:05d}"


def catalog_item(i: int) -> dict:
    name, product_class, price, cost = pick(_PRODUCTS, i, 7)
    return {
        "id": i, "identifier": catalog_identifier(i), "description": f"{name} #{i}",
        "inactiveFlag": i % 50 == 0, "subcategory": {"id": 1 + i % 4, "name": "Managed"},
        "type": {"id": 1, "name": "Non-Inventory" if product_class != "Inventory" else "Hardware"},
        "productClass": product_class, "serializedFlag": product_class == "Inventory",
        "unitOfMeasure": {"id": 1, "name": "Each"}, "price": price, "cost": cost,
        "priceAttribute": "FixedFee", "taxableFlag": True, "customerDescription": name,
        "manufacturerPartNumber": f"MPN{i:06d}", "vendorSku": "",
        "recurringFlag": product_class == "Service", "recurringRevenue": price if product_class == "Service" else 0.0,
        "recurringCost": cost if product_class == "Service" else 0.0,
        "category": {"id": 1, "name": "Managed Services"}, "billableOption": "Billable",
        "connectWiseID": f"00000000-0000-4000-9000-{i:012d}", "customFields": [],
        "_info": _info(i, "catalog"),
    }


def product(i: int, catalog_size: int | None = None, agreements: int | None = None) -> dict:
    """A product line (on an agreement); ``/procurement/products``."""
    item = 1 + (i - 1) % (catalog_size or i)
    name, product_class, price, cost = pick(_PRODUCTS, item, 7)
    quantity = float(1 + i % 10)
    agr = 1 + (i - 1) % (agreements or i)
    return {
        "id": i, "catalogItem": {"id": item, "identifier": catalog_identifier(item)},
        "description": name, "quantity": quantity, "price": price, "cost": cost,
        "extPrice": round(price * quantity, 2), "extCost": round(cost * quantity, 2),
        "billableOption": "Billable", "agreement": {"id": agr, "name": f"Agreement {agr}"},
        "productClass": product_class, "taxableFlag": True, "customerDescription": name,
        "company": company_ref(agr), "uom": "Each", "_info": _info(i, "product"),
    }


def member(i: int) -> dict:
    first, last = pick(_PEOPLE, i, 8)
    ident = "jsmith" if i == 1 else f"{first[0]}{last}{i}".lower().replace("'", "")
    if i == 1:
        first, last = "John", "Smith"
    return {
        "id": i, "identifier": ident, "firstName": first, "lastName": last, "licenseClass": "F",
        "inactiveFlag": False, "hireDate": stamp(BASE_TIME - timedelta(days=30 * i)),
        "officeEmail": f"{ident}@wisesim.example", "primaryEmail": f"{ident}@wisesim.example",
        "defaultEmail": "Office", "defaultPhone": "Office", "officePhone": f"555010{i % 10000:04d}",
        "securityRole": {"id": 1 if i == 1 else 3, "name": "Admin" if i == 1 else "Finance"},
        "title": "Finance Admin" if i % 3 else "Technician", "adminFlag": i == 1,
        "timeZone": {"id": 1, "name": "Eastern"},
        # Real members carry these display options (pyconnectwise's Member model requires them).
        "agreementInvoicingDisplayOptions": "RemainOnInvoicingScreen",
        "invoiceScreenDefaultTabFormat": "ShowInvoicingTab", "invoicingDisplayOptions": "RemainOnInvoicingScreen",
        "customFields": [], "_info": _info(i, "member"),
    }


def unposted_invoice(i: int, companies: int | None = None) -> dict:
    """The unposted invoice ``i``: the accounting side's record (``cw_ledger_data``), so REST,
    the GL export and SOAP ``GetUnpostedInvoices`` all show the same invoice."""
    from wisesync.simulator import cw_ledger_data

    return cw_ledger_data.unposted_invoice(i, companies)


def system_info() -> dict:
    return {"version": "v2025.1.108271", "isCloud": False, "serverTimeZone": "Eastern Standard Time",
            "cloudRegion": "NA", "maxWorkFlowRecordsAllowed": 1000,
            "licenseBits": [{"name": "Accounting Interface", "activeFlag": True}]}
