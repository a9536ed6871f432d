"""ConnectWiseAccounting (and the member-impersonation calls on ConnectWiseRestClient) against
the simulator on loopback. The simulator is shared per worker: each test starts from, and
leaves behind, the seeded accounting state."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import requests

from wisesync.psa import connectwise_accounting
from wisesync.psa.connectwise_accounting import ConnectWiseAccounting, gl_entry_ids, purchase_entry_ids
from wisesync.psa.connectwise_rest import ConnectWiseRestClient, dumps_json
from wisesync.psa.errors import (PsaBatchExists, PsaConfigError, PsaError, PsaNotFound,
                                 PsaPermissionError)
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import cw_ledger_data as ledger
from wisesync.simulator import demo


class Recorder:
    def __init__(self):
        self.session = requests.Session()
        self.sent: list[requests.PreparedRequest] = []
        self.session.hooks["response"].append(lambda r, *a, **k: self.sent.append(r.request))

    def calls(self, fragment: str = "/apis/3.0/") -> list[requests.PreparedRequest]:
        return [r for r in self.sent if fragment in r.url]


@pytest.fixture
def books(psa_sim):
    psa_sim.state.cw_books.reset()
    yield psa_sim.state.cw_books
    psa_sim.state.cw_books.reset()


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def rest(psa_sim, books, recorder):
    return ConnectWiseRestClient(psa_sim.url, demo.CW_COMPANY_ID, demo.CW_PUBLIC_KEY, demo.CW_PRIVATE_KEY,
                                 "wisesync-tests", session=recorder.session,
                                 policy=OutboundPolicy(allow_local=True, sleep=lambda s: None))


@pytest.fixture
def acc(rest):
    return ConnectWiseAccounting(rest)


def _all_numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _all_numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _all_numbers(v)
    elif isinstance(value, (float, Decimal)):
        yield value


def test_locations_are_the_three_billing_locations(acc):
    assert [(loc["id"], loc["name"]) for loc in acc.locations()] == [(1, "Auckland"), (2, "Sydney"),
                                                                     (3, "Head Office")]


def test_unposted_lists_filter_by_location_and_money_is_decimal(acc, psa_sim):
    everything = acc.unposted_invoices()
    assert len(everything) == psa_sim.state.size("invoices")
    sydney = acc.unposted_invoices({2})
    assert sydney and {i["locationId"] for i in sydney} == {2}
    assert len(acc.unposted_invoices({1, 2, 3})) == len(everything)
    assert acc.unposted_invoices(set()) == []
    assert isinstance(sydney[0]["total"], Decimal) and isinstance(sydney[0]["subTotal"], Decimal)
    assert all(isinstance(n, Decimal) for n in _all_numbers(everything))
    procurement = acc.unposted_procurement({1})
    assert procurement and {p["locationId"] for p in procurement} == {1}
    assert isinstance(procurement[0]["total"], Decimal)
    assert isinstance(procurement[0]["unpostedProductId"], str)


def test_export_invoices_returns_the_gl_export_with_decimals(acc):
    export = acc.export_invoices([1, 4, ledger.NO_GL_ENTRIES])
    assert [t["id"] for t in export["transactions"]] == [1, 4]  # no GL entries: absent
    invoice, credit = export["transactions"]
    assert invoice["total"] == -sum(d["total"] for d in invoice["detail"]) > 0
    assert credit["documentType"] == "CreditMemo" and credit["total"] < 0
    assert all(isinstance(n, Decimal) for n in _all_numbers(export))
    assert {c["company"]["id"] for c in export["customers"]} == {1, 4}
    assert export["purchaseTransactions"] == [] and export["vendors"] == []


def test_export_filters_and_empty_ids_make_no_call(acc, recorder):
    assert acc.export_invoices([1, 2, 3], location_id=1) == acc.export_invoices([1, 3])
    early = acc.export_invoices([1, 3, 101], thru=dt.date(2023, 1, 3))
    assert [t["id"] for t in early["transactions"]] == [1]
    sent = len(recorder.calls())
    empty = acc.export_invoices([])
    assert empty["transactions"] == [] and empty["customers"] == [] and len(recorder.calls()) == sent
    bodies = [json.loads(r.body) for r in recorder.calls("/finance/accounting/export")]
    assert {"exportInvoicesFlag": True, "includedInvoiceIds": [1, 3, 101],
            "thruDate": "2023-01-03T23:59:59Z"} in bodies


def test_large_exports_are_chunked_and_merged(acc, recorder, monkeypatch):
    monkeypatch.setattr(connectwise_accounting, "EXPORT_CHUNK", 3)
    export = acc.export_invoices(list(range(11, 19)))
    assert [t["id"] for t in export["transactions"]] == list(range(11, 19))
    assert len(recorder.calls("/finance/accounting/export")) == 3
    ids = [c["company"]["id"] for c in export["customers"]]
    assert sorted(ids) == list(range(11, 19)) and len(ids) == len(set(ids))


def test_export_procurement_by_unposted_product_id(acc):
    record = acc.unposted_procurement({2})[0]
    export = acc.export_procurement([record["unpostedProductId"]])
    (purchase,) = export["purchaseTransactions"]
    assert purchase["id"] == record["unpostedProductId"] and purchase["total"] == record["total"]
    assert purchase["vendorInvoiceNumber"] == record["vendorInvoiceNumber"]
    assert purchase["documentNumber"] == record["purchaseOrder"]["name"]
    assert [v["vendor"]["id"] for v in export["vendors"]] == [record["vendor"]["id"]]
    assert export["transactions"] == []


def test_create_batch_posts_and_returns_the_accounting_batch(acc):
    tx = acc.export_invoices([11])["transactions"][0]
    batch = acc.create_batch("WS-I-11", gl_entry_ids(tx), invoices=True, products=False)
    assert batch["batchIdentifier"] == "WS-I-11" and isinstance(batch["id"], int)
    assert batch["exportInvoicesFlag"] is True and batch["_info"]["enteredBy"] == "WiseSyncAPI"
    assert 11 not in {i["id"] for i in acc.unposted_invoices()}
    assert acc.batches("WS-I-11") == [batch] and acc.batches("nothing-like-it") == []
    assert {e["id"] for e in acc.batch_entries(batch["id"])} == set(gl_entry_ids(tx))
    acc.delete_batch(batch["id"])
    assert 11 in {i["id"] for i in acc.unposted_invoices()}
    with pytest.raises(PsaNotFound):
        acc.batch(batch["id"])


def test_procurement_batches_post_the_purchase(acc):
    record = acc.unposted_procurement()[0]
    purchase = acc.export_procurement([record["unpostedProductId"]])["purchaseTransactions"][0]
    acc.create_batch("WS-P-1", purchase_entry_ids(purchase), invoices=False, products=True)
    assert record["id"] not in {p["id"] for p in acc.unposted_procurement()}


def test_a_repeated_identifier_raises_psa_batch_exists(acc):
    first, second = acc.export_invoices([12, 13])["transactions"]
    acc.create_batch("WS-DUP", gl_entry_ids(first), invoices=True, products=False)
    with pytest.raises(PsaBatchExists) as caught:
        acc.create_batch("WS-DUP", gl_entry_ids(second), invoices=True, products=False)
    error = caught.value
    assert isinstance(error, PsaError) and error.identifier == "WS-DUP" and error.status == 400
    assert "already" in error.psa_message and "unposted list" in error.fix
    assert 13 in {i["id"] for i in acc.unposted_invoices()}


def test_other_batch_refusals_are_plain_psa_errors(acc):
    tx = acc.export_invoices([14])["transactions"][0]
    acc.create_batch("WS-14", gl_entry_ids(tx), invoices=True, products=False)
    with pytest.raises(PsaError) as caught:
        acc.create_batch("WS-14-AGAIN", gl_entry_ids(tx), invoices=True, products=False)
    assert not isinstance(caught.value, PsaBatchExists) and "already in batch" in caught.value.psa_message
    with pytest.raises(PsaConfigError):
        acc.create_batch("WS-EMPTY", [], invoices=True, products=False)
    with pytest.raises(PsaConfigError):
        acc.create_batch("", [1400], invoices=True, products=False)
    with pytest.raises(PsaConfigError):
        acc.create_batch("WS-NOFLAG", [1400], invoices=False, products=False)


def test_gl_entry_ids_is_the_union_of_header_and_detail():
    tx = {"glEntryIds": "1504, 1505,1506,,x", "detail": [{"id": 1503}, {"id": 1505}, {"id": None}]}
    assert gl_entry_ids(tx) == [1504, 1505, 1506, 1503]
    assert gl_entry_ids({}) == []
    assert purchase_entry_ids({"purchaseDetail": [{"id": 7}, {"id": 7}, {}]}) == [7]


def test_post_payment_sends_decimal_as_a_json_number(acc, recorder):
    payment = acc.post_payment(15, Decimal("123.45"), dt.date(2024, 2, 1), payment_type="Wire Transfer")
    assert payment["amount"] == Decimal("123.45") and payment["type"] == "Wire Transfer"
    assert payment["invoiceBalance"] == payment["invoiceTotal"] - Decimal("123.45")
    body = recorder.calls("/payments")[-1].body
    assert b'"amount":123.45' in body and b'"paymentDate":"2024-02-01T00:00:00Z"' in body
    assert [p["id"] for p in acc.payments(15)] == [payment["id"]]
    with pytest.raises(PsaError) as caught:
        acc.post_payment(15, Decimal("1.00"), dt.date(2024, 2, 2))
    assert caught.value.status == 400
    with pytest.raises(TypeError):
        acc.post_payment(15, 1.0, dt.date(2024, 2, 2))


def test_dumps_json_never_goes_through_float():
    assert dumps_json({"a": Decimal("0.1000"), "b": [Decimal("-12345678901234567.89")]}) == \
        b'{"a":0.1000,"b":[-12345678901234567.89]}'
    with pytest.raises(ValueError):
        dumps_json({"a": Decimal("NaN")})


def test_billing_contacts_come_from_the_company_records(acc):
    contacts = acc.billing_contacts([1, ledger.NO_BILLING_CONTACT_COMPANY, 1])
    assert contacts[ledger.NO_BILLING_CONTACT_COMPANY] is None
    assert contacts[1]["email"].startswith("billing@") and contacts[1]["address"]["line1"]
    assert set(contacts) == {1, ledger.NO_BILLING_CONTACT_COMPANY}


@pytest.mark.parametrize("call", [
    lambda a: a.unposted_invoices(), lambda a: a.export_invoices([1]),
    lambda a: a.create_batch("WS-X", [100], invoices=True, products=False), lambda a: a.batches("WS-X")])
def test_a_missing_accounting_right_names_finance_accounting_interface(acc, rest, call):
    rest._headers["X-Sim-Fault"] = "deny;right=accounting"
    with pytest.raises(PsaPermissionError) as caught:
        call(acc)
    error = caught.value
    assert error.status == 403 and error.right == "invoicing"
    assert "Finance > Accounting Interface" in error.fix and "Add, Edit and Inquire" in error.fix
    assert "Finance > Accounting Interface" in error.explanation


def test_a_missing_payments_right_names_finance_invoicing(acc, rest):
    rest._headers["X-Sim-Fault"] = "deny;right=payments"
    with pytest.raises(PsaPermissionError) as caught:
        acc.post_payment(1, Decimal("1.00"), dt.date(2024, 1, 1))
    assert "Finance > Invoicing" in caught.value.fix


# -- members and impersonation ---------------------------------------------------------------------
def test_member_finds_a_member_by_identifier(rest):
    assert rest.member("jsmith")["id"] == 1
    assert rest.member("JSMITH")["identifier"] == "jsmith"
    assert rest.member("nobody") is None and rest.member("") is None
    assert rest.member('a"b') is None  # quoted, not a broken condition


def test_member_token_and_as_member_post_as_the_member(rest, recorder):
    token = rest.member_token("jsmith")
    assert set(token) == {"publicKey", "privateKey", "expiration"}
    sent = recorder.calls("/tokens")[-1]
    assert sent.method == "POST" and sent.headers["x-cw-usertype"] == "member"
    assert json.loads(sent.body) == {"memberIdentifier": "jsmith"}
    member = rest.as_member(token, "jsmith")
    assert token["privateKey"] not in repr(member) and "jsmith" in repr(member)
    acc = ConnectWiseAccounting(member)
    tx = acc.export_invoices([16])["transactions"][0]
    batch = acc.create_batch("WS-JSMITH", gl_entry_ids(tx), invoices=True, products=False)
    assert batch["_info"]["enteredBy"] == "jsmith" and batch["_info"]["updatedBy"] == "jsmith"
    assert acc.post_payment(17, Decimal("5.00"), dt.date(2024, 1, 5))["appliedBy"] == "jsmith"
    assert member.codebase == rest.codebase and member.http.session is rest.http.session


def test_member_token_refusals(rest):
    with pytest.raises(PsaNotFound):
        rest.member_token("nobody")
    with pytest.raises(PsaConfigError):
        rest.member_token(" ")
    with pytest.raises(PsaConfigError):
        rest.as_member({"publicKey": "abc"})


def test_a_member_missing_the_accounting_right_is_named_in_the_explanation(rest):
    member = rest.as_member(rest.member_token("jsmith"), "jsmith")
    member._headers["X-Sim-Fault"] = "deny;right=accounting"
    with pytest.raises(PsaPermissionError) as caught:
        ConnectWiseAccounting(member).unposted_invoices()
    assert "member jsmith" in caught.value.explanation
