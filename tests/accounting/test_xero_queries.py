"""How the Xero client asks: list parameters, ``where`` clauses, paging, MS-JSON dates."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.accounting.fakes import FakeXero, client, reply
from wisesync.accounting.xero import PAGE_SIZE, csv_param, parse_ms_date, where_any, where_literal


def test_where_literal_doubles_quotes_and_leaves_backslashes():
    assert where_literal("Acme") == '"Acme"'
    assert where_literal('Bat "QUOTE" Man') == '"Bat ""QUOTE"" Man"'
    assert where_literal("C:\\Temp") == '"C:\\Temp"'


def test_where_any_joins_equalities_with_or():
    assert where_any("ContactNumber", ["X", "Y"]) == 'ContactNumber=="X" OR ContactNumber=="Y"'
    with pytest.raises(ValueError):
        where_any('Name==""); Drop', ["x"])


def test_csv_param_refuses_commas():
    assert csv_param(["a", "b"]) == "a,b"
    with pytest.raises(ValueError):
        csv_param(["a,b"])


def test_invoices_by_number_use_invoice_numbers():
    fake = FakeXero(reply(200, {"Invoices": [{"InvoiceID": "1"}]}))
    assert client(fake).invoices(numbers=["INV-1", "INV-2"]) == [{"InvoiceID": "1"}]
    query = fake.sent[0].query
    assert query["InvoiceNumbers"] == "INV-1,INV-2" and query["page"] == "1"
    assert query["pageSize"] == str(PAGE_SIZE) and query["unitdp"] == "4"


def test_invoice_numbers_with_a_comma_are_asked_for_with_where():
    fake = FakeXero(reply(200, {"Invoices": [{"InvoiceID": "1"}]}),
                    reply(200, {"Invoices": [{"InvoiceID": "2"}]}))
    found = client(fake).invoices(numbers=["INV-1", "7,8"])
    assert [s.query.get("InvoiceNumbers") for s in fake.sent] == ["INV-1", None]
    assert fake.sent[1].query["where"] == 'InvoiceNumber=="7,8"'
    assert [i["InvoiceID"] for i in found] == ["1", "2"]


def test_invoices_by_id_status_and_modified_since():
    fake = FakeXero(reply(200, {"Invoices": []}))
    client(fake).invoices(ids=["a-1", "b-2"], statuses=["AUTHORISED", "PAID"],
                          modified_since=datetime(2026, 5, 1, 12, 30, tzinfo=timezone.utc))
    sent = fake.sent[0]
    assert sent.query["IDs"] == "a-1,b-2" and sent.query["Statuses"] == "AUTHORISED,PAID"
    assert sent.headers["If-Modified-Since"] == "2026-05-01T12:30:00Z"
    with pytest.raises(ValueError):
        client(fake).invoices(numbers=["1"], ids=["a"])


def test_contacts_by_number_and_name_in_one_where():
    fake = FakeXero(reply(200, {"Contacts": [{"ContactID": "c1"}]}))
    client(fake).contacts(contact_numbers=["X", "Y"], names=["Bob's Builders"])
    assert fake.sent[0].query["where"] == \
        'ContactNumber=="X" OR ContactNumber=="Y" OR Name=="Bob\'s Builders"'
    assert len(fake.sent) == 1


def test_a_name_with_a_double_quote_is_searched_and_matched_exactly():
    found = [{"ContactID": "c1", "Name": 'Bob "The Builder" Ltd'},
             {"ContactID": "c2", "Name": 'Bob "The Builder" Ltd (old)'},
             {"ContactID": "c3", "Name": 'BOB "THE BUILDER" LTD'}]
    fake = FakeXero(reply(200, {"Contacts": [{"ContactID": "c0", "ContactNumber": "X"}]}),
                    reply(200, {"Contacts": found}))
    result = client(fake).contacts(contact_numbers=["X"], names=['Bob "The Builder" Ltd'])
    assert [c["ContactID"] for c in result] == ["c0", "c1", "c3"]
    assert fake.sent[0].query["where"] == 'ContactNumber=="X"'
    assert fake.sent[1].query["searchTerm"] == 'Bob "The Builder" Ltd' and "where" not in fake.sent[1].query


def test_long_lookups_are_split_and_duplicates_dropped():
    numbers = [f"INV-{n}" for n in range(120)]
    fake = FakeXero(reply(200, {"Invoices": [{"InvoiceID": "same"}]}))
    assert client(fake).invoices(numbers=numbers) == [{"InvoiceID": "same"}]
    assert [len(s.query["InvoiceNumbers"].split(",")) for s in fake.sent] == [50, 50, 20]


def test_credit_notes_by_number_use_where():
    fake = FakeXero(reply(200, {"CreditNotes": []}))
    client(fake).credit_notes(numbers=["CN-1", "CN-2"])
    assert fake.sent[0].query["where"] == 'CreditNoteNumber=="CN-1" OR CreditNoteNumber=="CN-2"'
    assert fake.sent[0].path.endswith("/CreditNotes")


def test_all_pages_are_read_until_a_short_page():
    full = {"Invoices": [{"InvoiceID": str(n)} for n in range(PAGE_SIZE)]}
    fake = FakeXero(reply(200, full), reply(200, {"Invoices": [{"InvoiceID": "last"}]}))
    xero = client(fake)
    found = xero.invoices()
    assert len(found) == PAGE_SIZE + 1 and [s.query["page"] for s in fake.sent] == ["1", "2"]
    assert xero.calls == 2


def test_paging_stops_at_the_page_count_xero_gives():
    full = {"pagination": {"page": 1, "pageSize": PAGE_SIZE, "pageCount": 1, "itemCount": PAGE_SIZE},
            "Payments": [{"PaymentID": str(n)} for n in range(PAGE_SIZE)]}
    fake = FakeXero(reply(200, full))
    assert len(client(fake).payments()) == PAGE_SIZE and len(fake.sent) == 1


def test_a_given_page_is_one_call():
    fake = FakeXero(reply(200, {"Contacts": [{"ContactID": "c"}] * PAGE_SIZE}))
    assert len(client(fake).contacts(page=3)) == PAGE_SIZE
    assert len(fake.sent) == 1 and fake.sent[0].query["page"] == "3"


def test_settings_lists_and_the_organisation():
    fake = FakeXero(reply(200, {"Organisations": [{"Name": "Wisesim NZ Ltd"}]}),
                    reply(200, {"TrackingCategories": [{"Name": "Region"}]}),
                    reply(200, {"Items": [{"Code": "ITEM"}]}))
    xero = client(fake)
    assert xero.organisation() == {"Name": "Wisesim NZ Ltd"}
    assert xero.tracking_categories() == [{"Name": "Region"}]
    assert xero.items() == [{"Code": "ITEM"}]
    assert [s.path.rsplit("/", 1)[1] for s in fake.sent] == ["Organisation", "TrackingCategories", "Items"]
    assert "page" not in fake.sent[2].query  # Xero returns items unpaged


def test_not_modified_is_an_empty_list():
    fake = FakeXero(reply(304, b""))
    assert client(fake).payments(modified_since=datetime(2026, 1, 1)) == []


def test_ms_json_dates_parse_to_naive_utc():
    assert parse_ms_date("/Date(1573755038314+0000)/") == datetime(2019, 11, 14, 18, 10, 38, 314000)
    assert parse_ms_date("/Date(1518685950940)/") == datetime(2018, 2, 15, 9, 12, 30, 940000)
    assert parse_ms_date("/Date(0+1300)/") == datetime(1970, 1, 1)
    assert parse_ms_date("2026-05-01T00:00:00") == datetime(2026, 5, 1)
    assert parse_ms_date("2026-05-01") == datetime(2026, 5, 1)
    assert parse_ms_date(None) is None
    with pytest.raises(ValueError):
        parse_ms_date("yesterday")
