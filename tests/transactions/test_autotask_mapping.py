"""Mapping Autotask invoices and billing items to Xero documents: tables of real-shaped examples
(field names from rest-openapi-subset.json's InvoiceModel / BillingItemModel / CompanyModel /
BillingCodeModel, with Autotask's 7-decimal quantities and rates), then every live invoice the
simulator holds. No Flask app, no database."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.transactions.test_mapping import CATALOG, NZ
from wisesync.transactions.autotask_mapping import customer_contact, invoice_kind, map_invoice
from wisesync.transactions.mapping import Blocked, Mapped

CODES = {29682800: {"id": 29682800, "name": "Remote Support", "externalNumber": "4000"},
         29682802: {"id": 29682802, "name": "Managed Services", "externalNumber": "4200"},
         29682806: {"id": 29682806, "name": "Legacy Hosting", "externalNumber": None}}
CUSTOMER = {"id": 29680005, "companyName": "Litware Veterinary Ltd", "companyNumber": "C000006",
            "phone": "(555) 205-0005", "address1": "105 Market St", "address2": None, "city": "Auckland",
            "state": None, "postalCode": "1010", "billingAddress1": None}


def item(id_, quantity, rate, extended, tax, *, code=29682802, description="Managed Workstation (3 units)"):
    return {"id": id_, "invoiceID": 29830005, "companyID": 29680005, "billingCodeID": code,
            "description": description, "itemName": "Managed Workstation", "quantity": quantity, "rate": rate,
            "extendedPrice": extended, "taxDollars": tax, "totalAmount": round(extended + tax, 2),
            "organizationalLevelAssociationID": 1}


def invoice(items, **changes):
    total = round(sum(i["extendedPrice"] + i["taxDollars"] for i in items), 2)
    inv = {"id": 29830005, "companyID": 29680005, "invoiceNumber": "10006", "invoiceDateTime": "2025-06-07T00:00:00.000Z",
           "dueDate": "2025-07-07T00:00:00.000Z", "invoiceTotal": total,
           "totalTaxValue": round(sum(i["taxDollars"] for i in items), 2), "isVoided": False, "orderNumber": None,
           "webServiceDate": None}
    inv.update(changes)
    return inv


def mapped(items, **changes) -> Mapped | Blocked:
    return map_invoice(invoice(items, **changes), items, CUSTOMER, CODES, NZ, CATALOG)


# (what, billing items, expected (Quantity, UnitAmount, LineAmount) per line)
LINES = [
    ("whole units at a 2-decimal rate", [item(1, 3.0, 45.0, 135.0, 20.25)], [("3.0000", "45.0000", "135.00")]),
    ("a third of an hour: 4-decimal quantity × rate misses the line total, so the unit is total ÷ quantity",
     [item(2, 1.3333333, 59.0, 78.67, 11.80)], [("1.3333", "59.0040", "78.67")]),
    ("a seventh of a price: the rounded rate still gives Autotask's cents",
     [item(3, 8.0, 0.6428571, 5.14, 0.77)], [("8.0000", "0.6429", "5.14")]),
    ("a 7-decimal quantity and rate no 4-decimal unit reproduces: quantity 1 at the line total",
     [item(4, 0.0000333, 150.0, 0.01, 0.0)], [("1.0000", "0.0100", "0.01")]),
    ("two lines on two billing codes",
     [item(5, 1.0, 45.0, 45.0, 6.75), item(6, 4.0, 150.0, 600.0, 90.0, code=29682800,
                                             description="Remote Support (4 hours)")],
     [("1.0000", "45.0000", "45.00"), ("4.0000", "150.0000", "600.00")]),
]


@pytest.mark.parametrize("what, items, expected", LINES, ids=[row[0][:40] for row in LINES])
def test_lines_carry_4_decimals_and_always_autotasks_line_total(what, items, expected):
    result = mapped(items)
    assert isinstance(result, Mapped), result
    lines = [line for line in result.document["LineItems"] if not line["Description"].startswith("Rounding")]
    assert [(str(l["Quantity"]), str(l["UnitAmount"]), str(l["LineAmount"])) for l in lines] == expected
    for line in lines:  # what Xero checks: quantity × unit = the line total, to the cent
        assert (line["Quantity"] * line["UnitAmount"]).quantize(D("0.01")) == line["LineAmount"]
    assert result.total == D(str(invoice(items)["invoiceTotal"]))


def test_an_invoice_becomes_an_accrec_with_its_accounts_tax_contact_and_dates():
    result = mapped([item(5, 1.0, 45.0, 45.0, 6.75), item(6, 2.0, 150.0, 300.0, 0.0, code=29682800)])
    doc = result.document
    assert (result.kind, result.xero_type, result.endpoint, doc["InvoiceNumber"]) == ("invoice", "ACCREC", "Invoices",
                                                                                        "10006")
    assert [(l["AccountCode"], l["TaxType"]) for l in doc["LineItems"]] == [("4200", "OUTPUT2"),
                                                                              ("4000", "EXEMPTOUTPUT")]
    assert (doc["Date"], doc["DueDate"], doc["Status"], doc["LineAmountTypes"]) == (
        "2025-06-07", "2025-07-07", "AUTHORISED", "Exclusive")
    assert doc["Contact"] == {"ContactNumber": "C000006", "Name": "Litware Veterinary Ltd"}
    assert result.contact["Addresses"][0]["AddressLine1"] == "105 Market St"
    assert (result.counterparty_id, result.total, result.tax) == ("29680005", D("351.75"), D("6.75"))
    assert "ItemCode" not in doc["LineItems"][0]


def test_a_negative_invoice_is_a_credit_note_with_positive_amounts():
    items = [item(13, -14.0, 59.0, -826.0, -123.90, description="Credit: Cloud Backup 1 TB (14 units)")]
    assert invoice_kind(invoice(items), items) == "credit"
    result = mapped(items)
    assert (result.kind, result.xero_type, result.endpoint) == ("credit", "ACCRECCREDIT", "CreditNotes")
    assert result.document["CreditNoteNumber"] == "10006" and "DueDate" not in result.document
    (line,) = result.document["LineItems"]
    assert (line["Quantity"], line["UnitAmount"], line["LineAmount"]) == (D("14.0000"), D("59.0000"), D("826.00"))
    assert result.total == D("949.90")


def test_a_cent_of_tax_rounding_becomes_a_rounding_line_and_more_blocks_with_both_totals():
    # Autotask rounded 31.50 × 15 % = 4.725 down; Xero rounds it half up: a 0.01 rounding line.
    result = mapped([item(8, 9.0, 3.5, 31.5, 4.72)])
    assert result.document["LineItems"][-1]["Description"] == "Rounding (to match the Autotask total)"
    assert result.document["LineItems"][-1]["LineAmount"] == D("-0.01") and result.total == D("36.22")
    # An Australian invoice (10 % GST) sent to the New Zealand organisation (15 %).
    blocked = mapped([item(1, 2.0, 150.0, 300.0, 30.0)])
    assert isinstance(blocked, Blocked)
    assert "Autotask's total is 330.00 but its lines come to 345.00 in Xero" in blocked.reason
    assert "tax region in Autotask" in blocked.fix


@pytest.mark.parametrize("items, reason, fix", [
    ([], "Invoice 10006 has no billing items in Autotask", "void it and invoice its charges again"),
    ([item(1, 1.0, 10.0, 10.0, 1.5, code=29682806)], "has no billing code with an External Number",
     "Give the billing code 'Legacy Hosting' the Xero account code as its External Number"),
    ([item(1, 1.0, 10.0, 10.0, 1.5, code=12345)], "has no billing code with an External Number", "12345"),
])
def test_what_cannot_go_to_xero_is_blocked_with_the_reason_and_the_fix(items, reason, fix):
    result = mapped(items)
    assert isinstance(result, Blocked)
    assert reason in result.reason and fix in result.fix


def test_a_billing_code_naming_an_account_xero_lacks_says_so_in_autotasks_words():
    codes = {29682802: {"id": 29682802, "name": "Managed Services", "externalNumber": "4999"}}
    result = map_invoice(invoice([item(1, 1.0, 10.0, 10.0, 1.5)]), [item(1, 1.0, 10.0, 10.0, 1.5)], CUSTOMER, codes,
                         NZ, CATALOG)
    assert "uses GL account 4999, which the Xero organisation has no account for" in result.reason
    assert "External Number in Autotask" in result.fix


def test_the_contact_falls_back_to_the_company_id_and_a_linked_contact_is_used_by_id():
    assert customer_contact({"id": 7, "companyName": "No Number Inc."})["ContactNumber"] == "7"
    items = [item(1, 1.0, 10.0, 10.0, 1.5)]
    linked = map_invoice(invoice(items), items, CUSTOMER, CODES, NZ, CATALOG, contact_id="c-1")
    assert linked.document["Contact"] == {"ContactID": "c-1"}
    assert linked.fingerprint == mapped(items).fingerprint  # linking does not make it look new


def test_every_live_simulator_invoice_maps_or_blocks_with_a_reason():
    from wisesync.simulator import at_data
    from wisesync.transactions.mapping import CompanySettings, XeroCatalog
    from wisesync.simulator.xero_data import NZ_TENANT_ID  # noqa: F401 (the demo organisation's rates)

    codes = {at_data.BASE_IDS["BillingCodes"] + i: at_data.record("BillingCodes", i, 200) for i in range(7)}
    n = 200
    items_by_invoice: dict[int, list] = {}
    for i in range(n):
        billing = at_data.record("BillingItems", i, n)
        if billing["invoiceID"]:
            items_by_invoice.setdefault(billing["invoiceID"], []).append(billing)
    mapped_count = 0
    for k in range(n):
        inv = at_data.record("Invoices", k, n)
        if inv["isVoided"]:
            continue
        company = at_data.record("Companies", inv["companyID"] - at_data.BASE_IDS["Companies"], n)
        result = map_invoice(inv, items_by_invoice.get(inv["id"], []), company, codes, NZ, CATALOG)
        if isinstance(result, Blocked):
            assert result.reason and result.fix
            continue
        mapped_count += 1
        assert result.total == abs(D(str(inv["invoiceTotal"])))
        assert all(line["LineAmount"] > 0 or line["Description"].startswith("Rounding")
                   for line in result.document["LineItems"])
    assert mapped_count > n // 2
    assert CompanySettings and XeroCatalog


@pytest.mark.parametrize("message, words", [
    ("Account code '4999' is not a valid code for this document.", "External Number in Autotask"),
    ("The line total 78.66 does not match the expected line total 78.67", "billing items in Autotask"),
    ("Something else entirely", "Correct what Xero names in Autotask"),
    ("TaxType code 'X' does not exist", "tax codes again"),
    ("The contact name Acme is already assigned to another contact.", "Rename the company in Autotask"),
])
def test_xero_refusals_of_an_autotask_document_name_the_fix_in_autotask(message, words):
    from wisesync.transactions.push import fix_for

    assert words in fix_for([message], "autotask")
    assert "ConnectWise" not in fix_for([message], "autotask")
