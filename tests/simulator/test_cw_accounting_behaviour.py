"""How the simulated ConnectWise accounting interface behaves: batching posts records (they
leave the unposted lists, the export and SOAP), a repeated identifier is refused, deleting the
batch un-posts, the export needs a flag, the legacy sign convention, the seeded special
cases, payments, member tokens, security-role faults and ``/_sim/reset``."""
from __future__ import annotations

import base64
from decimal import Decimal

import pytest
import requests

from tests.simulator.cw_contract import AUTH
from wisesync.psa.connectwise_accounting import gl_entry_ids, purchase_entry_ids
from wisesync.simulator import cw_data, demo
from wisesync.simulator import cw_ledger_data as ledger
from wisesync.simulator.server import RunningSim


@pytest.fixture
def api(psa_sim):
    psa_sim.state.cw_books.reset()
    base = f"{psa_sim.url}/v2025_1/apis/3.0/"

    def call(method: str, path: str, headers: dict | None = None, **kw) -> requests.Response:
        return requests.request(method, base + path, headers={**AUTH, **(headers or {})}, timeout=10, **kw)

    yield call
    psa_sim.state.cw_books.reset()


def export(api, **body) -> dict:
    response = api("POST", "finance/accounting/export", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def transaction(api, invoice_id: int) -> dict:
    found = export(api, exportInvoicesFlag=True, includedInvoiceIds=[invoice_id])["transactions"]
    assert [t["id"] for t in found] == [invoice_id]
    return found[0]


def batch(api, identifier: str, entries: list[int], **flags) -> requests.Response:
    return api("POST", "finance/accounting/batches", json={
        "batchIdentifier": identifier, "processedRecordIds": entries,
        **(flags or {"exportInvoicesFlag": True})})


def unposted_ids(api, kind: str = "unpostedinvoices") -> set[int]:
    return {r["id"] for r in api("GET", f"finance/accounting/{kind}", params={"pageSize": 1000}).json()}


def D(value) -> Decimal:
    return Decimal(str(value))


# -- posting and un-posting -----------------------------------------------------------------------
def test_batching_takes_the_invoice_out_of_the_lists_the_export_and_soap(api, psa_sim):
    before = api("GET", "finance/accounting/unpostedinvoices/count").json()["count"]
    created = batch(api, "WS-11", gl_entry_ids(transaction(api, 11)))
    assert created.status_code == 201
    assert api("GET", "finance/accounting/unpostedinvoices/count").json()["count"] == before - 1
    assert 11 not in unposted_ids(api)
    assert api("GET", "finance/accounting/unpostedinvoices/11").status_code == 404
    assert export(api, exportInvoicesFlag=True, includedInvoiceIds=[11, 12])["transactions"][0]["id"] == 12
    assert 11 not in {t["id"] for t in export(api, exportInvoicesFlag=True)["transactions"]}
    assert 11 in psa_sim.state.cw_books.posted()[0]  # SOAP GetUnpostedInvoices skips these


def test_only_a_complete_set_of_gl_entries_posts_the_invoice(api):
    tx = transaction(api, 12)
    header_only = [int(e) for e in tx["glEntryIds"].split(",")]
    assert not set(header_only) & {d["id"] for d in tx["detail"]}  # the legacy sample's shape
    assert batch(api, "WS-12-HEAD", header_only).status_code == 201
    assert 12 in unposted_ids(api)
    rest = [d["id"] for d in tx["detail"]]
    assert batch(api, "WS-12-REST", rest).status_code == 201
    assert 12 not in unposted_ids(api)


def test_a_repeated_identifier_is_refused_with_connectwises_body(api):
    assert batch(api, "WS-DUP", gl_entry_ids(transaction(api, 13))).status_code == 201
    again = batch(api, "ws-dup", gl_entry_ids(transaction(api, 14)))
    assert again.status_code == 400
    body = again.json()
    assert body["code"] == "InvalidObject" and body["message"] == "accountingBatch object is invalid"
    assert body["errors"][0]["field"] == "batchIdentifier"
    assert "already exists" in body["errors"][0]["message"]
    assert 14 in unposted_ids(api)  # nothing of the refused batch happened


@pytest.mark.parametrize("entries", [[], [177], [500, 10**9 + 150], ["300"]])
def test_empty_or_unknown_gl_entries_are_refused(api, entries):
    response = batch(api, "WS-BAD", entries)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "processedRecordIds"


def test_an_entry_already_batched_or_outside_the_flags_is_refused(api):
    entries = gl_entry_ids(transaction(api, 15))
    assert batch(api, "WS-15", entries).status_code == 201
    again = batch(api, "WS-15-AGAIN", entries)
    assert again.status_code == 400 and "already in batch WS-15" in again.json()["errors"][0]["message"]
    wrong_flag = batch(api, "WS-16", gl_entry_ids(transaction(api, 16)), exportProductsFlag=True)
    assert wrong_flag.status_code == 400 and wrong_flag.json()["errors"][0]["field"] == "exportInvoicesFlag"
    no_flag = api("POST", "finance/accounting/batches",
                  json={"batchIdentifier": "WS-17", "processedRecordIds": gl_entry_ids(transaction(api, 17))})
    assert no_flag.status_code == 400


def test_deleting_the_batch_brings_the_records_back(api):
    entries = gl_entry_ids(transaction(api, 21)) + gl_entry_ids(transaction(api, 23))
    assert batch(api, "WS-BOTH", entries).status_code == 201
    found = api("GET", "finance/accounting/batches",
                params={"conditions": 'batchIdentifier="WS-BOTH"'}).json()
    assert len(found) == 1
    batch_id = found[0]["id"]
    entry_rows = api("GET", f"finance/accounting/batches/{batch_id}/entries", params={"pageSize": 100}).json()
    assert sorted(r["id"] for r in entry_rows) == sorted(entries)
    assert {r["invoice"]["id"] for r in entry_rows} == {21, 23}
    assert sum(D(r["debit"]) for r in entry_rows) == sum(D(r["credit"]) for r in entry_rows) + \
        sum(D(r["debit"]) for r in entry_rows if r["accountNumber"] == ledger.COGS_ACCOUNT)
    assert {21, 23}.isdisjoint(unposted_ids(api))
    assert api("DELETE", f"finance/accounting/batches/{batch_id}").status_code == 204
    assert {21, 23} <= unposted_ids(api)
    assert api("GET", f"finance/accounting/batches/{batch_id}").status_code == 404
    assert api("DELETE", f"finance/accounting/batches/{batch_id}").status_code == 404
    assert batch(api, "WS-BOTH", entries).status_code == 201  # the identifier is free again


def test_procurement_posts_by_its_detail_entries(api):
    purchases = export(api, exportProductsFlag=True, includedProductIds=["2005-5"])["purchaseTransactions"]
    assert [p["id"] for p in purchases] == ["2005-5"]
    assert batch(api, "WS-P5", purchase_entry_ids(purchases[0]), exportProductsFlag=True).status_code == 201
    assert 5 not in unposted_ids(api, "unpostedprocurement")
    assert not export(api, exportProductsFlag=True, includedProductIds=["2005-5"])["purchaseTransactions"]


# -- the export ---------------------------------------------------------------------------------------
def test_an_export_without_flags_is_refused(api):
    response = api("POST", "finance/accounting/export",
                   json={"includedInvoiceIds": [3], "exportPaymentsFlag": True})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == \
        "Batch export must include invoices, expenses, or products (procurement)."


def test_the_export_honours_location_thru_date_and_included_ids(api):
    sydney = export(api, exportInvoicesFlag=True, locationId=2)["transactions"]
    assert sydney and all(ledger.location_id(t["id"]) == 2 for t in sydney)
    early = export(api, exportInvoicesFlag=True, thruDate="2023-01-06T00:00:00Z")["transactions"]
    assert [t["id"] for t in early] == [1, 2, 3, 4]  # 5 has no GL entries; dated 2023-01-02..05
    assert not export(api, exportInvoicesFlag=True, includedInvoiceIds=[99_999])["transactions"]
    both = export(api, exportInvoicesFlag=True, exportProductsFlag=True, includedInvoiceIds=[1],
                  includedProductIds=["2002-2"])
    assert [t["id"] for t in both["transactions"]] == [1] and len(both["purchaseTransactions"]) == 1
    assert [c["company"]["id"] for c in both["customers"]] == [1]
    assert [v["vendorNumber"] for v in both["vendors"]] == [both["purchaseTransactions"][0]["vendorNumber"]]


def test_lists_filter_by_location_like_the_client_asks(api):
    rows = api("GET", "finance/accounting/unpostedinvoices",
               params={"conditions": "locationId=1 or locationId=3", "pageSize": 1000}).json()
    assert rows and {r["locationId"] for r in rows} == {1, 3}
    assert {r["location"]["name"] for r in rows} == {"Auckland", "Head Office"}
    procurement = api("GET", "finance/accounting/unpostedprocurement",
                      params={"conditions": "locationId=2"}).json()
    assert procurement and {p["locationId"] for p in procurement} == {2}


def test_legacy_signs_invoice_lines_negative_header_positive(api):
    tx = transaction(api, 1)
    assert tx["documentType"] == "Invoice" and D(tx["total"]) > 0
    assert all(D(d["total"]) < 0 for d in tx["detail"])
    assert all(D(d["quantity"]) < 0 and D(d["itemPrice"]) > 0 for d in tx["detail"] if d["glTypeId"] != "ST")
    tax_line = tx["detail"][-1]
    assert tax_line["glTypeId"] == "ST" and tax_line["accountNumber"] == "2200" and D(tax_line["total"]) < 0
    assert -sum(D(d["total"]) for d in tx["detail"]) == D(tx["total"])
    assert D(api("GET", "finance/accounting/unpostedinvoices/1").json()["total"]) == D(tx["total"])


def test_credit_memos_have_the_signs_the_other_way(api):
    tx = transaction(api, ledger.CREDIT_MEMO)
    assert tx["documentType"] == "CreditMemo" and tx["billingType"] == "CreditMemo" and D(tx["total"]) < 0
    assert all(D(d["total"]) > 0 for d in tx["detail"])
    assert -sum(D(d["total"]) for d in tx["detail"]) == D(tx["total"])
    listed = api("GET", f"finance/accounting/unpostedinvoices/{ledger.CREDIT_MEMO}").json()
    assert listed["invoiceType"] == "CreditMemo" and D(listed["total"]) < 0


def test_purchase_detail_is_negative_with_a_positive_header(api):
    purchase = export(api, exportProductsFlag=True, includedProductIds=["2003-3"])["purchaseTransactions"][0]
    assert D(purchase["total"]) > 0 and all(D(d["total"]) < 0 and D(d["quantity"]) < 0
                                           for d in purchase["purchaseDetail"])
    record = api("GET", "finance/accounting/unpostedprocurement/3").json()
    assert record["procurementType"] == "Purchase"
    assert record["vendorInvoiceNumber"] == purchase["vendorInvoiceNumber"]
    assert purchase["documentNumber"] == record["purchaseOrder"]["name"] == "PO2003"
    lines = -sum(D(d["total"]) for d in purchase["purchaseDetail"])
    assert lines + D(record["taxTotal"]) == D(purchase["total"]) == D(record["total"])
    assert {d["accountNumber"] for d in purchase["purchaseDetail"]} == {"5000"}


def test_lines_are_services_products_agreements_taxable_and_not(api):
    lines = [d for i in (1, 3, 12) for d in transaction(api, i)["detail"]]
    assert {d["accountNumber"] for d in lines} == {"4000", "4100", "4200", "2200"}
    products = [d for d in lines if d["accountNumber"] == "4100"]
    assert all(d["item"]["identifier"] for d in products)
    assert {d["taxableFlag"] for d in lines if d["glTypeId"] != "ST"} == {True, False}
    assert all(len(transaction(api, i)["detail"]) == 5 for i in (1, 3, 12))


# -- the special cases ----------------------------------------------------------------------------------
def test_special_invoices_at_fixed_indices(api):
    zero = transaction(api, ledger.ZERO_TOTAL)
    assert D(zero["total"]) == 0 and all(D(d["total"]) == 0 for d in zero["detail"])
    assert ledger.NO_GL_ENTRIES in unposted_ids(api)
    assert not export(api, exportInvoicesFlag=True, includedInvoiceIds=[ledger.NO_GL_ENTRIES])["transactions"]
    long_item = transaction(api, ledger.LONG_ITEM_ID)
    assert max(len(d["item"]["identifier"]) for d in long_item["detail"] if d.get("item")) > 30
    for index, delta in ((ledger.ROUNDING, Decimal("0.03")), (ledger.MISMATCH, Decimal("1.25"))):
        tx = transaction(api, index)
        assert D(tx["total"]) - -sum(D(d["total"]) for d in tx["detail"]) == delta
    assert "4999" in {d["accountNumber"] for d in transaction(api, ledger.UNKNOWN_ACCOUNT)["detail"]}


def test_the_invoice_without_a_billing_contact(api):
    tx = transaction(api, ledger.NO_BILLING_CONTACT)
    company = tx["company"]["id"]
    customers = export(api, exportInvoicesFlag=True,
                       includedInvoiceIds=[1, ledger.NO_BILLING_CONTACT])["customers"]
    by_company = {c["company"]["id"]: c for c in customers}
    assert "contact" not in by_company[company] and by_company[1]["contact"]["name"]
    record = api("GET", f"company/companies/{company}").json()
    assert "billingContact" not in record and "invoiceToEmailAddress" not in record
    first = api("GET", "company/companies/1").json()
    assert first["billingContact"]["name"] == by_company[1]["contact"]["name"]


def test_invoices_match_the_companies_and_soap_shares_the_record(api, psa_sim):
    for invoice in api("GET", "finance/accounting/unpostedinvoices", params={"pageSize": 30}).json():
        company = api("GET", f"company/companies/{invoice['company']['id']}").json()
        assert {k: company[k] for k in ("id", "identifier", "name")} == \
            {k: invoice["company"][k] for k in ("id", "identifier", "name")}
        assert invoice["locationId"] in ledger.LOCATIONS
        assert invoice["location"]["id"] == invoice["locationId"]
    assert cw_data.unposted_invoice(8, companies=psa_sim.state.size("companies")) == \
        api("GET", "finance/accounting/unpostedinvoices/8").json()


# -- payments ---------------------------------------------------------------------------------------
def test_one_payment_per_invoice_reduces_its_balance(api):
    total = D(api("GET", "finance/accounting/unpostedinvoices/1").json()["total"])
    posted = api("POST", "finance/invoices/1/payments", json={"type": "Check", "amount": 100.0,
                                                              "paymentDate": "2024-02-01T00:00:00Z"})
    assert posted.status_code == 201
    assert D(posted.json()["invoiceBalance"]) == total - 100 and posted.json()["appliedBy"] == "WiseSyncAPI"
    assert [p["id"] for p in api("GET", "finance/invoices/1/payments").json()] == [posted.json()["id"]]
    second = api("POST", "finance/invoices/1/payments", json={"type": "Check", "amount": 1.0})
    assert second.status_code == 400 and "one payment" in second.json()["errors"][0]["message"]
    assert api("POST", "finance/invoices/3/payments", json={"amount": float(total * 100)}).status_code == 400
    credit = api("POST", f"finance/invoices/{ledger.CREDIT_MEMO}/payments", json={"amount": 5.0})
    assert credit.status_code == 400
    assert api("POST", "finance/invoices/99999/payments", json={"amount": 5.0}).status_code == 404


# -- member tokens ----------------------------------------------------------------------------------
def test_a_member_token_signs_as_that_member(api):
    token = api("POST", "system/members/jsmith/tokens", json={"memberIdentifier": "jsmith"}).json()
    member = {"Authorization": "Basic " + base64.b64encode(
        f"{demo.CW_COMPANY_ID}+{token['publicKey']}:{token['privateKey']}".encode()).decode()}
    entries = gl_entry_ids(transaction(api, 25))
    created = api("POST", "finance/accounting/batches", headers=member, json={
        "batchIdentifier": "WS-JS", "exportInvoicesFlag": True, "processedRecordIds": entries})
    assert created.status_code == 201
    made = api("GET", "finance/accounting/batches",
               params={"conditions": 'batchIdentifier="WS-JS"'}).json()[0]
    assert made["_info"]["enteredBy"] == made["_info"]["updatedBy"] == "jsmith"
    paid = api("POST", "finance/invoices/27/payments", headers=member, json={"amount": 1.0}).json()
    assert paid["appliedBy"] == "jsmith"
    wrong = {"Authorization": "Basic " + base64.b64encode(
        f"{demo.CW_COMPANY_ID}+{token['publicKey']}:not-the-key".encode()).decode()}
    assert api("GET", "finance/accounting/batches", headers=wrong).status_code == 401


def test_a_token_for_an_unknown_member_is_not_found(api):
    assert api("POST", "system/members/nobody/tokens").status_code == 404
    denied = api("POST", "system/members/jsmith/tokens", headers={"X-Sim-Fault": "deny;right=members"})
    assert denied.status_code == 403


# -- faults and reset ---------------------------------------------------------------------------------
@pytest.mark.parametrize("right", ["accounting", "invoicing"])
def test_a_missing_accounting_right_denies_every_accounting_endpoint(api, right):
    fault = {"X-Sim-Fault": f"deny;right={right}"}
    for method, path in (("GET", "finance/accounting/unpostedinvoices"),
                         ("POST", "finance/accounting/export"),
                         ("GET", "finance/accounting/batches/count"),
                         ("POST", "finance/accounting/batches")):
        assert api(method, path, headers=fault, json={}).status_code == 403, path
    assert api("GET", "system/locations", headers=fault).status_code == 200
    payments = api("GET", "finance/invoices/1/payments", headers={"X-Sim-Fault": "deny;right=payments"})
    assert payments.status_code == 403


def test_sim_reset_restores_the_seed(api, psa_sim):
    assert batch(api, "WS-RESET", gl_entry_ids(transaction(api, 29))).status_code == 201
    api("POST", "finance/invoices/31/payments", json={"amount": 1.0})
    assert 29 not in unposted_ids(api)
    assert requests.post(f"{psa_sim.url}/_sim/reset", timeout=10).json() == {"ok": True}
    assert 29 in unposted_ids(api)
    assert api("GET", "finance/accounting/batches").json() == []
    assert api("GET", "finance/invoices/31/payments").json() == []


def test_invoices_and_procurement_follow_their_sizes():
    with RunningSim(records=10, sizes={"invoices": 60, "procurement": 7}) as sim:
        base = f"{sim.url}/v2025_1/apis/3.0/finance/accounting/"
        def count(kind: str) -> int:
            return requests.get(base + f"{kind}/count", headers=AUTH, timeout=10).json()["count"]

        assert count("unpostedinvoices") == 60 and count("unpostedprocurement") == 7
        assert requests.get(f"{sim.url}/_sim/health", timeout=5).json()["sizes"]["procurement"] == 7
