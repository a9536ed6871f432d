"""The review for an Autotask account (issue 14): its invoices with no webServiceDate (voided ones
left out), billing items as lines, negative invoices as credit notes, routed to the company (one
company takes all; with several, by organisational level), each row's state and the problems
of the page; the /sync overview counts them."""
from __future__ import annotations

from tests.transactions.autotask_world import FIRST, at_two, at_world, routable, unsynced  # noqa: F401
from tests.transactions.sync_world import app_config, books_sim, sync_sim  # noqa: F401
from tests.transactions.test_review import row_html, rows
from wisesync.simulator import at_data
from wisesync.simulator.faults import Fault


def expected_keys(invoices) -> set[str]:
    return {f"{'credit' if i['invoiceTotal'] < 0 else 'invoice'}:{i['id']}" for i in invoices}


def test_one_company_takes_every_unsynced_invoice_and_voided_or_synced_ones_are_not_listed(client, at_world):
    page = client.get(f"/sync/{at_world.nz.id}").get_data(as_text=True)
    found = rows(page)
    assert set(found) == expected_keys(unsynced())
    assert f"invoice:{FIRST + 1}" not in found  # synced before: it has its webServiceDate
    assert f"invoice:{FIRST + 9}" not in found and f"credit:{FIRST + 9}" not in found  # voided
    assert f'name="records" value="credit:{FIRST + 33}"' in page  # a negative invoice is a credit note
    assert "Autotask identity" in page and "the Autotask API user in Integration Settings" in page
    assert "every Autotask organisational level no other company names" in page


def test_rows_show_number_customer_total_and_state_and_blocked_ones_say_why(client, at_world):
    page = client.get(f"/sync/{at_world.nz.id}").get_data(as_text=True)
    found = rows(page)
    first = row_html(page, f"invoice:{FIRST}")  # company 0: tax exempt, New Zealand
    assert "10001" in first and at_data.company_name(0) in first and "New" in first
    assert found[f"invoice:{FIRST}"] == "new"
    # Australian GST (10 %) does not add up in the New Zealand organisation (15 %): blocked.
    au_invoice = routable(2)[0]
    blocked = row_html(page, f"invoice:{au_invoice['id']}")
    assert found[f"invoice:{au_invoice['id']}"] == "blocked" and "disabled" in blocked
    assert "Autotask&#39;s total is" in blocked or "Autotask's total is" in blocked
    # A third of an hour billed (7 decimals): mapped, not blocked.
    assert found[f"invoice:{FIRST + 23}"] == "new"


def test_several_companies_route_by_organisational_level(client, at_two):
    nz = rows(client.get(f"/sync/{at_two.nz.id}").get_data(as_text=True))
    au_page = client.get(f"/sync/{at_two.au.id}").get_data(as_text=True)
    au = rows(au_page)
    assert set(nz) == expected_keys(routable(1)) and set(au) == expected_keys(routable(2))
    assert "organisational levels id 2" in au_page
    assert set(au.values()) <= {"new"}, au  # Australian invoices add up in the AU organisation


def test_a_level_no_company_takes_is_blocked_with_the_fix(client, at_two):
    from wisesync.companies.models import CompanyLocation
    from wisesync.extensions import db

    db.session.query(CompanyLocation).filter_by(company_id=at_two.au.id).delete()
    db.session.commit()  # AU takes nothing now, NZ level 1: level 2 has two possible takers
    page = client.get(f"/sync/{at_two.nz.id}").get_data(as_text=True)
    assert "Autotask organisational level id 2 is not taken by any company" not in page
    au_page = client.get(f"/sync/{at_two.au.id}").get_data(as_text=True)
    assert set(rows(au_page)) == expected_keys(routable(2))  # the only company with no levels takes it


def test_the_overview_counts_each_companys_invoices_and_credit_notes(client, at_world):
    page = client.get("/sync/").get_data(as_text=True)
    assert "Tasked NZ Ltd" in page
    invoices = unsynced()
    credits = sum(1 for i in invoices if i["invoiceTotal"] < 0)
    assert f"{len(invoices) - credits} invoices, {credits} negative invoices (credit notes in Xero)" in page


def test_autotask_unreachable_is_a_problem_on_the_page_not_a_500(client, at_world, sync_sim):
    sync_sim.state.faults.add(Fault(kind="auth", target="at"))
    response = client.get(f"/sync/{at_world.nz.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Could not read Autotask: Autotask rejected the API username" in page
    assert "Fix:" in page


def test_posting_a_record_that_is_not_waiting_is_refused_with_the_reason(client, at_world):
    response = client.post(f"/sync/{at_world.nz.id}", data={"records": [f"invoice:{FIRST + 1}"]})
    assert response.status_code == 400
    assert f"No unposted invoice with id {FIRST + 1} in Autotask" in response.get_data(as_text=True)
