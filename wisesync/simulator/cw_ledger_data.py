"""Seeded ConnectWise accounting records: billing locations, unposted invoices and procurement,
and the GL export of each, all computed from the record's index (1-based) like ``cw_data``.

Shapes follow ``fixtures/connectwise/manage-openapi-subset.json`` (``Location``,
``UnpostedInvoice``, ``UnpostedProcurement``, ``GLExportTransaction`` + ``detail[]``,
``GLExportPurchaseTransaction`` + ``purchaseDetail[]``, ``GLExportCustomer``/``Vendor``,
``BatchEntry``). Amounts are computed in ``Decimal`` and sent as JSON numbers.

Sign convention of the export (research/accounting-sync.md §2.2): ConnectWise's *legacy XML*
export writes an invoice's revenue lines and its sales-tax (ST) line **negative** (quantity and
total) with the header total **positive**; a credit memo the other way round (lines positive,
header negative); purchase-order detail negative with a positive header. The simulator's REST
export follows that legacy convention. Whether REST ``GLExport`` keeps these signs is
UNVERIFIED: the mapper must normalise by document type, never by the header's sign (the zero
invoice has no sign at all).

GL entry ids (the ``processedRecordIds`` of a batch): invoice ``i`` owns ``i*100`` (its AR
entry), ``i*100+k`` for detail line ``k`` (the ST line is the last detail line) and
``i*100+50+k`` for the cost-of-goods entry of each product line. The header's ``glEntryIds``
lists the AR and COGS entries only, not the detail ids (as in the legacy sample, where the
header list and the detail ids were disjoint), so a batch must send the union of the split
header list and every ``detail[].id``. Procurement ``j`` owns ``PROCUREMENT_BASE + j*100 + k``
for its detail line ``k`` (``GLExportPurchaseTransaction`` has no header id list). Which ids
real ConnectWise expects is UNVERIFIED (research §2.2).

Special cases at fixed indices (invoice ``i`` has number ``10000 + i``), see ``SPECIAL``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from wisesync.simulator import cw_data

# -- billing locations (owner levels) --------------------------------------------------------
LOCATIONS = {1: "Auckland", 2: "Sydney", 3: "Head Office"}
_LOCATION_PLACE = {1: ("Auckland", "NZ", "New Zealand", 1, "New Zealand Standard Time"),
                   2: ("Sydney", "AU", "Australia", 2, "AUS Eastern Standard Time"),
                   3: ("Wellington", "NZ", "New Zealand", 1, "New Zealand Standard Time")}


def _currency(code: str, name: str, cid: int) -> dict:
    return {"id": cid, "symbol": "$", "currencyCode": code, "decimalSeparator": ".",
            "numberOfDecimals": 2, "thousandsSeparator": ",", "negativeParenthesesFlag": False,
            "displaySymbolFlag": True, "currencyIdentifier": code, "displayIdFlag": False,
            "rightAlign": False, "name": name}


NZD = _currency("NZD", "New Zealand Dollars", 11)
AUD = _currency("AUD", "Australian Dollars", 12)
# location → (currency, tax rate, tax code reference, tax code xref, tax agency xref)
_TAX = {1: (NZD, Decimal("0.15"), {"id": 1, "name": "GST NZ"}, "GST", "IRD"),
        2: (AUD, Decimal("0.10"), {"id": 2, "name": "GST AU"}, "GST", "ATO"),
        3: (NZD, Decimal("0.15"), {"id": 1, "name": "GST NZ"}, "GST", "IRD")}
EXEMPT_XREF = "EXEMPT"

# -- GL account numbers (the ones the CW side uses; INTERFACES "Fixed names") -----------------
AR_ACCOUNT, AP_ACCOUNT, SALES_TAX_ACCOUNT = "1100", "2000", "2200"
SERVICES_ACCOUNT, PRODUCTS_ACCOUNT, AGREEMENT_ACCOUNT = "4000", "4100", "4200"
UNKNOWN_ACCOUNT_NUMBER, PURCHASES_ACCOUNT, COGS_ACCOUNT = "4999", "5000", "5100"
# GL types on detail lines. Only "ST" (sales tax) is relied on; the revenue codes are taken from
# ConnectWise's GLAccount glType list (R, RA, RP...) without a source mapping them: UNVERIFIED.
_GL_TYPE = {"service": "R", "product": "RP", "agreement": "RA"}

# -- special cases ----------------------------------------------------------------------------
ZERO_TOTAL = 2          # every line priced 0: header total 0.00
CREDIT_MEMO = 4         # the first credit memo (more: every i > 10 with i % 9 == 4)
NO_GL_ENTRIES = 5       # listed as unposted, but the export has no transaction for it
NO_BILLING_CONTACT = 6  # company 6 has no billing contact (customer without contact)
LONG_ITEM_ID = 7        # a product line whose item identifier is longer than 30 characters
ROUNDING = 8            # header total = line sum + 0.03 (the tax on the header rounds differently)
MISMATCH = 9            # header total = line sum + 1.25 (blocked: more than 0.05)
UNKNOWN_ACCOUNT = 10    # a service line on GL account 4999 (not in the Xero chart)
SPECIAL = {ZERO_TOTAL: "zero total", CREDIT_MEMO: "credit memo", NO_GL_ENTRIES: "no GL entries",
           NO_BILLING_CONTACT: "no billing contact", LONG_ITEM_ID: "item identifier over 30 characters",
           ROUNDING: "header total 0.03 above its lines", MISMATCH: "header total 1.25 above its lines",
           UNKNOWN_ACCOUNT: "GL account 4999"}
NO_BILLING_CONTACT_COMPANY = cw_data.NO_BILLING_CONTACT_COMPANY
LONG_ITEM_IDENTIFIER = "MS365-BUSINESS-PREMIUM-ANNUAL-COMMIT-NZ"  # 39 characters
ROUNDING_DELTA, MISMATCH_DELTA = Decimal("0.03"), Decimal("1.25")

PROCUREMENT_BASE = 1_000_000_000
# Product lines use catalog items 1..40 whatever the catalog size, so totals never depend on
# --size catalog (REST and SOAP agree); a catalog smaller than 40 lacks some of them.
CATALOG_ITEMS_USED = 40
_CENT = Decimal("0.01")
_SERVICES = (("Onsite Labor Hour", Decimal("125.00")), ("Remote Support", Decimal("95.00")),
             ("Project Engineering", Decimal("165.00")))
# Line kinds per invoice type (4 revenue lines; the 4th is non-taxable; then the ST line).
_KINDS = {"Standard": ("service", "product", "product", "service"),
          "Agreement": ("agreement", "product", "service", "agreement"),
          "Miscellaneous": ("service", "product", "service", "product"),
          "CreditMemo": ("product", "service", "product", "agreement")}
_TYPES = ("Standard", "Agreement", "Standard", "Miscellaneous", "Agreement")


def money(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def num(value: Decimal) -> float:
    """A Decimal as the JSON number ConnectWise sends (2 or 4 places survive the round trip)."""
    return float(value)


# -- locations --------------------------------------------------------------------------------
def location_ref(location_id: int) -> dict:
    return {"id": location_id, "name": LOCATIONS[location_id],
            "_info": {"location_href": f"/system/locations/{location_id}"}}


def location(i: int) -> dict:
    city, country_code, country, country_id, zone = _LOCATION_PLACE[i]
    record = {
        "id": i, "ownerLevelId": 1, "structureLevel": {"id": 2, "name": "Location"},
        "name": LOCATIONS[i], "manager": {"id": 1, "identifier": "jsmith", "name": "John Smith"},
        "timeZoneSetup": {"id": country_id, "name": zone},
        "overrideAddressLine1": f"{10 * i} Queen Street", "overrideCity": city,
        "overrideCountry": {"id": country_id, "identifier": country_code, "name": country},
        "locationFlag": True, "clientFlag": False, "workRoleIds": [1, 2], "departmentIds": [1],
        "_info": {"lastUpdated": cw_data.stamp(cw_data.BASE_TIME), "updatedBy": "jsmith"},
    }
    if i != 3:
        record["reportsTo"] = {"id": 3, "name": LOCATIONS[3]}
    return record


def location_id(i: int) -> int:
    """Odd invoices (and procurement) in Auckland, even in Sydney, every 25th at Head Office."""
    return 3 if i % 25 == 0 else (1 if i % 2 else 2)


# -- invoices ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    k: int                 # 1-based line number; GL entry id = invoice*100 + k
    kind: str              # service | product | agreement
    account: str
    description: str
    quantity: Decimal
    price: Decimal
    cost: Decimal
    taxable: bool
    item: dict | None      # IvItemReference for product lines

    @property
    def total(self) -> Decimal:
        return money(self.quantity * self.price)


def invoice_type(i: int) -> str:
    if i == CREDIT_MEMO or (i > 10 and i % 9 == 4):
        return "CreditMemo"
    if i == ZERO_TOTAL:
        return "Miscellaneous"
    return _TYPES[i % 5]


def has_gl_entries(i: int) -> bool:
    return i != NO_GL_ENTRIES


def company_index(i: int, companies: int | None) -> int:
    return 1 + (i - 1) % (companies or i)


def has_billing_contact(company: int) -> bool:
    return company != NO_BILLING_CONTACT_COMPANY


def invoice_lines(i: int) -> list[Line]:
    kinds = _KINDS[invoice_type(i)]
    lines = []
    for k, kind in enumerate(kinds, start=1):
        taxable = k != len(kinds)
        item = None
        if kind == "service":
            description, price = cw_data.pick(_SERVICES, i + k)
            quantity, cost = Decimal(1 + (i + k) % 8) / 2, Decimal("55.00")
            account = UNKNOWN_ACCOUNT_NUMBER if i == UNKNOWN_ACCOUNT and k == kinds.index("service") + 1 \
                else SERVICES_ACCOUNT
        elif kind == "product":
            index = 1 + ((i - 1) * 4 + k - 1) % CATALOG_ITEMS_USED
            product = cw_data.catalog_item(index)
            description = product["description"]
            price, cost = Decimal(str(product["price"])), Decimal(str(product["cost"]))
            quantity, account = Decimal(1 + (i * k) % 5), PRODUCTS_ACCOUNT
            item = {"id": index, "identifier": product["identifier"], "serializedFlag": False}
            if i == LONG_ITEM_ID and k == kinds.index("product") + 1:
                item = {"id": 99_001, "identifier": LONG_ITEM_IDENTIFIER, "serializedFlag": False}
                description = "Microsoft 365 Business Premium (annual commitment)"
        else:
            _type_id, type_name = cw_data.pick(cw_data._AGREEMENT_TYPES, i + k, 6)
            description = f"{type_name} - monthly" if k == 1 else f"{type_name} - additional seats"
            price = Decimal(250 + (i * 37 + k * 11) % 1750)
            quantity, cost, account = Decimal(1), Decimal(0), AGREEMENT_ACCOUNT
        if i == ZERO_TOTAL:
            price = Decimal(0)
        lines.append(Line(k, kind, account, description, quantity, money(price), money(cost), taxable, item))
    return lines


@dataclass(frozen=True)
class Totals:
    lines: list[Line]
    rate: Decimal
    line_tax: Decimal      # the ST line: per-line tax, each rounded half-up to cents
    sub_total: Decimal     # header sub-total (positive magnitudes)
    tax: Decimal           # header sales tax
    total: Decimal         # header total

    @property
    def line_sum(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0)) + self.line_tax


def invoice_totals(i: int) -> Totals:
    lines = invoice_lines(i)
    rate = _TAX[location_id(i)][1]
    line_tax = sum((money(line.total * rate) for line in lines if line.taxable), Decimal(0))
    sub_total = sum((line.total for line in lines), Decimal(0))
    tax = line_tax + (ROUNDING_DELTA if i == ROUNDING else Decimal(0))
    if i == MISMATCH:
        sub_total += MISMATCH_DELTA
    return Totals(lines, rate, line_tax, sub_total, tax, sub_total + tax)


def invoice_date(i: int):
    return cw_data.BASE_TIME + timedelta(days=i % 700)


def unposted_invoice(i: int, companies: int | None = None) -> dict:
    comp = company_index(i, companies)
    loc = location_id(i)
    currency, _rate, tax_code, _xref, _agency = _TAX[loc]
    kind = invoice_type(i)
    totals = invoice_totals(i)
    sign = Decimal(-1) if kind == "CreditMemo" else Decimal(1)
    date = invoice_date(i)
    kinds = {line.kind for line in totals.lines}
    return {
        "id": i, "billingLogId": 5000 + i, "invoiceNumber": f"{i + 10000}", "invoiceType": kind,
        "invoiceDate": cw_data.stamp(date), "dueDate": cw_data.stamp(date + timedelta(days=30)),
        "dueDays": "30", "description": f"{kind} invoice for {cw_data.company_name(comp)}",
        "company": cw_data.company_ref(comp), "billToCompany": cw_data.company_ref(comp),
        "shipToCompany": cw_data.company_ref(comp),
        "billToSite": {"id": comp, "name": "Main"}, "shipToSite": {"id": comp, "name": "Main"},
        "accountNumber": f"C{comp:06d}", "billingTerms": {"id": 1, "name": "Net 30 days"},
        "currency": currency, "location": {"id": loc, "name": LOCATIONS[loc]}, "locationId": loc,
        "department": {"id": 1, "identifier": "MS", "name": "Managed Services"}, "departmentId": 1,
        "taxCode": tax_code, "invoiceTaxableFlag": True, "itemTaxableFlag": True,
        "stateTaxFlag": True, "stateTaxXref": "GST", "stateTaxAmount": num(sign * totals.tax),
        "salesTaxAmount": num(sign * totals.tax), "subTotal": num(sign * totals.sub_total),
        "total": num(sign * totals.total), "hasTime": "service" in kinds,
        "hasProducts": "product" in kinds, "hasExpenses": False, "createdBy": "jsmith",
        "dateClosed": cw_data.stamp(date),
        "_info": {"lastUpdated": cw_data.stamp(cw_data.last_updated(i)), "updatedBy": "jsmith",
                  "dateEntered": cw_data.stamp(date), "enteredBy": "jsmith"},
    }


def invoice_entry_ids(i: int) -> list[int]:
    """Every GL entry id invoice ``i`` owns (empty for the invoice without GL entries)."""
    if not has_gl_entries(i):
        return []
    kinds = _KINDS[invoice_type(i)]
    base = i * 100
    products = [base + 50 + k for k, kind in enumerate(kinds, start=1) if kind == "product"]
    return [base, *[base + k for k in range(1, len(kinds) + 2)], *products]


def header_entry_ids(i: int) -> list[int]:
    kinds = _KINDS[invoice_type(i)]
    return [i * 100, *[i * 100 + 50 + k for k, kind in enumerate(kinds, start=1) if kind == "product"]]


def invoice_transaction(i: int, companies: int | None = None) -> dict:
    """The ``GLExportTransaction`` (with ``detail[]``) for invoice ``i`` (legacy signs)."""
    inv = unposted_invoice(i, companies)
    loc = inv["locationId"]
    currency, rate, tax_code, xref, agency = _TAX[loc]
    totals = invoice_totals(i)
    credit = inv["invoiceType"] == "CreditMemo"
    header_sign = Decimal(-1) if credit else Decimal(1)
    line_sign = -header_sign
    date = inv["invoiceDate"]
    detail = []
    for line in totals.lines:
        row = {
            "id": i * 100 + line.k, "accountNumber": line.account, "glTypeId": _GL_TYPE[line.kind],
            "glClass": line.kind.capitalize(), "documentDate": date,
            "documentType": "CreditMemo" if credit else "Invoice", "description": line.description,
            "itemDescription": line.description, "salesDescription": line.description,
            "memo": inv["invoiceNumber"], "quantity": num(line_sign * line.quantity),
            "itemPrice": num(line.price), "total": num(line_sign * line.total),
            "taxableFlag": line.taxable, "itemTaxableFlag": line.taxable, "taxCode": tax_code,
            "taxCodeXref": xref if line.taxable else EXEMPT_XREF, "taxAgencyXref": agency,
            "taxRate": num(rate if line.taxable else Decimal(0)),
            "taxRatePercent": num((rate * 100 if line.taxable else Decimal(0)).normalize()),
            "taxLevels": [{"taxLevel": 1, "taxableFlag": line.taxable}],
            "unitOfMeasure": {"id": 1, "name": "Each" if line.kind == "product" else "Hour"},
            "currency": currency, "invoiceSummaryOption": "Default",
        }
        if line.kind == "product":
            row.update(item=line.item, product={"id": line.item["id"], "description": line.description},
                       productAccountNumber=line.account, costAccountNumber=COGS_ACCOUNT,
                       itemCost=num(line.cost), cost=num(money(line.cost * line.quantity)),
                       serializedFlag=False, dropShippedFlag=False)
        detail.append(row)
    detail.append({
        "id": i * 100 + len(totals.lines) + 1, "accountNumber": SALES_TAX_ACCOUNT, "glTypeId": "ST",
        "glClass": "SalesTax", "documentDate": date, "documentType": "CreditMemo" if credit else "Invoice",
        "description": f"Sales tax ({LOCATIONS[loc]})", "memo": inv["invoiceNumber"],
        "total": num(line_sign * totals.line_tax), "taxableFlag": False, "taxCode": tax_code,
        "taxCodeXref": xref, "taxAgencyXref": agency, "taxRate": num(rate), "currency": currency,
    })
    taxable_total = sum((line.total for line in totals.lines if line.taxable), Decimal(0))
    comp = inv["company"]["id"]
    return {
        "id": i, "documentNumber": inv["invoiceNumber"], "documentDate": date,
        "documentType": "CreditMemo" if credit else "Invoice", "billingType": inv["invoiceType"],
        "company": inv["company"], "companyAccountNumber": inv["accountNumber"],
        "companyType": {"id": 1, "name": "Client"}, "accountNumber": AR_ACCOUNT,
        "billingTerms": inv["billingTerms"], "billingTermsXref": "NET30", "dueDate": inv["dueDate"],
        "dueDays": 30, "currency": currency, "total": num(header_sign * totals.total),
        "salesTax": num(header_sign * totals.tax), "stateTax": num(header_sign * totals.tax),
        "taxable": True, "taxableTotal": num(header_sign * taxable_total),
        "taxableAmount1": num(header_sign * taxable_total), "taxCode": tax_code,
        "taxAgencyXref": agency, "stateTaxXref": xref, "taxAccountNumber": SALES_TAX_ACCOUNT,
        "taxGroupRate": num(rate), "taxLevels": [{"taxLevel": 1, "taxCodeXref": xref,
                                                  "taxableAmount": num(header_sign * taxable_total),
                                                  "taxAmount": num(header_sign * totals.tax)}],
        "glEntryIds": ",".join(str(e) for e in header_entry_ids(i)), "glTypeId": "AR",
        "glClass": "Invoice", "memo": inv["description"], "description": inv["description"],
        "site": inv["billToSite"], "shipToCompany": inv["shipToCompany"], "shipSite": inv["shipToSite"],
        "attention": customer_contact_name(comp) or "", "salesRepId": "jsmith", "salesRepName": "John Smith",
        "emailDeliveryFlag": True, "printDeliveryFlag": False, "piggyBackFlag": False,
        "agreementPrePaymentFlag": False, "taxDpAppliedFlag": False, "useAvalaraFlag": False,
        "sendAvalaraTaxFlag": False, "detail": detail,
    }


def customer_contact_name(company: int) -> str | None:
    if not has_billing_contact(company):
        return None
    first, last = cw_data.pick(cw_data._PEOPLE, company, 4)
    return f"{first} {last}"


def customer(company: int, location: int) -> dict:
    """``GLExportCustomer``: the billing contact and site are references (id + name) only; the
    contact's e-mail and the address live on ``/company/companies/{id}`` (``billingContact``,
    ``invoiceToEmailAddress``, ``addressLine1``...), which the spec's customer does not carry."""
    currency, rate, tax_code, xref, agency = _TAX[location]
    record = {
        "company": cw_data.company_ref(company), "accountNumber": f"C{company:06d}",
        "companyType": {"id": 1, "name": "Client"}, "site": {"id": company, "name": "Main"},
        "billingTerms": {"id": 1, "name": "Net 30 days"}, "billingTermsXref": "NET30",
        "currency": currency, "dueDays": 30, "taxable": True, "taxCode": tax_code,
        "taxAgencyXref": agency, "stateTaxXref": xref, "stateTaxRate": num(rate),
        "taxGroupRate": num(rate),
        "taxLevels": [{"taxLevel": 1, "taxCodeXref": xref, "agencyXref": agency, "taxRate": num(rate)}],
    }
    name = customer_contact_name(company)
    if name:
        record["contact"] = {"id": company, "name": name,
                             "_info": {"contact_href": f"/company/contacts/{company}"}}
    return record


# -- procurement --------------------------------------------------------------------------------
def unposted_product_id(j: int) -> str:
    """``unpostedProductId`` (a string; the export's ``includedProductIds`` take it). The
    format ``<purchase order id>-<record>`` is the simulator's own: UNVERIFIED."""
    return f"{2000 + j}-{j}"


def procurement_index(product_id: str) -> int | None:
    head, _, tail = str(product_id).partition("-")
    if not (head.isdigit() and tail.isdigit()) or int(head) != 2000 + int(tail):
        return None
    return int(tail)


def vendor_index(j: int, companies: int | None) -> int:
    return 1 + (j * 3) % min(companies or 5, 5)


def procurement_lines(j: int) -> list[Line]:
    lines = []
    count = 1 + j % 3
    for k in range(1, count + 1):
        index = 1 + (j * 3 + k) % CATALOG_ITEMS_USED
        product = cw_data.catalog_item(index)
        cost = money(Decimal(str(product["cost"])))
        lines.append(Line(k, "product", PURCHASES_ACCOUNT, product["description"],
                          Decimal(1 + (j + k) % 10), cost, cost, k != 3,
                          {"id": index, "identifier": product["identifier"], "serializedFlag": False}))
    return lines


def procurement_totals(j: int) -> tuple[list[Line], Decimal, Decimal, Decimal]:
    lines = procurement_lines(j)
    rate = _TAX[location_id(j)][1]
    tax = sum((money(line.total * rate) for line in lines if line.taxable), Decimal(0))
    sub_total = sum((line.total for line in lines), Decimal(0))
    return lines, rate, tax, sub_total + tax


def purchase_date(j: int):
    return cw_data.BASE_TIME + timedelta(days=j % 700, hours=9)


def unposted_procurement(j: int, companies: int | None = None) -> dict:
    vendor = vendor_index(j, companies)
    loc = location_id(j)
    currency, _rate, tax_code, _xref, _agency = _TAX[loc]
    _lines, _rate, tax, total = procurement_totals(j)
    date = cw_data.stamp(purchase_date(j))
    return {
        "id": j, "unpostedProductId": unposted_product_id(j), "procurementType": "Purchase",
        "purchaseOrder": {"id": 2000 + j, "name": f"PO{2000 + j}"},
        "vendor": cw_data.company_ref(vendor), "vendorAccountNumber": f"V{vendor:06d}",
        "vendorInvoiceNumber": f"VINV-{70000 + j}", "vendorInvoiceDate": date, "purchaseDate": date,
        "description": f"Stock purchase PO{2000 + j}", "total": num(total), "taxTotal": num(tax),
        "taxCode": tax_code, "freightCost": 0.0, "freightTaxTotal": 0.0, "taxFreightFlag": False,
        "purchaseOrderTaxableFlag": True, "itemTaxableFlag": True, "stateTaxFlag": True,
        "stateTaxAmount": num(tax), "locationId": loc, "departmentId": 1, "dateClosed": date,
        "currency": currency, "billingTerms": {"id": 1, "name": "Net 30 days"},
        "_info": {"lastUpdated": cw_data.stamp(cw_data.last_updated(j)), "updatedBy": "jsmith"},
    }


def procurement_entry_ids(j: int) -> list[int]:
    return [PROCUREMENT_BASE + j * 100 + k for k in range(1, 2 + j % 3)]


def purchase_transaction(j: int, companies: int | None = None) -> dict:
    """The ``GLExportPurchaseTransaction`` for procurement ``j`` (detail negative, legacy)."""
    rec = unposted_procurement(j, companies)
    currency, rate, tax_code, xref, agency = _TAX[rec["locationId"]]
    lines, rate, _tax, total = procurement_totals(j)
    vendor = rec["vendor"]
    detail = [{
        "id": PROCUREMENT_BASE + j * 100 + line.k, "lineNumber": line.k,
        "accountNumber": line.account, "glTypeId": "P", "documentDate": rec["purchaseDate"],
        "item": line.item, "itemDescription": line.description, "description": line.description,
        "quantity": num(-line.quantity), "cost": num(line.cost), "itemCost": num(line.cost),
        "total": num(-line.total), "taxable": line.taxable, "taxCode": tax_code,
        "taxCodeXref": xref if line.taxable else EXEMPT_XREF, "taxAgencyXref": agency,
        "taxRate": num(rate if line.taxable else Decimal(0)), "currency": currency,
        "vendorNumber": vendor["identifier"], "vendorAccountNumber": rec["vendorAccountNumber"],
        "unitOfMeasure": {"id": 1, "name": "Each"}, "serializedFlag": False, "dropShippedFlag": False,
    } for line in lines]
    return {
        "id": rec["unpostedProductId"], "documentNumber": rec["purchaseOrder"]["name"],
        "documentDate": rec["purchaseDate"], "purchaseDate": rec["purchaseDate"],
        "vendorNumber": vendor["identifier"], "vendorAccountNumber": rec["vendorAccountNumber"],
        "vendorInvoiceNumber": rec["vendorInvoiceNumber"], "vendorInvoiceDate": rec["vendorInvoiceDate"],
        "apAccountNumber": AP_ACCOUNT, "purchaseClass": "Purchase", "company": vendor,
        "companyType": {"id": 2, "name": "Vendor"}, "site": {"id": vendor["id"], "name": "Main"},
        "billingTerms": rec["billingTerms"], "billingTermsXref": "NET30", "dueDays": 30,
        "currency": currency, "total": num(total), "freightAmount": 0.0, "memo": rec["description"],
        "description": rec["description"], "dropshipFlag": False, "taxCode": tax_code,
        "taxAgencyXref": agency, "taxGroupRate": num(rate),
        "taxLevels": [{"taxLevel": 1, "taxCodeXref": xref}], "purchaseHeaderTaxableFlag": True,
        "purchaseHeaderFreightTaxableFlag": False, "useAvalaraTaxFlag": False,
        "purchaseDetail": detail, "purchaseDetailTax": [],
    }


def vendor(company: int, location: int) -> dict:
    _currency, _rate, tax_code, _xref, _agency = _TAX[location]
    ref = cw_data.company_ref(company)
    return {"vendorNumber": ref["identifier"], "accountNumber": f"V{company:06d}", "vendor": ref,
            "company": ref, "site": {"id": company, "name": "Main"},
            "billingTerms": {"id": 1, "name": "Net 30 days"}, "dueDays": 30, "taxCode": tax_code}


# -- GL entries (batch entries) ---------------------------------------------------------------
def entry_owner(entry_id: int) -> tuple[str, int] | None:
    """``("invoice", i)`` or ``("procurement", j)`` for a GL entry id of the seeded scheme."""
    if not isinstance(entry_id, int) or entry_id <= 0:
        return None
    if entry_id >= PROCUREMENT_BASE:
        j = (entry_id - PROCUREMENT_BASE) // 100
        return ("procurement", j) if j >= 1 and entry_id in procurement_entry_ids(j) else None
    i = entry_id // 100
    return ("invoice", i) if i >= 1 and entry_id in invoice_entry_ids(i) else None


def batch_entries(kind: str, index: int, entry_ids, companies=None) -> list[dict]:
    """``BatchEntry`` rows (debit/credit positive amounts) for the given entries of a record."""
    wanted = set(entry_ids)
    rows = []
    if kind == "invoice":
        tx = invoice_transaction(index, companies)
        ref = {"id": index, "identifier": tx["documentNumber"], "billingType": tx["billingType"]}
        credit_memo = tx["documentType"] == "CreditMemo"
        amounts = [(index * 100, AR_ACCOUNT, "AR", Decimal(str(tx["total"])), None, "Accounts receivable")]
        for d in tx["detail"]:
            amounts.append((d["id"], d["accountNumber"], d["glTypeId"], Decimal(str(d["total"])),
                            (d.get("item") or {}).get("identifier"), d["description"]))
            if d.get("costAccountNumber"):
                cost = Decimal(str(d["cost"]))
                amounts.append((index * 100 + 50 + d["id"] % 100, COGS_ACCOUNT, "CG",
                                cost if not credit_memo else -cost, d["item"]["identifier"], "Cost of goods"))
        for entry, account, account_type, amount, item, name in amounts:
            if entry in wanted:
                rows.append(_entry(entry, account, account_type, amount, item, name, invoice=ref))
    else:
        tx = purchase_transaction(index, companies)
        po = {"id": 2000 + index, "name": tx["documentNumber"]}
        for d in tx["purchaseDetail"]:
            if d["id"] in wanted:
                rows.append(_entry(d["id"], d["accountNumber"], "P", -Decimal(str(d["total"])),
                                   d["item"]["identifier"], d["description"], purchaseOrder=po,
                                   lineItem={"id": d["id"], "identifier": d["item"]["identifier"]}))
    return rows


def _entry(entry_id, account, account_type, amount: Decimal, item, name, **refs) -> dict:
    row = {"id": entry_id, "accountNumber": account, "accountType": account_type, "name": name,
           "debit": num(amount) if amount > 0 else 0.0, "credit": num(-amount) if amount < 0 else 0.0,
           "cost": 0.0, **refs}
    if item:
        row["item"] = item
    return row
