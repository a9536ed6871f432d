"""The review (DESIGN §10.3): ConnectWise read live, records routed to the company by location,
each row's state (new / changed since synced / already in Xero / blocked + reason + fix), the
totals, and problems shown on the page instead of a 500."""
from __future__ import annotations

import re
from decimal import Decimal

from tests.builders import make_company
from tests.transactions.sync_world import (NZ_CODES, app_config, books_sim, start_sync, sync_sim, unpost,  # noqa: F401
                                           tick_locations, wait_done, world)
from wisesync.companies.models import CompanyLocation
from wisesync.extensions import db
from wisesync.simulator.faults import Fault
from wisesync.transactions.models import LedgerEntry
from wisesync.transactions.reading import review


def rows(page: str) -> dict[str, str]:
    """``"<kind>:<psa-id>"`` → the row's state, from the review table."""
    return dict(re.findall(r'<tr data-record="([^"]+)" data-state="([^"]+)">', page))


def row_html(page: str, key: str) -> str:
    start = page.index(f'<tr data-record="{key}"')
    return page[start:page.index("</tr>", start)]


def test_the_review_lists_this_companys_unposted_records_by_location(client, world):
    page = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    found = rows(page)
    # Auckland (odd) and Head Office (25): invoices, credit memo 13, purchase orders 1, 3, 5, 7.
    assert set(found) == ({f"invoice:{i}" for i in range(1, 31, 2) if i != 13} | {"credit:13"}
                          | {f"procurement:{j}" for j in (1, 3, 5, 7)})
    assert 'name="records" value="invoice:1"' in page and 'name="records" value="credit:13"' in page
    au = rows(client.get(f"/sync/{world.au.id}").get_data(as_text=True))
    assert "invoice:2" in au and "invoice:1" not in au and "credit:4" in au


def test_each_row_shows_number_customer_date_total_tax_and_state(client, world):
    page = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    first = row_html(page, "invoice:1")
    assert "10001" in first and "Tidewater Medical Group" in first and "2023-01-02" in first
    assert "1,579.33 NZD" in first and "162.83" in first and "New" in first
    bill = row_html(page, "procurement:1")
    assert "Purchase order" in bill and "VINV-70001" in bill


def test_blocked_rows_say_why_and_the_fix_and_cannot_be_ticked(client, world):
    page = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    found = rows(page)
    assert found["invoice:5"] == found["invoice:7"] == found["invoice:9"] == "blocked"
    no_gl = row_html(page, "invoice:5")
    assert "Invoice 10005 has no GL entries" in no_gl and "Fix: Close it with GL Reload" in no_gl
    assert "disabled" in no_gl
    assert "longer than Xero&#39;s 30 characters" in row_html(page, "invoice:7") or \
        "longer than Xero's 30 characters" in row_html(page, "invoice:7")
    mismatch = row_html(page, "invoice:9")
    assert "2245.73" in mismatch and "2244.48" in mismatch
    au = client.get(f"/sync/{world.au.id}").get_data(as_text=True)
    assert "has no billing contact" in row_html(au, "invoice:6")
    assert "GL account 4999" in row_html(au, "invoice:10")
    assert rows(au)["invoice:8"] == "new"  # 0.03 off: a rounding line, not a block


def test_totals_count_each_state_and_add_up(app, world):
    result = review(world.nz, world.admin)
    totals = result.totals
    assert totals["all"]["count"] == 19 and totals["new"]["count"] == 16 and totals["blocked"]["count"] == 3
    assert totals["all"]["amount"] == totals["new"]["amount"] + totals["blocked"]["amount"]
    assert totals["new"]["amount"] == Decimal("32401.27")  # the credit memo counts negative
    assert result.selectable == 16


def test_a_location_no_company_takes_is_blocked_with_the_fix(client, world):
    db.session.query(CompanyLocation).filter_by(company_id=world.nz.id, psa_location_id=3).delete()
    db.session.commit()
    page = client.get(f"/sync/{world.au.id}").get_data(as_text=True)
    assert rows(page)["invoice:25"] == "blocked"
    line = row_html(page, "invoice:25")
    assert "ConnectWise location 'Head Office' (id 3) is not ticked on any company" in page
    group = page[page.index('<details class="card" id="unmapped-1">'):]
    assert "1 unposted record no company takes" in group and "Fix: An account administrator ticks" in group
    assert "PSA locations" in group and "disabled" in line
    overview = client.get("/sync/").get_data(as_text=True)
    assert "1 unposted record" in overview and "no company takes" in overview


def test_the_one_company_without_locations_takes_the_rest(client, world):
    db.session.query(CompanyLocation).filter_by(company_id=world.nz.id, psa_location_id=3).delete()
    db.session.commit()
    rest = make_company(world.account, "Head Office Books", **NZ_CODES)
    found = rows(client.get(f"/sync/{rest.id}").get_data(as_text=True))
    assert set(found) == {"invoice:25"}
    assert "invoice:25" not in rows(client.get(f"/sync/{world.nz.id}").get_data(as_text=True))


def test_two_companies_without_locations_make_the_rest_ambiguous(client, world):
    db.session.query(CompanyLocation).filter_by(company_id=world.nz.id, psa_location_id=3).delete()
    db.session.commit()
    make_company(world.account, "First Catch All", **NZ_CODES)
    make_company(world.account, "Second Catch All", **NZ_CODES)
    page = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert rows(page)["invoice:25"] == "blocked" and "2 companies have no locations ticked" in page


def test_after_a_sync_the_rows_are_gone_and_an_unposted_one_shows_already_in_xero(client, world, sync_sim):
    wait_done(client, start_sync(client, world.nz, records=["invoice:1", "invoice:3"]))
    found = rows(client.get(f"/sync/{world.nz.id}").get_data(as_text=True))
    assert "invoice:1" not in found and "invoice:3" not in found
    entry = db.session.query(LedgerEntry).filter_by(kind="invoice", psa_id="1").one()
    unpost(sync_sim, entry)  # un-posted in ConnectWise
    page = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert rows(page)["invoice:1"] == "in_xero"
    assert "Already in Xero" in row_html(page, "invoice:1") and entry.xero_number in row_html(page, "invoice:1")


def test_a_record_whose_document_would_differ_shows_changed_since_synced(client, world, sync_sim):
    wait_done(client, start_sync(client, world.nz, records=["invoice:3"]))
    entry = db.session.query(LedgerEntry).filter_by(kind="invoice", psa_id="3").one()
    unpost(sync_sim, entry)
    world.nz.document_status = "AUTHORISED"  # the same record now maps to another document
    db.session.commit()
    page = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert rows(page)["invoice:3"] == "changed"
    assert "Changed since synced" in row_html(page, "invoice:3")


def test_connectwise_down_is_a_problem_on_the_page_not_a_500(client, world, sync_sim):
    sync_sim.state.faults.add(Fault(kind="500", target="cw-rest", path="unpostedinvoices"))
    response = client.get(f"/sync/{world.nz.id}")
    assert response.status_code == 200
    assert "Could not read ConnectWise" in response.get_data(as_text=True)
    assert client.get("/sync/").status_code == 200
    assert "Could not read the unposted records" in client.get("/sync/").get_data(as_text=True)


def test_a_missing_accounting_right_names_the_connectwise_setting(client, world, sync_sim):
    sync_sim.state.faults.add(Fault(kind="deny", target="cw-rest", right="accounting"))
    page = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert "Accounting Interface" in page


def test_a_company_without_xero_still_lists_its_records_and_says_connect(client, world):
    company = make_company(world.account, "Unconnected Ltd", **NZ_CODES)
    tick_locations(company, set())
    db.session.query(CompanyLocation).filter_by(company_id=world.nz.id, psa_location_id=3).delete()
    db.session.commit()
    page = client.get(f"/sync/{company.id}").get_data(as_text=True)
    assert "is not connected to a Xero organisation" in page and "Connect Xero" in page
    assert rows(page) == {"invoice:25": "new"}


def test_reading_twice_is_read_only(client, world, sync_sim):
    client.get(f"/sync/{world.nz.id}")
    client.get(f"/sync/{world.nz.id}")
    assert sync_sim.state.cw_books.batch_list() == []
    assert world.documents()["invoices"] == []
    assert db.session.query(LedgerEntry).count() == 0
