"""Every request the Xero client builds, checked by openapi-core against Xero's own
xero_accounting.yaml (path, query parameters, headers, JSON body), on the fake session."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.accounting.fakes import FakeXero, client, reply
from tests.accounting.sim import validate_accounting_request
from tests.xero_spec import specs_available

pytestmark = [
    pytest.mark.skipif(not specs_available(),
                       reason="!!! Xero OpenAPI fixtures not found: XERO CONTRACT NOT CHECKED !!!"),
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")]

CONTACT_ID = "3f0a2f1e-7c0b-4a1e-9b4e-2d7f7f3c9a11"
INVOICE = {"Type": "ACCREC", "Contact": {"ContactID": CONTACT_ID},
           "InvoiceNumber": "CW-1042", "Reference": "Agreement May", "Date": date(2026, 5, 1),
           "DueDate": date(2026, 5, 31), "LineAmountTypes": "Exclusive", "Status": "DRAFT",
           "LineItems": [{"Description": "Managed services", "Quantity": Decimal("2.0000"),
                          "UnitAmount": Decimal("149.9950"), "AccountCode": "4200",
                          "TaxType": "OUTPUT2", "ItemCode": "MSP-GOLD"},
                         {"Description": "Rounding", "Quantity": Decimal("1"),
                          "UnitAmount": Decimal("0.01"), "AccountCode": "860", "TaxType": "NONE"}]}
BILL = {"Type": "ACCPAY", "Contact": {"Name": "Ingram Micro"}, "InvoiceNumber": "V-77",
        "Reference": "PO-5001", "Date": date(2026, 5, 2), "DueDate": date(2026, 6, 1),
        "LineItems": [{"Description": "Switch", "Quantity": Decimal("3"), "UnitAmount": Decimal("120.50"),
                       "AccountCode": "5000", "TaxType": "INPUT2"}]}
CONTACT = {"Name": "Summit Accounting Inc.", "ContactNumber": "SummitAccounting2",
           "EmailAddress": "ap@summit.example", "IsCustomer": True,
           "Addresses": [{"AddressType": "POBOX", "AddressLine1": "1 Main St", "City": "Auckland",
                          "PostalCode": "1010", "Country": "NZ"}]}
ITEM = {"Code": "MSP-GOLD", "Name": "Managed services (gold)", "IsSold": True,
        "SalesDetails": {"UnitPrice": Decimal("149.9950"), "AccountCode": "4200", "TaxType": "OUTPUT2"}}
CREDIT = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": CONTACT_ID},
          "CreditNoteNumber": "CW-1043", "Date": date(2026, 5, 3), "LineAmountTypes": "Exclusive",
          "LineItems": [{"Description": "Refund", "Quantity": Decimal("1"), "UnitAmount": Decimal("50"),
                         "AccountCode": "4000", "TaxType": "OUTPUT2"}]}


def calls():
    since = datetime(2026, 5, 1, 8, 0)
    return [
        ("organisation", lambda x: x.organisation(), {"Organisations": [{}]}),
        ("tax_rates", lambda x: x.tax_rates(), {"TaxRates": []}),
        ("accounts", lambda x: x.accounts(), {"Accounts": []}),
        ("tracking_categories", lambda x: x.tracking_categories(), {"TrackingCategories": []}),
        ("items", lambda x: x.items(), {"Items": []}),
        ("contacts", lambda x: x.contacts(contact_numbers=["A", 'B "2"'], names=["Acme"]), {"Contacts": []}),
        ("all_contacts", lambda x: x.contacts(page=2), {"Contacts": []}),
        ("invoices", lambda x: x.invoices(numbers=["CW-1", "CW-2"], statuses=["AUTHORISED"],
                                          modified_since=since), {"Invoices": []}),
        ("invoices_by_id", lambda x: x.invoices(ids=[CONTACT_ID]), {"Invoices": []}),
        ("credit_notes", lambda x: x.credit_notes(numbers=["CN-1"]), {"CreditNotes": []}),
        ("payments", lambda x: x.payments(modified_since=since), {"Payments": []}),
        ("put_invoices", lambda x: x.put_invoices([INVOICE, BILL], "k-1"), {"Invoices": [{}, {}]}),
        ("put_contacts", lambda x: x.put_contacts([CONTACT], "k-2"), {"Contacts": [{}]}),
        ("put_items", lambda x: x.put_items([ITEM], "k-3"), {"Items": [{}]}),
        ("put_credit_notes", lambda x: x.put_credit_notes([CREDIT], "k-4"), {"CreditNotes": [{}]}),
    ]


@pytest.mark.parametrize("name,call,answer", calls(), ids=[c[0] for c in calls()])
def test_request_matches_xeros_accounting_description(name, call, answer):
    fake = FakeXero(reply(200, answer))
    call(client(fake))
    assert fake.sent
    for sent in fake.sent:
        validate_accounting_request(sent.request)
