"""An Autotask sync run (issue 14): the selected (or all) unsynced invoices go to Xero as invoices
and credit notes, then each gets its webServiceDate by PATCH (validated by the simulator against
InvoiceModel), so it leaves the review; a failure names the cause and the fix."""
from __future__ import annotations

from decimal import Decimal

from tests.transactions.autotask_world import FIRST, at_two, at_world, entries, routable  # noqa: F401
from tests.transactions.sync_world import app_config, books_sim, by_key, start_sync, sync_sim, wait_done  # noqa: F401
from tests.transactions.test_review import rows
from wisesync.simulator.xero_data import AU_TENANT_ID

NZ_INVOICE, NZ_THIRDS, NZ_CREDIT, AU_INVOICE = FIRST, FIRST + 23, FIRST + 53, FIRST + 2


def sync(client, company, **data) -> dict:
    return wait_done(client, start_sync(client, company, **(data or {"all": "1"})))


def test_selected_invoices_and_a_credit_go_to_xero_and_are_marked_synced_in_autotask(client, at_world):
    keys = [f"invoice:{NZ_INVOICE}", f"invoice:{NZ_THIRDS}", f"credit:{NZ_CREDIT}"]
    data = sync(client, at_world.nz, records=keys)
    assert data["status"] == "succeeded", data
    assert data["counts"] == {"pushed": 3, "posted": 3, "adopted": 0, "blocked": 0, "failed": 0}, data
    assert {k: r["state"] for k, r in by_key(data).items()} == {k: "posted" for k in keys}
    docs = at_world.documents()
    assert {d["InvoiceNumber"] for d in docs["invoices"]} == {"10001", "10024"}
    (credit,) = docs["credit_notes"]
    assert credit["CreditNoteNumber"] == "10054" and Decimal(str(credit["Total"])) > 0
    thirds = next(d for d in docs["invoices"] if d["InvoiceNumber"] == "10024")
    assert Decimal(str(thirds["Total"])) == abs(Decimal(str(at_world.invoice(NZ_THIRDS)["invoiceTotal"])))
    dates = at_world.web_service_dates()
    assert set(dates) == {NZ_INVOICE, NZ_THIRDS, NZ_CREDIT}
    found = entries(at_world.nz)
    for invoice_id in dates:
        entry = found[str(invoice_id)]
        assert entry.state == "posted" and entry.xero_id and entry.psa_batch_identifier == dates[invoice_id]
        assert at_world.invoice(invoice_id)["webServiceDate"] == dates[invoice_id]
    page = client.get(f"/sync/{at_world.nz.id}").get_data(as_text=True)
    assert not set(keys) & set(rows(page))  # marked: no longer waiting


def start_sync_url(data) -> str:
    return f"/sync/runs/{data['id']}"


def test_the_run_page_says_marked_in_autotask(client, at_world):
    data = sync(client, at_world.nz, records=[f"invoice:{NZ_INVOICE}"])
    page = client.get(start_sync_url(data)).get_data(as_text=True)
    assert "Posted in Autotask" in page
    assert "marked synced in Autotask" in data["message"]


def test_sync_all_of_two_companies_sends_each_level_to_its_organisation(client, at_two):
    nz = sync(client, at_two.nz)
    au = sync(client, at_two.au)
    assert nz["status"] == au["status"] == "succeeded", (nz, au)
    assert au["counts"]["posted"] == len(routable(2)) and au["counts"]["blocked"] == 0
    assert nz["counts"]["posted"] + nz["counts"]["blocked"] == len(routable(1))
    au_numbers = at_two.numbers(AU_TENANT_ID)
    assert ("ACCREC", str(10001 + AU_INVOICE - FIRST)) in au_numbers
    assert not set(at_two.numbers()) & set(au_numbers)
    assert len(at_two.web_service_dates()) == nz["counts"]["posted"] + au["counts"]["posted"]


def test_a_refused_patch_fails_that_invoice_only_and_the_next_run_only_marks_it(client, at_world, sync_sim):
    from wisesync.simulator.at_invoices import writes_for

    writes_for(sync_sim.state).refuse_next("Invoice 10001 is locked by another user.")
    keys = [f"invoice:{NZ_INVOICE}", f"invoice:{NZ_THIRDS}"]
    data = sync(client, at_world.nz, records=keys)
    states = {k: r["state"] for k, r in by_key(data).items()}
    assert sorted(states.values()) == ["failed", "posted"], data
    failed = next(r for r in data["records"] if r["state"] == "failed")
    assert entries(at_world.nz)[failed["psa_id"]].state == "pushed"  # in Xero, waiting to be marked
    assert "Autotask" in failed["message"] and "marks it in Autotask; it is not sent to Xero again" in failed["fix"]
    before = at_world.numbers()
    again = sync(client, at_world.nz, records=[f"invoice:{failed['psa_id']}"])
    assert again["counts"]["pushed"] == 0 and again["counts"]["posted"] == 1, again
    assert at_world.numbers() == before and len(at_world.web_service_dates()) == 2


def test_a_missing_right_to_edit_invoices_stops_the_marking_with_the_fix(client, at_world, sync_sim):
    from wisesync.simulator.at_invoices import writes_for

    writes_for(sync_sim.state).refuse_next("User does not have the adequate permissions to update this entity.")
    data = sync(client, at_world.nz, records=[f"invoice:{NZ_INVOICE}", f"invoice:{NZ_THIRDS}"])
    assert data["counts"]["posted"] == 0 and data["counts"]["pushed"] == 2, data
    assert all("edit invoices" in r["fix"] for r in data["records"]), data
    assert at_world.web_service_dates() == {}
