"""Autotask customers' Xero contacts follow the company's phone and billing address (the
Autotask subset has no contact e-mail): the update step on its own, against a recording Xero,
with the links in the database (both databases)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.builders import make_account, make_company
from wisesync.accounting.errors import XeroUnavailable
from wisesync.transactions import ledger
from wisesync.transactions.autotask_mapping import customer_contact
from wisesync.transactions.contact_updates import update_contacts
from wisesync.transactions.models import TransactionRun
from wisesync.transactions.push import Pending, Pusher, StopRun, sent_fingerprint
from wisesync.extensions import db

COMPANY = {"id": 29680007, "companyName": "Kauri Dental", "companyNumber": "KAURI7", "phone": "09 555 0101",
           "billingAddress1": "7 Queen Street", "billToCity": "Auckland", "billToZipCode": "1010"}


class RecordingXero:
    def __init__(self, answers=None, fail=None):
        self.calls, self.answers, self.fail = [], list(answers or []), fail

    def update_contacts(self, contacts, key):
        self.calls.append((contacts, key))
        if self.fail is not None:
            raise self.fail
        if self.answers:
            return self.answers.pop(0)
        return [{**c, "HasValidationErrors": False} for c in contacts]


@pytest.fixture
def company(app):
    company = make_company(make_account("Tasked MSP", "autotask"), "Tasked NZ Ltd")
    run = TransactionRun(account_id=company.account_id, company_id=company.id, psa="autotask", status="running")
    db.session.add(run)
    db.session.commit()
    company.run_id = run.id
    return company


def pending(company_record, psa_id="29830001") -> Pending:
    contact = customer_contact(company_record)
    row = SimpleNamespace(kind="invoice", psa_id=psa_id, number=psa_id[-4:], blocked=False,
                          document=SimpleNamespace(counterparty_id=str(company_record["id"]), contact=contact))
    return Pending(row, ref=None)


def pusher(company, xero) -> Pusher:
    return Pusher(xero, company, company.run_id, None, links={"29680007": "c-7"}, psa="autotask")


def link(company, contact_fields: dict) -> None:
    ledger.save_contact_links(company.account_id, company.id, "autotask", {"29680007": ("c-7", "Kauri Dental")},
                              {"29680007": sent_fingerprint(contact_fields)})


def test_a_new_phone_and_address_are_sent_by_contact_id_once(company):
    link(company, {"Name": "Kauri Dental"})  # Xero created it from an invoice: the name only
    xero = RecordingXero()
    update_contacts(pusher(company, xero), [pending(COMPANY), pending(COMPANY, "29830002")])
    assert len(xero.calls) == 1
    (sent,), key = xero.calls[0]
    assert sent["ContactID"] == "c-7" and sent["Phones"][0]["PhoneNumber"] == "09 555 0101"
    assert sent["Addresses"][0]["AddressLine1"] == "7 Queen Street" and "ContactNumber" not in sent
    assert key.startswith("ws:batch:1:")
    again = RecordingXero()
    update_contacts(pusher(company, again), [pending(COMPANY)])  # a later sync, nothing changed
    assert again.calls == []
    moved = RecordingXero()
    update_contacts(pusher(company, moved), [pending({**COMPANY, "phone": "09 555 0202"})])
    assert moved.calls[0][0][0]["Phones"][0]["PhoneNumber"] == "09 555 0202"


def test_a_name_taken_in_xero_is_retried_without_it_and_warned_on_each_record(company):
    link(company, {"Name": "Kauri Dental"})
    taken = [{"ContactID": "00000000-0000-0000-0000-000000000000", "HasValidationErrors": True,
              "ValidationErrors": [{"Message": "The contact name Kauri Dental Group is already assigned to another "
                                               "contact. The contact name must be unique across all active "
                                               "contacts."}]}]
    xero = RecordingXero(answers=[taken])
    renamed = {**COMPANY, "companyName": "Kauri Dental Group"}
    update_contacts(pusher(company, xero), [pending(renamed)])
    assert [c[0][0].get("Name") for c in xero.calls] == ["Kauri Dental Group", None]  # then without the name
    record = ledger.record_outcome(company.run_id, "invoice", "29830001", "posted", commit=True)
    assert "Kauri Dental Group" in record.message and "Autotask" in record.message
    assert "phone were updated" in record.message and "Rename one of the two" in record.fix


def test_xero_down_warns_and_keeps_the_old_fingerprint_so_the_next_sync_retries(company):
    link(company, {"Name": "Kauri Dental"})
    down = RecordingXero(fail=XeroUnavailable("Xero did not answer.", "Try again later."))
    update_contacts(pusher(company, down), [pending(COMPANY)])
    record = ledger.record_outcome(company.run_id, "invoice", "29830001", "pushing", commit=True)
    assert "not updated" in record.message and "Xero did not answer" in record.message
    later = RecordingXero()
    update_contacts(pusher(company, later), [pending(COMPANY)])
    assert len(later.calls) == 1


def test_a_daily_cap_stops_the_run_before_any_document(company):
    from wisesync.accounting.errors import XeroRateLimited

    link(company, {"Name": "Kauri Dental"})
    capped = RecordingXero(fail=XeroRateLimited("Xero's daily limit is used up.", "Sync tomorrow.",
                                                retry_after=40000, problem="day"))
    with pytest.raises(StopRun):
        update_contacts(pusher(company, capped), [pending(COMPANY)])
