"""Documents on a transaction (issue 15): attach from the person's Drive or an upload, on a ledger
row or a review row; the file reaches Xero once — at once when the record is already there,
otherwise after its sync, and never again on a re-sync or a retried call; what cannot go is a
400 with the reason and the fix."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from tests.companies.xero_flow import xero_config
from tests.google.google_flow import add_drive_file, connect, google_config
from tests.integrations.helpers import sim_app_config
from tests.transactions.sync_world import (books_sim, client_as, start_sync, sync_sim, wait_done,  # noqa: F401
                                           world)
from wisesync.documents.models import TransactionAttachment
from wisesync.documents.sending import send_pending
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.simulator.faults import Fault
from wisesync.simulator.google_state import tiny_pdf, tiny_png
from wisesync.simulator.xero_data import NZ_TENANT_ID
from wisesync.transactions.models import LedgerEntry

PDF = tiny_pdf("Signed quote")


@pytest.fixture
def app_config(books_sim):
    return {**sim_app_config(books_sim), **xero_config(books_sim.url), **google_config(books_sim.url)}


def sync(client, company, **data) -> dict:
    done = wait_done(client, start_sync(client, company, **(data or {"all": "1"})))
    assert done["status"] == "succeeded", done
    return done


def entry(world, kind: str = "invoice") -> LedgerEntry:
    return db.session.scalars(select(LedgerEntry).where(LedgerEntry.company_id == world.nz.id,
                                                        LedgerEntry.kind == kind, LedgerEntry.xero_id != "")
                              .order_by(LedgerEntry.id)).first()


def page(company, kind, psa_id) -> str:
    return f"/documents/{company.id}/{kind}/{psa_id}"


def upload(client, company, kind, psa_id, name: str, content: bytes):
    import io

    return client.post(page(company, kind, psa_id) + "/upload", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def attachments(world) -> list[dict]:
    return world.documents(NZ_TENANT_ID)["attachments"]


def test_an_upload_on_a_synced_ledger_row_reaches_xero_once_and_a_resync_sends_nothing_again(client, world):
    sync(client, world.nz)
    row = entry(world)
    history = client.get(f"/sync/history?company={world.nz.id}").get_data(as_text=True)
    assert page(world.nz, "invoice", row.psa_id) in history and "Attach document" in history
    response = upload(client, world.nz, "invoice", row.psa_id, "Signed quote.pdf", PDF)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    [sent] = attachments(world)
    assert (sent["DocumentID"], sent["FileName"], sent["MimeType"], sent["ContentLength"], sent["Writes"]) == (
        row.xero_id, "Signed quote.pdf", "application/pdf", len(PDF), 1)
    att = db.session.scalar(select(TransactionAttachment))
    assert (att.state, att.ledger_entry_id, att.xero_attachment_id, att.content) == (
        "sent", row.id, sent["AttachmentID"], None)
    sync(client, world.nz)  # a re-sync, and the periodic check, find nothing to send
    send_pending(world.nz.id)
    assert [a["Writes"] for a in attachments(world)] == [1]
    assert "Sent" in client.get(page(world.nz, "invoice", row.psa_id)).get_data(as_text=True)


def test_a_document_attached_on_the_review_goes_with_the_sync_once(client, world):
    review = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert "Attach document" in review
    response = upload(client, world.nz, "invoice", "1", "quote.pdf", PDF)
    assert response.status_code == 303
    assert "goes to Xero when" in client.get(page(world.nz, "invoice", "1")).get_data(as_text=True)
    assert attachments(world) == []
    sync(client, world.nz)
    invoice = db.session.scalar(select(LedgerEntry).where(LedgerEntry.company_id == world.nz.id,
                                                          LedgerEntry.kind == "invoice", LedgerEntry.psa_id == "1"))
    assert [(a["DocumentID"], a["Writes"]) for a in attachments(world)] == [(invoice.xero_id, 1)]
    sync(client, world.nz)
    assert [a["Writes"] for a in attachments(world)] == [1]


def test_a_bill_pdf_picked_from_drive_is_attached_to_the_xero_bill(client, world):
    sync(client, world.nz)
    bill = entry(world, "procurement")
    assert connect(client, "ada@gmail.example").status_code == 303
    listing = client.get(page(world.nz, "procurement", bill.psa_id) + "?q=supplier").get_data(as_text=True)
    assert "Supplier bill VINV-70001.pdf" in listing and "Signed quote" not in listing
    response = client.post(page(world.nz, "procurement", bill.psa_id) + "/drive", data={"file_id": "1AcmeSupplierBill0001"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    [sent] = attachments(world)
    assert (sent["DocumentID"], sent["FileName"], sent["Writes"]) == (bill.xero_id, "Supplier bill VINV-70001.pdf", 1)
    att = db.session.scalar(select(TransactionAttachment))
    assert (att.source, att.drive_file_id, att.state) == ("drive", "1AcmeSupplierBill0001", "sent")


def test_the_drive_search_filters_by_type_and_date_and_hides_the_bin_and_google_docs(client, world):
    connect(client, "ada@gmail.example")
    everything = client.get(page(world.nz, "invoice", "1")).get_data(as_text=True)
    assert "Delivery receipt.png" in everything and "Signed quote Q-10001.pdf" in everything
    assert "Old contract.pdf" not in everything and "Budget 2027" not in everything
    images = client.get(page(world.nz, "invoice", "1") + "?type=image").get_data(as_text=True)
    assert "Delivery receipt.png" in images and "Signed quote" not in images
    recent = client.get(page(world.nz, "invoice", "1") + "?after=2026-11-19").get_data(as_text=True)
    assert "Supplier bill" in recent and "Signed quote" not in recent


def test_a_credit_note_attachment_goes_to_the_credit_note(client, world):
    sync(client, world.nz)
    credit = entry(world, "credit")
    assert upload(client, world.nz, "credit", credit.psa_id, "receipt.png", tiny_png()).status_code == 303
    [sent] = attachments(world)
    assert (sent["DocumentID"], sent["MimeType"]) == (credit.xero_id, "image/png")


def test_a_15_mb_file_is_refused_with_a_400_and_the_limit(client, world):
    response = upload(client, world.nz, "invoice", "1", "scan.pdf", b"%PDF-1.4\n" + b"0" * (15 * 1024 * 1024))
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "15.0 MB" in text and "up to 10 MB" in text
    assert db.session.scalar(select(TransactionAttachment)) is None


def test_a_renamed_exe_is_refused_with_a_400_whatever_its_name(client, world):
    response = upload(client, world.nz, "invoice", "1", "invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Windows program" in text and "whatever its name says" in text
    assert db.session.scalar(select(TransactionAttachment)) is None


def test_a_too_large_or_google_docs_drive_file_is_refused_before_download(client, world, books_sim):
    connect(client, "ada@gmail.example")
    big = add_drive_file(books_sim, "ada@gmail.example", "Huge scan.pdf", size=15 * 1024 * 1024)
    response = client.post(page(world.nz, "invoice", "1") + "/drive", data={"file_id": big["id"]})
    assert response.status_code == 400 and "Huge scan.pdf is 15.0 MB" in response.get_data(as_text=True)
    docs = client.post(page(world.nz, "invoice", "1") + "/drive", data={"file_id": "1BudgetSheet00000005"})
    assert docs.status_code == 400 and "Google Docs file" in docs.get_data(as_text=True)


def test_a_revoked_google_grant_says_reconnect_google(client, world, books_sim):
    connect(client, "ada@gmail.example")
    grant = next(iter(books_sim.state.google.grants.values()))
    requests.post(books_sim.url + "/google/revoke", data={"token": grant.refresh_token}, timeout=10).raise_for_status()
    response = client.post(page(world.nz, "invoice", "1") + "/drive", data={"file_id": "1SignedQuote00000002"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "Reconnect Google" in text
    assert "Reconnect Google" in client.get("/google").get_data(as_text=True)


def test_the_same_file_twice_on_one_record_is_refused_and_two_scans_with_one_name_both_go(client, world):
    sync(client, world.nz)
    row = entry(world)
    assert upload(client, world.nz, "invoice", row.psa_id, "scan.pdf", PDF).status_code == 303
    again = upload(client, world.nz, "invoice", row.psa_id, "copy.pdf", PDF)
    assert again.status_code == 400 and "already attached" in again.get_data(as_text=True)
    assert upload(client, world.nz, "invoice", row.psa_id, "scan.pdf", tiny_pdf("Page 2")).status_code == 303
    assert sorted(a["FileName"] for a in attachments(world)) == ["scan (2).pdf", "scan.pdf"]


def test_a_dropped_answer_from_xero_is_retried_with_the_same_key_and_stored_once(client, world, books_sim):
    sync(client, world.nz)
    row = entry(world)
    drop = Fault(kind="drop", target="xero", path="/Attachments/", count=1)
    books_sim.state.faults.add(drop)
    assert upload(client, world.nz, "invoice", row.psa_id, "quote.pdf", PDF).status_code == 303
    assert drop.fired == 1
    [sent] = attachments(world)
    assert sent["Writes"] == 1
    assert db.session.scalar(select(TransactionAttachment)).state == "sent"


def test_an_attachment_left_sending_by_a_dead_worker_is_adopted_not_sent_again(client, world):
    sync(client, world.nz)
    row = entry(world)
    assert upload(client, world.nz, "invoice", row.psa_id, "quote.pdf", PDF).status_code == 303
    # As if the worker died after Xero stored the file but before the ledger said so.
    db.session.execute(update(TransactionAttachment).values(state="sending", content=PDF,
                                                            updated_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert send_pending(world.nz.id)["adopted"] == 1
    assert [a["Writes"] for a in attachments(world)] == [1]
    assert db.session.scalar(select(TransactionAttachment)).state == "sent"


def test_a_xero_connection_without_the_attachments_scope_says_reconnect_xero(client, world, books_sim):
    sync(client, world.nz)
    row = entry(world)
    for grant in books_sim.state.xero.grants.grants:  # as if connected before Wise-Sync asked for it
        grant.scope = grant.scope.replace("accounting.attachments", "").strip()
    assert upload(client, world.nz, "invoice", row.psa_id, "quote.pdf", PDF).status_code == 303
    att = db.session.scalar(select(TransactionAttachment))
    assert att.state == "failed" and "accounting.attachments" in att.reason and "Reconnect Xero" in att.fix
    text = client.get(page(world.nz, "invoice", row.psa_id)).get_data(as_text=True)
    assert "Refused" in text and "Send again" in text
    assert attachments(world) == []


def test_a_file_xero_refuses_is_failed_with_xeros_reason(client, world, books_sim):
    sync(client, world.nz)
    row = entry(world)
    org = books_sim.state.xero.orgs[NZ_TENANT_ID]
    org.__dict__.setdefault("attachments", {})[row.xero_id] = [
        {"FileName": f"old{i}.pdf", "AttachmentID": str(i), "Url": "", "MimeType": "application/pdf",
         "ContentLength": 1, "IncludeOnline": False, "content": b"x", "sha256": "", "received_at": 0}
        for i in range(10)]
    assert upload(client, world.nz, "invoice", row.psa_id, "eleventh.pdf", PDF).status_code == 303
    att = db.session.scalar(select(TransactionAttachment))
    assert att.state == "failed" and "at most 10 attachments" in att.reason


def test_only_people_who_may_sync_the_company_reach_its_documents(app, client, world):
    uma = client_as(app, world.user)  # NZ ticked, AU not
    assert uma.get(page(world.nz, "invoice", "1")).status_code == 200
    assert uma.get(page(world.au, "invoice", "2")).status_code == 403
    assert uma.post(page(world.au, "invoice", "2") + "/upload").status_code == 403
    assert client.get(page(world.nz, "payment", "1")).status_code == 404
    assert client.get(f"/documents/{world.au.id + 999}/invoice/1").status_code == 404


def test_drive_is_always_the_persons_own(app, client, world, books_sim):
    connect(client, "ada@gmail.example")  # the admin's Google
    add_drive_file(books_sim, "ada@gmail.example", "Ada private.pdf", content=tiny_pdf("private"))
    uma = client_as(app, world.user)
    text = uma.get(page(world.nz, "invoice", "1")).get_data(as_text=True)
    assert "Ada private.pdf" not in text and "Connect Google Account" in text
    refused = uma.post(page(world.nz, "invoice", "1") + "/drive", data={"file_id": "1SignedQuote00000002"})
    assert refused.status_code in (400, 502) and "not connected a Google account" in refused.get_data(as_text=True)


def test_xero_down_leaves_the_file_waiting_with_the_reason_and_the_periodic_check_sends_it_once(client, world,
                                                                                               books_sim):
    from wisesync.documents.sending import send_all_waiting

    sync(client, world.nz)
    row = entry(world)
    books_sim.state.faults.add(Fault(kind="500", target="xero", path="/Attachments/"))
    assert upload(client, world.nz, "invoice", row.psa_id, "quote.pdf", PDF).status_code == 303
    att = db.session.scalar(select(TransactionAttachment))
    assert att.state == "pending" and att.reason.startswith("Not sent to Xero yet: Xero kept failing")
    assert "Waiting" in client.get(page(world.nz, "invoice", row.psa_id)).get_data(as_text=True)
    books_sim.state.faults.clear()
    send_all_waiting()
    send_all_waiting()
    assert [a["Writes"] for a in attachments(world)] == [1]
    db.session.expire_all()
    assert db.session.scalar(select(TransactionAttachment)).state == "sent"
