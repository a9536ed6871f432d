"""XeroClient against the simulated Xero Accounting API (no Flask app needed): settings reads,
lookups, PUTs with per-element results, exact amounts, Idempotency-Key replay, Xero's rules,
rate limits, faults, and every request checked against xero_accounting.yaml."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests

from tests.accounting.fakes import Limiter
from tests.accounting.sim import (Recorder, consent, sim_settings, sleepless, validate_accounting_request)
from tests.xero_spec import specs_available
from wisesync.accounting.errors import (XeroAuthError, XeroBadResponse, XeroForbidden, XeroRateLimited,
                                        XeroUnavailable)
from wisesync.accounting.xero import XeroClient, XeroOAuth, parse_ms_date
from wisesync.simulator.faults import Fault
from wisesync.simulator.xero_data import AU_TENANT_ID, NZ_TENANT_ID

pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")


@pytest.fixture
def sim(psa_sim):
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()
    yield psa_sim
    psa_sim.state.xero.reset()
    psa_sim.state.faults.clear()


@pytest.fixture
def tokens(sim):
    return consent(sim.url, XeroOAuth(sim_settings(sim.url), policy=sleepless()), [NZ_TENANT_ID])


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make(sim, tokens, recorder, sleeps):
    def make(tenant=NZ_TENANT_ID, limiter=None, session=None, **policy):
        return XeroClient(sim_settings(sim.url), tokens.access_token, tenant,
                          session or recorder.session, limiter, policy=sleepless(sleeps, **policy))
    return make


def documents(sim, tenant=NZ_TENANT_ID) -> dict:
    answer = requests.get(f"{sim.url}/_sim/xero/{tenant}/documents", timeout=10)
    answer.raise_for_status()
    return answer.json(parse_float=Decimal)


def org_settings(sim, tenant=NZ_TENANT_ID, **values):
    requests.post(f"{sim.url}/_sim/xero/{tenant}/settings", json=values, timeout=10).raise_for_status()


def contact(number: str, name: str) -> dict:
    return {"Name": name, "ContactNumber": number, "EmailAddress": f"{number.lower()}@example.com"}


def invoice(number: str, contact_number: str, name: str, *, account="4000", amount="12.3456",
            quantity="2.0000", when=date(2026, 5, 1)) -> dict:
    return {"Type": "ACCREC", "InvoiceNumber": number, "Date": when, "DueDate": date(2026, 5, 31),
            "Contact": {"Name": name, "ContactNumber": contact_number}, "LineAmountTypes": "Exclusive",
            "Status": "DRAFT", "Reference": f"CW {number}",
            "LineItems": [{"Description": "Services", "Quantity": Decimal(quantity),
                           "UnitAmount": Decimal(amount), "AccountCode": account, "TaxType": "OUTPUT2"}]}


# -- reads -----------------------------------------------------------------------------------

def test_settings_reads_give_the_demo_organisation(make):
    xero = make()
    assert xero.organisation()["Name"] == "Wisesim NZ Ltd"
    active = {r["TaxType"] for r in xero.tax_rates() if r["Status"] == "ACTIVE"}
    assert {"OUTPUT2", "INPUT2", "EXEMPTOUTPUT", "EXEMPTINPUT", "NONE"} <= active
    codes = {a["Code"] for a in xero.accounts()}
    assert {"4000", "4100", "4200", "5000", "860", "090"} <= codes and "4999" not in codes
    assert [c["Name"] for c in xero.tracking_categories()] == ["Region"]
    assert xero.items() == [] and xero.contacts() == [] and xero.invoices() == []
    assert xero.calls == 7


def test_tax_rates_come_back_exact_never_as_floats(make):
    rate = next(r for r in make().tax_rates() if r["TaxType"] == "OUTPUT2")
    # Whole numbers stay int (JSON has no decimal point to keep); fractions are Decimal.
    assert rate["EffectiveRate"] == Decimal("15") and not isinstance(rate["EffectiveRate"], float)


def test_the_au_organisation_is_reached_with_its_own_tenant_id(sim, make):
    tokens = consent(sim.url, XeroOAuth(sim_settings(sim.url), policy=sleepless()), [AU_TENANT_ID])
    xero = XeroClient(sim_settings(sim.url), tokens.access_token, AU_TENANT_ID, policy=sleepless())
    assert xero.organisation()["Name"] == "Wisesim AU Pty"


# -- writes ----------------------------------------------------------------------------------

def test_contacts_created_are_found_by_number_and_by_a_name_with_quotes(make):
    xero = make()
    made = xero.put_contacts([contact("ACME1", "Acme Ltd"), contact("BOB2", 'Bob "The Builder" Ltd')], "c-1")
    assert not any(c.get("HasValidationErrors") for c in made) and all(c["ContactID"] for c in made)
    assert [c["Name"] for c in xero.contacts(contact_numbers=["ACME1"])] == ["Acme Ltd"]
    assert [c["ContactNumber"] for c in xero.contacts(names=['Bob "The Builder" Ltd'])] == ["BOB2"]
    both = xero.contacts(contact_numbers=["ACME1", "NOPE"], names=['Bob "The Builder" Ltd'])
    assert sorted(c["ContactNumber"] for c in both) == ["ACME1", "BOB2"]


def test_a_duplicate_contact_name_fails_only_its_element(make):
    xero = make()
    xero.put_contacts([contact("ACME1", "Acme Ltd")], "c-1")
    made = xero.put_contacts([contact("ACME9", "Acme Ltd"), contact("NEW1", "New Co")], "c-2")
    assert made[0].get("HasValidationErrors") is True
    assert "unique" in " ".join(e["Message"] for e in made[0]["ValidationErrors"]).lower()
    assert made[1].get("ContactID") and not made[1].get("HasValidationErrors")


def test_invoice_amounts_arrive_exactly_and_come_back_as_decimals(sim, make):
    xero = make()
    made = xero.put_invoices([invoice("CW-1001", "ACME1", "Acme Ltd")], "i-1")
    assert made[0]["HasErrors"] is False and made[0]["InvoiceID"]
    line = made[0]["LineItems"][0]
    assert line["UnitAmount"] == Decimal("12.3456") and isinstance(line["UnitAmount"], Decimal)
    stored = documents(sim)["invoices"][0]
    assert stored["LineItems"][0]["UnitAmount"] == Decimal("12.3456")
    assert stored["LineItems"][0]["Quantity"] == Decimal("2")
    assert parse_ms_date(made[0]["Date"]).date() == date(2026, 5, 1)


def test_one_bad_invoice_does_not_fail_the_others(sim, make):
    xero = make()
    made = xero.put_invoices([invoice("CW-1", "ACME1", "Acme Ltd"),
                              invoice("CW-2", "ACME1", "Acme Ltd", account="4999"),
                              invoice("CW-3", "ACME1", "Acme Ltd")], "i-2")
    assert [m["HasErrors"] for m in made] == [False, True, False]
    assert "4999" in " ".join(e["Message"] for e in made[1]["ValidationErrors"])
    assert sorted(i["InvoiceNumber"] for i in documents(sim)["invoices"]) == ["CW-1", "CW-3"]


def test_invoice_numbers_are_unique_and_found_by_number(make):
    xero = make()
    xero.put_invoices([invoice("CW-7", "ACME1", "Acme Ltd"), invoice("CW-8", "ACME1", "Acme Ltd")], "i-3")
    again = xero.put_invoices([invoice("CW-7", "ACME1", "Acme Ltd")], "i-4")
    assert again[0]["HasErrors"] is True
    found = xero.invoices(numbers=["CW-7", "CW-8", "CW-404"])
    assert sorted(i["InvoiceNumber"] for i in found) == ["CW-7", "CW-8"]
    by_id = xero.invoices(ids=[found[0]["InvoiceID"]])
    assert [i["InvoiceNumber"] for i in by_id] == [found[0]["InvoiceNumber"]]


def test_a_replayed_idempotency_key_creates_nothing_twice(sim, make):
    xero = make()
    first = xero.put_invoices([invoice("CW-50", "ACME1", "Acme Ltd")], "replay-1")
    second = xero.put_invoices([invoice("CW-50", "ACME1", "Acme Ltd")], "replay-1")
    assert second[0]["InvoiceID"] == first[0]["InvoiceID"] and second[0]["HasErrors"] is False
    assert len(documents(sim)["invoices"]) == 1


def test_a_document_before_the_lock_date_is_refused_in_place(sim, make):
    org_settings(sim, period_lock_date="2026-04-30")
    made = make().put_invoices([invoice("CW-60", "ACME1", "Acme Ltd", when=date(2026, 4, 1)),
                                invoice("CW-61", "ACME1", "Acme Ltd", when=date(2026, 5, 1))], "lock-1")
    assert [m["HasErrors"] for m in made] == [True, False]
    assert "lock date" in " ".join(e["Message"] for e in made[0]["ValidationErrors"]).lower()


def test_bills_credit_notes_and_items(sim, make):
    xero = make()
    items = xero.put_items([{"Code": "MSP-GOLD", "Name": "Managed services", "IsSold": True,
                             "SalesDetails": {"UnitPrice": Decimal("149.9950"), "AccountCode": "4200",
                                              "TaxType": "OUTPUT2"}}], "it-1")
    assert items[0]["Code"] == "MSP-GOLD"
    assert [i["Code"] for i in xero.items()] == ["MSP-GOLD"]
    too_long = xero.put_items([{"Code": "X" * 31, "Name": "Too long"}], "it-2")
    assert too_long[0].get("ValidationErrors")
    bill = {"Type": "ACCPAY", "InvoiceNumber": "V-77", "Reference": "PO-5001", "Date": date(2026, 5, 2),
            "DueDate": date(2026, 6, 1), "Contact": {"Name": "Ingram Micro", "ContactNumber": "INGRAM"},
            "LineItems": [{"Description": "Switch", "Quantity": Decimal("3"), "UnitAmount": Decimal("120.50"),
                           "AccountCode": "5000", "TaxType": "INPUT2"}]}
    assert xero.put_invoices([bill], "b-1")[0]["HasErrors"] is False
    credit = {"Type": "ACCRECCREDIT", "CreditNoteNumber": "CN-9", "Date": date(2026, 5, 3),
              "Contact": {"Name": "Acme Ltd", "ContactNumber": "ACME1"}, "LineAmountTypes": "Exclusive",
              "LineItems": [{"Description": "Refund", "Quantity": Decimal("1"), "UnitAmount": Decimal("50"),
                             "AccountCode": "4000", "TaxType": "OUTPUT2"}]}
    assert xero.put_credit_notes([credit], "cn-1")[0].get("HasErrors") in (False, None)
    assert [c["CreditNoteNumber"] for c in xero.credit_notes(numbers=["CN-9"])] == ["CN-9"]
    held = documents(sim)
    assert [b["InvoiceNumber"] for b in held["bills"]] == ["V-77"] and len(held["credit_notes"]) == 1
    assert xero.payments() == []


def test_paging_reads_every_invoice(make):
    xero = make()
    for batch in range(3):
        numbers = [f"P-{batch}-{n}" for n in range(50)]
        made = xero.put_invoices([invoice(n, "ACME1", "Acme Ltd") for n in numbers], f"page-{batch}")
        assert not any(m["HasErrors"] for m in made)
    xero.calls = 0
    assert len(xero.invoices()) == 150 and xero.calls == 2
    assert len(xero.invoices(page=2)) == 50


# -- failures --------------------------------------------------------------------------------

def test_a_token_xero_does_not_know_is_an_auth_error(sim):
    xero = XeroClient(sim_settings(sim.url), "not-a-real-token", NZ_TENANT_ID, policy=sleepless())
    with pytest.raises(XeroAuthError) as caught:
        xero.organisation()
    assert "not-a-real-token" not in str(caught.value.as_dict())


def test_an_organisation_the_grant_does_not_reach_is_forbidden(make):
    with pytest.raises(XeroForbidden) as caught:
        make(tenant=AU_TENANT_ID).organisation()
    assert caught.value.fix.startswith("Reconnect Xero")


def test_the_minute_limit_is_waited_for_and_seen_by_the_limiter(sim, make, sleeps):
    org_settings(sim, minute_limit=2)
    limiter = Limiter()
    xero = make(limiter=limiter, max_wait=0.0)
    xero.tax_rates()
    xero.accounts()
    with pytest.raises(XeroRateLimited) as caught:
        xero.items()
    assert caught.value.problem == "minute" and caught.value.retry_after and sleeps == []
    observed = [e[1] for e in limiter.events if isinstance(e, tuple)]
    assert observed[0]["X-MinLimit-Remaining"] == "1" and len(observed) == 3


def test_the_day_limit_stops_at_once(sim, make, sleeps):
    org_settings(sim, day_limit=1)
    xero = make(max_wait=10**9)
    xero.tax_rates()
    with pytest.raises(XeroRateLimited) as caught:
        xero.accounts()
    assert caught.value.problem == "day" and sleeps == [] and xero.calls == 2


def test_a_429_fault_is_waited_for_then_the_call_succeeds(sim, make, sleeps):
    sim.state.faults.add(Fault("429", target="xero", path="/TaxRates", count=1, retry_after=2))
    assert make().tax_rates() and sleeps == [2.0]


def test_a_500_on_a_get_is_retried_and_a_persistent_one_is_unavailable(sim, make, sleeps):
    sim.state.faults.add(Fault("500", target="xero", path="/Accounts", count=1))
    assert make().accounts() and len(sleeps) == 1
    with pytest.raises(XeroUnavailable):
        make(session=Recorder(fault="500").session, max_retries=1).accounts()


def test_a_500_on_a_put_is_retried_safely_under_its_idempotency_key(sim, make):
    sim.state.faults.add(Fault("500", target="xero", path="/Invoices", count=1))
    made = make().put_invoices([invoice("CW-90", "ACME1", "Acme Ltd")], "retry-90")
    assert made[0]["HasErrors"] is False and len(documents(sim)["invoices"]) == 1


@pytest.mark.parametrize("kind", ["malformed", "drop"])
def test_a_broken_answer_is_a_bad_response_or_unavailable(sim, make, kind):
    with pytest.raises((XeroBadResponse, XeroUnavailable)):
        make(session=Recorder(fault=kind).session, max_retries=0).tax_rates()


def test_a_slow_answer_times_out(sim, make):
    with pytest.raises(XeroUnavailable, match="did not answer"):
        make(session=Recorder(fault="slow;seconds=1").session, timeout=(2, 0.2), max_retries=0).tax_rates()


# -- the contract ----------------------------------------------------------------------------

@pytest.mark.skipif(not specs_available(), reason="!!! Xero OpenAPI fixtures not found !!!")
def test_every_request_sent_to_the_simulator_matches_xeros_description(make, recorder):
    xero = make()
    xero.organisation(), xero.tax_rates(), xero.accounts(), xero.tracking_categories(), xero.items()
    xero.put_contacts([contact("ACME1", 'Acme "Q" Ltd')], "k-1")
    xero.contacts(contact_numbers=["ACME1"], names=['Acme "Q" Ltd'])
    xero.put_invoices([invoice("CW-1", "ACME1", 'Acme "Q" Ltd')], "k-2")
    xero.invoices(numbers=["CW-1"], statuses=["DRAFT"])
    xero.credit_notes(numbers=["CN-1"])
    xero.payments()
    sent = [r for r in recorder.sent if "/api.xro/2.0/" in r.url]
    assert len(sent) == xero.calls == 12
    for prepared in sent:
        validate_accounting_request(prepared)
