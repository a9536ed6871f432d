"""The simulated Xero attachments against Xero's own OpenAPI file (createInvoiceAttachmentByFileName,
getInvoiceAttachments, the CreditNotes twins), and the rules it enforces that the file cannot say."""
from __future__ import annotations

import pytest
import requests

from tests.xero_spec import SIM_SCOPES, on_spec_server, sim_tokens, specs_available, validate, xero_accounting_spec
from wisesync.simulator.google_state import tiny_pdf
from wisesync.simulator.xero_data import NZ_TENANT_ID

pytestmark = [pytest.mark.skipif(not specs_available(), reason="!!! Xero OpenAPI fixtures not found !!!"),
              pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")]
SCOPES = SIM_SCOPES + " accounting.attachments"


@pytest.fixture
def xero(psa_sim):
    psa_sim.state.xero.reset()
    yield psa_sim
    psa_sim.state.xero.reset()


def answer_matches_spec(response) -> bool:
    """The answer against the spec. The request body is not checked: the spec types it
    ``format: byte`` (base64 text), but Xero and its SDKs send the file's raw bytes."""
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    prepared = response.request.copy()
    prepared.url = on_spec_server(prepared.url)
    xero_accounting_spec().validate_response(RequestsOpenAPIRequest(prepared), RequestsOpenAPIResponse(response))
    return True


def _headers(token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token}", "xero-tenant-id": NZ_TENANT_ID, "Accept": "application/json", **extra}


def _invoice(base: str, token: str) -> str:
    answer = requests.put(f"{base}/xero/api/api.xro/2.0/Invoices", headers=_headers(token), timeout=10, json={
        "Invoices": [{"Type": "ACCPAY", "Contact": {"Name": "Supplier Co"}, "Date": "2026-01-16",
                      "InvoiceNumber": "PO-77", "LineItems": [{"Description": "Switch", "Quantity": 1,
                                                                "UnitAmount": 400, "AccountCode": "5000"}]}]})
    assert answer.status_code == 200, answer.text
    return answer.json()["Invoices"][0]["InvoiceID"]


def _put(base, token, doc_id, name, body, mime="application/octet-stream", parent="Invoices", **headers):
    return requests.put(f"{base}/xero/api/api.xro/2.0/{parent}/{doc_id}/Attachments/{name}", data=body,
                        headers=_headers(token, **{"Content-Type": mime, **headers}), timeout=30)


def test_put_and_list_answer_as_the_spec_says_and_the_documents_listing_shows_them(xero):
    token = sim_tokens(xero.url, [NZ_TENANT_ID], scope=SCOPES)["access_token"]
    doc = _invoice(xero.url, token)
    pdf = tiny_pdf("Bill")
    put = _put(xero.url, token, doc, "bill.pdf", pdf, **{"Idempotency-Key": "k1"})
    assert put.status_code == 200 and answer_matches_spec(put)
    [made] = put.json()["Attachments"]
    assert (made["FileName"], made["MimeType"], made["ContentLength"]) == ("bill.pdf", "application/pdf", len(pdf))
    listing = requests.get(f"{xero.url}/xero/api/api.xro/2.0/Invoices/{doc}/Attachments", headers=_headers(token),
                           timeout=10)
    assert listing.status_code == 200 and validate(listing)
    assert [a["AttachmentID"] for a in listing.json()["Attachments"]] == [made["AttachmentID"]]
    replay = _put(xero.url, token, doc, "bill.pdf", pdf, **{"Idempotency-Key": "k1"})
    assert replay.json()["Attachments"][0]["AttachmentID"] == made["AttachmentID"]
    raw = requests.get(f"{xero.url}/xero/api/api.xro/2.0/Invoices/{doc}/Attachments/bill.pdf",
                       headers=_headers(token), timeout=10)
    assert raw.content == pdf
    [listed] = requests.get(f"{xero.url}/_sim/xero/{NZ_TENANT_ID}/documents", timeout=10).json()["attachments"]
    assert (listed["DocumentID"], listed["Writes"]) == (doc, 1)  # the replay stored nothing
    bills = requests.get(f"{xero.url}/_sim/xero/{NZ_TENANT_ID}/documents", timeout=10).json()["bills"]
    assert bills[0]["HasAttachments"] is True


def test_what_xero_refuses(xero):
    token = sim_tokens(xero.url, [NZ_TENANT_ID], scope=SCOPES)["access_token"]
    doc = _invoice(xero.url, token)
    assert _put(xero.url, token, doc, "tool.exe", b"MZ\x90").status_code == 400
    assert _put(xero.url, token, doc, "empty.pdf", b"").status_code == 400
    assert _put(xero.url, token, doc, "big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)).status_code == 413
    assert _put(xero.url, token, "00000000-0000-0000-0000-000000000001", "a.pdf", b"%PDF-").status_code == 404
    for i in range(10):
        assert _put(xero.url, token, doc, f"p{i}.pdf", b"%PDF-" + bytes([i])).status_code == 200
    eleventh = _put(xero.url, token, doc, "p10.pdf", b"%PDF-x")
    assert eleventh.status_code == 400 and "at most 10" in eleventh.json()["Message"]
    assert _put(xero.url, token, doc, "p3.pdf", b"%PDF-new").status_code == 200  # same name replaces


def test_without_the_attachments_scope_xero_says_forbidden(xero):
    token = sim_tokens(xero.url, [NZ_TENANT_ID])["access_token"]
    doc = _invoice(xero.url, token)
    answer = _put(xero.url, token, doc, "bill.pdf", b"%PDF-")
    assert answer.status_code == 403 and answer.json()["Detail"] == "AuthorizationUnsuccessful"
