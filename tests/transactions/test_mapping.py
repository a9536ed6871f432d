"""Mapping exported ConnectWise records to Xero documents: tables of real-shaped examples
(field names from manage-openapi-subset.json's GLExport* schemas), then every invoice and
purchase the simulator exports. No Flask app, no database."""
from __future__ import annotations

import copy
import subprocess
import sys
from decimal import Decimal as D

import pytest

from wisesync.transactions.mapping import (Blocked, CompanySettings, Mapped, XeroCatalog, billing_from_company,
                                           customer_contact, gl_entry_ids, map_export, map_invoice, map_purchase,
                                           psa_date, record_kind, vendor_contact)

NZ = CompanySettings(sales_tax_code="OUTPUT2", sales_exempt_tax_code="EXEMPTOUTPUT", purchase_tax_code="INPUT2",
                     purchase_exempt_tax_code="EXEMPTINPUT", document_status="AUTHORISED", rounding_account="860",
                     time_zone="Pacific/Auckland")


def rate(tax_type, percent, side):
    revenue, expenses = side in ("revenue", "both"), side in ("expenses", "both")
    return {"TaxType": tax_type, "Status": "ACTIVE", "EffectiveRate": D(percent), "CanApplyToRevenue": revenue,
            "CanApplyToExpenses": expenses, "CanApplyToAssets": expenses, "CanApplyToLiabilities": expenses,
            "CanApplyToEquity": expenses}


ACCOUNTS = [
    {"Code": "4000", "Type": "REVENUE", "Class": "REVENUE", "Status": "ACTIVE", "TaxType": "OUTPUT2"},
    {"Code": "4100", "Type": "REVENUE", "Class": "REVENUE", "Status": "ACTIVE", "TaxType": "OUTPUT2"},
    {"Code": "4200", "Type": "REVENUE", "Class": "REVENUE", "Status": "ACTIVE", "TaxType": "OUTPUT2"},
    {"Code": "5000", "Type": "DIRECTCOSTS", "Class": "EXPENSE", "Status": "ACTIVE", "TaxType": "INPUT2"},
    {"Code": "860", "Type": "EXPENSE", "Class": "EXPENSE", "Status": "ACTIVE", "TaxType": "NONE"},
    {"Code": "090", "Type": "BANK", "Class": "ASSET", "Status": "ACTIVE", "TaxType": "NONE"},
    {"Code": "610", "Type": "CURRENT", "Class": "ASSET", "Status": "ACTIVE", "TaxType": "NONE",
     "SystemAccount": "DEBTORS"},
]
RATES = [rate("OUTPUT2", "15", "revenue"), rate("INPUT2", "15", "expenses"), rate("EXEMPTOUTPUT", "0", "revenue"),
         rate("EXEMPTINPUT", "0", "expenses"), rate("NONE", "0", "both"),
         {**rate("TAX001", "12.5", "revenue"), "Status": "ARCHIVED"}]
CATALOG = XeroCatalog.from_xero(ACCOUNTS, RATES, [{"Code": "fw-100"}])
NZD = {"id": 11, "currencyCode": "NZD", "currencyIdentifier": "NZD", "name": "New Zealand Dollars"}


def detail(id_, account, total, *, quantity=None, price=None, taxable=True, item=None, gl_type="R",
           description="Onsite Labor Hour"):
    line = {"id": id_, "accountNumber": account, "glTypeId": gl_type, "description": description,
            "itemDescription": description, "total": D(total), "taxableFlag": taxable,
            "taxCode": {"id": 1, "name": "GST NZ"}}
    if quantity is not None:
        line["quantity"] = D(quantity)
    if price is not None:
        line["itemPrice"] = D(price)
    if item:
        line["item"] = {"id": 7, "identifier": item, "serializedFlag": False}
    return line


def invoice(**changes) -> dict:
    """A legacy-signed GLExportTransaction: revenue and ST lines negative, header positive."""
    tx = {
        "id": 1001, "documentNumber": "10001", "documentDate": "2026-11-30T00:00:00Z", "documentType": "Invoice",
        "billingType": "Standard", "company": {"id": 19, "identifier": "AcmeLtd19", "name": "Acme Ltd"},
        "companyAccountNumber": "C000019", "accountNumber": "1100", "dueDate": "2026-12-30T00:00:00Z",
        "dueDays": 30, "currency": NZD, "total": D("332.35"), "salesTax": D("28.35"),
        "purchaseOrder": {"id": 5, "name": "PO-ACME-77"}, "glEntryIds": "100100,100152",
        "detail": [
            detail(100101, "4000", "-125.00", quantity="-1.00", price="125.00"),
            detail(100102, "4100", "-64.00", quantity="-2.00", price="32.00", item="FW-100",
                   description="Firewall appliance"),
            detail(100103, "4200", "-115.00", quantity="-1.00", price="115.00", taxable=False,
                   description="Backup - monthly"),
            detail(100104, "2200", "-28.35", gl_type="ST", taxable=False, description="Sales tax"),
        ],
    }
    tx.update(changes)
    return tx


CUSTOMER = {"company": {"id": 19, "identifier": "AcmeLtd19", "name": "Acme Ltd"}, "accountNumber": "C000019",
            "contact": {"id": 19, "name": "Mary Jones"}, "currency": NZD, "taxable": True}


def lines(result: Mapped) -> list[tuple]:
    return [(li["AccountCode"], li["Quantity"], li["UnitAmount"], li["LineAmount"], li["TaxType"], li.get("ItemCode"))
            for li in result.document["LineItems"]]


EXPECTED_LINES = [("4000", D("1.0000"), D("125.0000"), D("125.00"), "OUTPUT2", None),
                  ("4100", D("2.0000"), D("32.0000"), D("64.00"), "OUTPUT2", "FW-100"),
                  ("4200", D("1.0000"), D("115.0000"), D("115.00"), "EXEMPTOUTPUT", None)]


# --- the shape of one invoice ----------------------------------------------------------------

def test_a_legacy_invoice_becomes_a_positive_exclusive_accrec_invoice():
    result = map_invoice(invoice(), CUSTOMER, NZ, CATALOG)
    assert isinstance(result, Mapped) and result.kind == "invoice" and result.xero_type == "ACCREC"
    doc = result.document
    assert doc == {
        "Type": "ACCREC", "Contact": {"ContactNumber": "AcmeLtd19", "Name": "Acme Ltd"},
        "LineAmountTypes": "Exclusive", "Status": "AUTHORISED", "InvoiceNumber": "10001",
        "Reference": "PO-ACME-77", "Date": "2026-11-30", "DueDate": "2026-12-30", "CurrencyCode": "NZD",
        "LineItems": doc["LineItems"]}
    assert lines(result) == EXPECTED_LINES  # the ST line is gone: Xero computes tax
    assert doc["LineItems"][1]["Description"] == "Firewall appliance"
    assert result.total == D("332.35") and result.tax == D("28.35") and result.endpoint == "Invoices"
    assert result.gl_entry_ids == (100100, 100101, 100102, 100103, 100104, 100152)
    assert result.items == () and result.counterparty_id == "19" and result.number_key == "InvoiceNumber"


def test_an_export_with_positive_lines_maps_to_the_same_document():
    positive = invoice()
    for line in positive["detail"]:
        line["total"] = -line["total"]
        if "quantity" in line:
            line["quantity"] = -line["quantity"]
    assert map_invoice(positive, CUSTOMER, NZ, CATALOG).document == map_invoice(invoice(), CUSTOMER, NZ,
                                                                               CATALOG).document


def test_a_linked_customer_is_referenced_by_contact_id_only():
    result = map_invoice(invoice(), CUSTOMER, NZ, CATALOG, contact_id="5b3c-contact")
    assert result.document["Contact"] == {"ContactID": "5b3c-contact"}
    unlinked = map_invoice(invoice(), CUSTOMER, NZ, CATALOG)
    assert result.fingerprint == unlinked.fingerprint  # linking the contact is not a new payload


def test_a_line_against_the_others_keeps_its_sign():
    tx = invoice(total=D("320.85"))
    tx["detail"].insert(3, detail(100105, "4000", "10.00", quantity="1.00", price="10.00",
                                  description="Loyalty discount"))
    tx["detail"][-1]["total"] = D("-26.85")
    result = map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert lines(result)[3] == ("4000", D("-1.0000"), D("10.0000"), D("-10.00"), "OUTPUT2", None)
    assert result.total == D("320.85")


@pytest.mark.parametrize("changes, kind, xero_type", [
    ({"documentType": "CreditMemo", "billingType": "CreditMemo"}, "credit", "ACCRECCREDIT"),
    ({"billingType": "Standard"}, "invoice", "ACCREC"),
])
def test_credit_memos_become_positive_credit_notes(changes, kind, xero_type):
    tx = invoice(**changes)
    if kind == "credit":  # a credit memo's legacy signs: lines positive, header negative
        tx["total"] = -tx["total"]
        for line in tx["detail"]:
            line["total"] = -line["total"]
            line["quantity"] = -line.get("quantity", D(0))
    result = map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert (result.kind, result.xero_type) == (kind, xero_type)
    assert lines(result) == EXPECTED_LINES and result.total == D("332.35")
    if kind == "credit":
        assert result.endpoint == "CreditNotes" and result.document["CreditNoteNumber"] == "10001"
        assert "InvoiceNumber" not in result.document and "DueDate" not in result.document


@pytest.mark.parametrize("record, kind", [
    ({"invoiceType": "CreditMemo", "total": D("-10")}, "credit"),
    ({"invoiceType": "Standard", "total": D("-10")}, "credit"),  # a negative total is a credit too
    ({"invoiceType": "Agreement", "total": D("10")}, "invoice"),
    ({"billingType": "Standard", "documentType": "Invoice", "total": D("0")}, "invoice"),
    ({"documentType": "CreditMemo", "total": D("-5")}, "credit"),
])
def test_record_kind(record, kind):
    assert record_kind(record) == kind


def test_a_negative_standard_invoice_is_sent_as_a_credit_note():
    tx = invoice(total=-invoice()["total"])
    for line in tx["detail"]:
        line["total"] = -line["total"]
        line["quantity"] = -line.get("quantity", D(0))
    result = map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert result.xero_type == "ACCRECCREDIT" and lines(result) == EXPECTED_LINES


# --- amounts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("quantity, price, total, expected", [
    ("-1.5", "95.00", "-142.50", (D("1.5000"), D("95.0000"), D("142.50"))),
    ("-3", "1.23455", "-3.70", (D("3.0000"), D("1.2346"), D("3.70"))),  # 4 dp half up; 3 × 1.2346 = 3.70
    ("-0.33335", "30", "-10.00", (D("0.3334"), D("30.0000"), D("10.00"))),
    ("-3", "10.00", "-27.00", (D("3.0000"), D("9.0000"), D("27.00"))),  # a discounted line: price from total
    ("-7", "1.00", "-10.00", (D("7.0000"), D("1.4286"), D("10.00"))),  # 7 × 1.4286 = 10.0002 → 10.00
    ("-10000", "0.00", "-0.50", (D("1.0000"), D("0.5000"), D("0.50"))),  # no 4-dp price gives it: quantity 1
    (None, None, "-250.00", (D("1.0000"), D("250.0000"), D("250.00"))),  # agreement line without quantity
])
def test_quantities_and_prices_go_to_four_places_and_always_give_the_psa_line_total(quantity, price, total,
                                                                                  expected):
    tx = invoice()
    tx["detail"] = [detail(1, "4000", total, quantity=quantity, price=price, taxable=False)]
    tx["total"] = -D(total)
    result = map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert isinstance(result, Mapped), result
    line = result.document["LineItems"][0]
    assert (line["Quantity"], line["UnitAmount"], line["LineAmount"]) == expected
    assert (line["Quantity"] * line["UnitAmount"]).quantize(D("0.01")) == line["LineAmount"]


@pytest.mark.parametrize("header, outcome", [
    ("332.35", "exact"),
    ("332.38", D("0.03")),
    ("332.30", D("-0.05")),
    ("332.40", D("0.05")),
    ("332.41", "blocked"),
    ("331.10", "blocked"),
])
def test_a_total_off_by_up_to_five_cents_gets_a_rounding_line_and_more_blocks(header, outcome):
    result = map_invoice(invoice(total=D(header)), CUSTOMER, NZ, CATALOG)
    if outcome == "blocked":
        assert isinstance(result, Blocked)
        assert f"ConnectWise's total is {header}" in result.reason and "332.35" in result.reason
        assert result.reason.startswith("Invoice 10001") and "ConnectWise" in result.fix
        return
    assert result.total == D(header)
    if outcome == "exact":
        assert len(result.document["LineItems"]) == 3
    else:
        rounding = result.document["LineItems"][-1]
        assert rounding == {"Description": "Rounding (to match the ConnectWise total)", "Quantity": D("1.0000"),
                            "UnitAmount": outcome.quantize(D("0.0001")), "AccountCode": "860",
                            "TaxType": "NONE", "LineAmount": outcome}


def test_the_rounding_line_uses_the_exempt_code_when_the_account_has_a_taxed_default():
    catalog = XeroCatalog.from_xero([*ACCOUNTS[:4], {"Code": "4900", "Type": "REVENUE", "Class": "REVENUE",
                                                     "Status": "ACTIVE", "TaxType": "OUTPUT2"}], RATES)
    settings = CompanySettings(**{**NZ.__dict__, "rounding_account": "4900"})
    result = map_invoice(invoice(total=D("332.37")), CUSTOMER, settings, catalog)
    assert result.document["LineItems"][-1]["TaxType"] == "EXEMPTOUTPUT"


def test_a_rounding_account_missing_from_xero_blocks_with_the_fix():
    settings = CompanySettings(**{**NZ.__dict__, "rounding_account": "869"})
    result = map_invoice(invoice(total=D("332.37")), CUSTOMER, settings, CATALOG)
    assert isinstance(result, Blocked) and "rounding account 869" in result.reason
    assert "company's page" in result.fix


def test_a_zero_total_invoice_is_pushed_with_zero_lines():
    tx = invoice(total=D("0.00"), salesTax=D("0.00"))
    tx["detail"] = [detail(1, "4000", "-0.00", quantity="-2", price="0.00"),
                    detail(2, "2200", "0.00", gl_type="ST")]
    result = map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert result.total == D("0.00")
    assert lines(result) == [("4000", D("2.0000"), D("0.0000"), D("0.00"), "OUTPUT2", None)]


# --- what blocks -----------------------------------------------------------------------------

def test_an_unknown_account_code_blocks_naming_the_code_and_both_fixes():
    tx = invoice()
    tx["detail"][0]["accountNumber"] = "4999"
    result = map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert isinstance(result, Blocked) and not result
    assert result.reason == ("Invoice 10001: line 1 (Onsite Labor Hour) uses GL account 4999, which the Xero "
                             "organisation has no account for.")
    assert "Add account 4999" in result.fix and "GL account mapping in ConnectWise" in result.fix


@pytest.mark.parametrize("code, words", [("090", "bank, system or archived"), ("610", "bank, system or archived")])
def test_a_bank_or_system_account_cannot_take_lines(code, words):
    tx = invoice()
    tx["detail"][0]["accountNumber"] = code
    result = map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert isinstance(result, Blocked) and words in result.reason and code in result.reason


def test_an_item_code_over_thirty_characters_blocks():
    tx = invoice()
    tx["detail"][1]["item"]["identifier"] = "MS365-BUSINESS-PREMIUM-ANNUAL-COMMIT-NZ"
    result = map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert isinstance(result, Blocked)
    assert "MS365-BUSINESS-PREMIUM-ANNUAL-COMMIT-NZ is 39 characters" in result.reason
    assert "longer than Xero's 30 characters" in result.reason and "fallback item" in result.fix


def test_a_long_item_code_uses_the_companys_fallback_item_when_set():
    tx = invoice()
    tx["detail"][1]["item"]["identifier"] = "MS365-BUSINESS-PREMIUM-ANNUAL-COMMIT-NZ"
    settings = CompanySettings(**{**NZ.__dict__, "fallback_item_code": "PSA-ITEM"})
    result = map_invoice(tx, CUSTOMER, settings, CATALOG)
    line = result.document["LineItems"][1]
    assert line["ItemCode"] == "PSA-ITEM"
    assert line["Description"] == "MS365-BUSINESS-PREMIUM-ANNUAL-COMMIT-NZ: Firewall appliance"
    assert result.items == ({"Code": "PSA-ITEM", "Name": "PSA-ITEM", "Description": "PSA-ITEM"},)
    assert "fallback item PSA-ITEM" in result.warnings[0]


def test_items_missing_from_xero_are_listed_to_create_once():
    tx = invoice()
    tx["detail"][1]["item"]["identifier"] = "NEW-SWITCH"
    tx["detail"][0]["item"] = {"id": 8, "identifier": "new-switch"}
    result = map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert result.items == ({"Code": "new-switch", "Name": "Onsite Labor Hour", "Description": "Onsite Labor Hour"},)
    assert map_invoice(invoice(), CUSTOMER, NZ, CATALOG).items == ()  # FW-100 exists (codes match any case)


@pytest.mark.parametrize("settings_change, words", [
    ({"sales_tax_code": "OUTPUT"}, "sales tax code OUTPUT is not an active tax rate"),
    ({"sales_tax_code": "TAX001"}, "sales tax code TAX001 is not an active tax rate"),  # archived
    ({"sales_exempt_tax_code": "INPUT2"}, "does not allow tax code INPUT2 on account 4200"),
])
def test_a_tax_code_xero_lacks_or_refuses_blocks(settings_change, words):
    result = map_invoice(invoice(), CUSTOMER, CompanySettings(**{**NZ.__dict__, **settings_change}), CATALOG)
    assert isinstance(result, Blocked) and words in result.reason and result.fix


def test_an_invoice_with_no_gl_entries_blocks_with_gl_reload():
    result = map_invoice(invoice(detail=[]), CUSTOMER, NZ, CATALOG)
    assert isinstance(result, Blocked)
    assert result.reason.startswith("Invoice 10001 has no GL entries")
    assert result.fix.startswith("Close it with GL Reload in ConnectWise")


def test_a_customer_without_billing_contact_blocks():
    customer = {k: v for k, v in CUSTOMER.items() if k != "contact"}
    result = map_invoice(invoice(), customer, NZ, CATALOG)
    assert isinstance(result, Blocked) and "Acme Ltd has no billing contact" in result.reason
    assert "billing contact on the company in ConnectWise" in result.fix
    billing = {"name": "Mary Jones", "email": "ap@acme.example", "address": {}}
    assert isinstance(map_invoice(invoice(), customer, NZ, CATALOG, billing=billing), Mapped)


def test_several_problems_are_all_named():
    tx = invoice()
    tx["detail"][0]["accountNumber"] = "4999"
    tx["detail"][1]["item"]["identifier"] = "X" * 31
    result = map_invoice(tx, {"company": CUSTOMER["company"]}, NZ, CATALOG)
    assert len(result.problems) == 3
    assert "4999" in result.reason and "31 characters" in result.reason and "billing contact" in result.reason


# --- dates -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, zone, expected", [
    ("2026-11-30T00:00:00Z", "Pacific/Auckland", "2026-11-30"),  # a date-only value stays that date
    ("2026-11-30T00:00:00Z", "America/New_York", "2026-11-30"),
    ("2026-11-30T22:30:00Z", "Pacific/Auckland", "2026-12-01"),
    ("2026-12-01T03:00:00Z", "America/New_York", "2026-11-30"),
    ("2026-12-01T03:00:00Z", "", "2026-12-01"),
    ("2026-11-30", "Pacific/Auckland", "2026-11-30"),
    ("2026-11-30T10:00:00+13:00", "Pacific/Auckland", "2026-11-30"),
    ("", "Pacific/Auckland", None),
    ("not a date", "", None),
])
def test_dates_in_the_companys_time_zone(value, zone, expected):
    found = psa_date(value, zone)
    assert (found.isoformat() if found else None) == expected


def test_a_missing_due_date_comes_from_due_days():
    result = map_invoice(invoice(dueDate=None, dueDays=20), CUSTOMER, NZ, CATALOG)
    assert result.document["DueDate"] == "2026-12-20"


# --- contacts --------------------------------------------------------------------------------

def test_customer_contact_carries_number_account_email_address_and_person():
    company = {"id": 19, "identifier": "AcmeLtd19", "name": "Acme Ltd", "addressLine1": "12 Queen Street",
               "city": "Auckland", "state": "AKL", "zip": "1010", "country": {"id": 1, "name": "New Zealand"},
               "phoneNumber": "095551234", "billingContact": {"id": 3, "name": "Mary Jones"},
               "invoiceToEmailAddress": "ap@acme.example"}
    contact = customer_contact(CUSTOMER, billing_from_company(company))
    assert contact == {
        "Name": "Acme Ltd", "ContactNumber": "AcmeLtd19", "IsCustomer": True, "AccountNumber": "C000019",
        "DefaultCurrency": "NZD", "FirstName": "Mary", "LastName": "Jones", "EmailAddress": "ap@acme.example",
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "095551234"}],
        "Addresses": [{"AddressType": "POBOX", "AddressLine1": "12 Queen Street", "City": "Auckland",
                       "Region": "AKL", "PostalCode": "1010", "Country": "New Zealand"}]}
    assert billing_from_company({**company, "billingContact": None}) is None


def test_vendor_contact_is_a_supplier_numbered_by_the_vendor_identifier():
    vendor = {"vendorNumber": "TechData1", "accountNumber": "V000001",
              "vendor": {"id": 1, "identifier": "TechData1", "name": "Tech Data"}}
    assert vendor_contact(vendor) == {"Name": "Tech Data", "ContactNumber": "TechData1", "IsSupplier": True,
                                      "AccountNumber": "V000001"}


def test_long_contact_fields_are_cut_to_xeros_limits():
    customer = {"company": {"id": 1, "identifier": "N" * 80, "name": "A" * 300}, "accountNumber": "9" * 60,
                "contact": {"name": "X"}}
    contact = customer_contact(customer)
    assert len(contact["Name"]) == 255 and len(contact["ContactNumber"]) == 50 and len(contact["AccountNumber"]) == 50


# --- bills -----------------------------------------------------------------------------------

def purchase(**changes) -> dict:
    po = {
        "id": "2004-4", "documentNumber": "PO2004", "documentDate": "2026-11-02T09:00:00Z",
        "purchaseDate": "2026-11-02T09:00:00Z", "vendorNumber": "TechData1", "vendorAccountNumber": "V000001",
        "vendorInvoiceNumber": "VINV-70004", "vendorInvoiceDate": "2026-11-03T00:00:00Z", "apAccountNumber": "2000",
        "company": {"id": 1, "identifier": "TechData1", "name": "Tech Data"}, "dueDays": 30, "currency": NZD,
        "total": D("239.00"), "freightAmount": D("20.00"), "purchaseHeaderFreightTaxableFlag": True,
        "purchaseDetail": [
            {"id": 1000000401, "lineNumber": 1, "accountNumber": "5000", "item": {"id": 3, "identifier": "FW-100"},
             "itemDescription": "Firewall appliance", "quantity": D("-4"), "cost": D("40.00"), "total": D("-160.00"),
             "taxable": True},
            {"id": 1000000402, "lineNumber": 2, "accountNumber": "5000", "item": {"id": 4, "identifier": "CAB-1"},
             "itemDescription": "Patch cable", "quantity": D("-10"), "cost": D("3.20"), "total": D("-32.00"),
             "taxable": False},
        ],
    }
    po.update(changes)
    return po


VENDOR = {"vendorNumber": "TechData1", "accountNumber": "V000001",
          "vendor": {"id": 1, "identifier": "TechData1", "name": "Tech Data"}}


def test_a_purchase_order_becomes_an_accpay_bill_with_a_freight_line():
    result = map_purchase(purchase(), VENDOR, NZ, CATALOG)
    assert isinstance(result, Mapped), result
    doc = result.document
    assert (doc["Type"], doc["InvoiceNumber"], doc["Reference"]) == ("ACCPAY", "VINV-70004", "PO2004")
    assert (doc["Date"], doc["DueDate"], doc["Contact"]) == ("2026-11-03", "2026-12-03",
                                                            {"ContactNumber": "TechData1", "Name": "Tech Data"})
    assert lines(result) == [("5000", D("4.0000"), D("40.0000"), D("160.00"), "INPUT2", "FW-100"),
                             ("5000", D("10.0000"), D("3.2000"), D("32.00"), "EXEMPTINPUT", "CAB-1"),
                             ("5000", D("1.0000"), D("20.0000"), D("20.00"), "INPUT2", None)]
    assert result.total == D("239.00") and result.gl_entry_ids == (1000000401, 1000000402)
    assert result.items == ({"Code": "CAB-1", "Name": "Patch cable", "PurchaseDescription": "Patch cable"},)
    assert result.psa_id == "2004-4" and result.kind == "procurement" and result.counterparty_id == "1"


def test_a_bill_without_a_vendor_invoice_number_uses_the_po_number():
    result = map_purchase(purchase(vendorInvoiceNumber=None, vendorInvoiceDate=None), VENDOR, NZ, CATALOG)
    assert result.document["InvoiceNumber"] == "PO2004" and result.document["Date"] == "2026-11-02"


def test_a_bill_that_does_not_add_up_names_the_purchase_order():
    result = map_purchase(purchase(total=D("250.00")), VENDOR, NZ, CATALOG)
    assert isinstance(result, Blocked)
    assert result.reason.startswith("Purchase order PO2004 (vendor invoice VINV-70004): ConnectWise's total is 250.00")


def test_a_purchase_with_no_detail_has_no_gl_entries():
    result = map_purchase(purchase(purchaseDetail=[]), VENDOR, NZ, CATALOG)
    assert isinstance(result, Blocked) and result.reason.startswith("Purchase order PO2004 has no GL entries")


# --- a whole export --------------------------------------------------------------------------

def test_map_export_maps_every_record_and_blocks_the_ones_not_exported():
    export = {"transactions": [invoice(), invoice(id=1002, documentNumber="10002", total=D("-332.35"),
                                                  documentType="CreditMemo", billingType="CreditMemo")],
              "customers": [CUSTOMER], "purchaseTransactions": [purchase()], "vendors": [VENDOR]}
    for line in export["transactions"][1]["detail"]:
        line["total"] = -line["total"]
    out = map_export(export, NZ, CATALOG, contact_ids={19: "c-19"},
                     expected=[("invoice", 1001), ("credit", 1002), ("invoice", 1005, "10005"),
                               ("procurement", "2004-4"), ("procurement", "2009-9")])
    assert set(out) == {("invoice", "1001"), ("credit", "1002"), ("invoice", "1005"), ("procurement", "2004-4"),
                        ("procurement", "2009-9")}
    assert out[("invoice", "1001")].document["Contact"] == {"ContactID": "c-19"}
    assert out[("credit", "1002")].xero_type == "ACCRECCREDIT"
    assert out[("invoice", "1005")].reason.startswith("Invoice 10005 has no GL entries")
    assert out[("procurement", "2009-9")].reason.startswith("Purchase order 2009-9 has no GL entries")


def test_gl_entry_ids_are_the_header_list_and_every_detail_id():
    assert gl_entry_ids({"glEntryIds": "5, 3,x", "detail": [{"id": 9}, {"id": 3}, {"id": True}]}) == (3, 5, 9)
    assert gl_entry_ids({"purchaseDetail": [{"id": 2}, {"id": 1}]}) == (1, 2)


def test_mapping_never_changes_its_input():
    tx = invoice()
    before = copy.deepcopy(tx)
    map_invoice(tx, CUSTOMER, NZ, CATALOG)
    assert tx == before


def test_mapping_imports_no_flask_and_no_database():
    code = ("import sys, wisesync.transactions.mapping;"
            "print([m for m in ('flask', 'sqlalchemy', 'flask_sqlalchemy', 'requests') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_documents_use_only_fields_xeros_spec_knows():
    spec = pytest.importorskip("tests.xero_spec")
    if not spec.specs_available():
        pytest.skip("Xero OpenAPI fixtures are not available")
    schemas = spec.accounting_raw()["components"]["schemas"]
    result = map_invoice(invoice(total=D("332.37")), CUSTOMER, NZ, CATALOG)
    assert set(result.document) <= set(schemas["Invoice"]["properties"])
    for line in result.document["LineItems"]:
        assert set(line) <= set(schemas["LineItem"]["properties"])
    assert set(result.contact) <= set(schemas["Contact"]["properties"])
    credit = map_invoice(invoice(total=D("-332.35"), documentType="CreditMemo"), CUSTOMER, NZ, CATALOG)
    assert set(credit.document) <= set(schemas["CreditNote"]["properties"])
    for item in map_purchase(purchase(), VENDOR, NZ, CATALOG).items:
        assert set(item) <= set(schemas["Item"]["properties"])


# --- every record the simulator exports ------------------------------------------------------

@pytest.fixture
def cw_accounting(psa_sim):
    from wisesync.psa.connectwise_accounting import ConnectWiseAccounting
    from wisesync.psa.connectwise_rest import ConnectWiseRestClient
    from wisesync.psa.http import OutboundPolicy
    from wisesync.simulator import demo

    psa_sim.state.cw_books.reset()
    rest = ConnectWiseRestClient(psa_sim.url, demo.CW_COMPANY_ID, demo.CW_PUBLIC_KEY, demo.CW_PRIVATE_KEY,
                                 "wisesync-tests", policy=OutboundPolicy(allow_local=True, sleep=lambda s: None))
    return ConnectWiseAccounting(rest)


def simulator_org(location_id: int) -> tuple[CompanySettings, XeroCatalog]:
    from wisesync.simulator import xero_data

    tenant = xero_data.AU_TENANT_ID if location_id == 2 else xero_data.NZ_TENANT_ID
    seed = xero_data.ORGS[tenant]
    catalog = XeroCatalog.from_xero(xero_data.accounts(seed), xero_data.tax_rates(seed), [])
    if tenant == xero_data.AU_TENANT_ID:
        return CompanySettings("OUTPUT", "EXEMPTOUTPUT", "INPUT", "EXEMPTEXPENSES"), catalog
    return CompanySettings("OUTPUT2", "EXEMPTOUTPUT", "INPUT2", "EXEMPTINPUT"), catalog


def test_every_simulator_invoice_and_purchase_maps_or_blocks_for_its_own_reason(cw_accounting):
    from wisesync.simulator import cw_ledger_data as cw

    expected_blocks = {cw.NO_GL_ENTRIES: "has no GL entries", cw.LONG_ITEM_ID: "longer than Xero's 30 characters",
                       cw.MISMATCH: "a difference of 1.25", cw.UNKNOWN_ACCOUNT: "uses GL account 4999"}
    mapped = blocked = 0
    for location_id in (1, 2, 3):
        settings, catalog = simulator_org(location_id)
        invoices = cw_accounting.unposted_invoices({location_id})
        procurement = cw_accounting.unposted_procurement({location_id})
        export = cw_accounting.export_invoices([i["id"] for i in invoices])
        export["purchaseTransactions"] = cw_accounting.export_procurement(
            [p["unpostedProductId"] for p in procurement])["purchaseTransactions"]
        export["vendors"] = cw_accounting.export_procurement([p["unpostedProductId"] for p in procurement])["vendors"]
        expected = [(record_kind(i), i["id"], i["invoiceNumber"]) for i in invoices]
        expected += [("procurement", p["unpostedProductId"]) for p in procurement]
        results = map_export(export, settings, catalog, expected=expected)
        assert len(results) == len(invoices) + len(procurement)
        for i in invoices:
            result = results[(record_kind(i), str(i["id"]))]
            index = i["id"]
            if index in expected_blocks or cw.company_index(index, 200) == cw.NO_BILLING_CONTACT_COMPANY:
                words = expected_blocks.get(index, "has no billing contact")
                assert isinstance(result, Blocked) and words in result.reason, (index, result)
                assert result.reason.startswith(("Invoice", "Credit memo")) and i["invoiceNumber"] in result.reason
                blocked += 1
                continue
            assert isinstance(result, Mapped), (index, result)
            assert result.total == abs(i["total"]), index
            assert result.kind == ("credit" if i["invoiceType"] == "CreditMemo" else "invoice")
            if index == cw.ROUNDING:
                assert result.document["LineItems"][-1]["LineAmount"] == D("0.03")
            if index == cw.ZERO_TOTAL:
                assert result.total == 0
            mapped += 1
        for p in procurement:
            result = results[("procurement", p["unpostedProductId"])]
            assert isinstance(result, Mapped) and result.total == p["total"], result
            assert result.document["InvoiceNumber"] == p["vendorInvoiceNumber"]
            mapped += 1
    assert mapped > 200 and blocked >= 5
