"""The ledger: models, keys and hashes, and the state changes around every external write."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.builders import make_account, make_company
from wisesync.extensions import db
from wisesync.transactions import ledger
from wisesync.transactions.ledger import (LedgerStateError, RecordRef, batch_identifier, batch_key,
                                          idempotency_key, payload_hash)
from wisesync.transactions.models import LedgerEntry, TransactionRun, TransactionRunRecord, XeroContactLink


@pytest.fixture
def company(app):
    return make_company(make_account())


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def entry(company, **kw) -> LedgerEntry:
    values = dict(account_id=company.account_id, company_id=company.id, psa="connectwise", kind="invoice",
                  psa_id="101", state="pushed")
    return LedgerEntry(**(values | kw))


def test_one_ledger_row_per_record_and_company(company):
    db.session.add(entry(company))
    db.session.commit()
    db.session.add(entry(company))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    other = make_company(make_account(name="Other"), name="Other Co")
    db.session.add_all([entry(company, kind="credit"), entry(company, psa_id="102"), entry(other)])
    db.session.commit()
    assert rows(LedgerEntry) == 4


def test_ledger_money_is_decimal_with_four_places(company):
    db.session.add(entry(company, total=Decimal("1234.5678"), document_date=date(2026, 11, 30)))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(select(LedgerEntry))
    assert stored.total == Decimal("1234.5678") and isinstance(stored.total, Decimal)
    assert stored.document_date == date(2026, 11, 30)


def test_the_database_refuses_two_active_runs_for_one_company(company):
    run = dict(account_id=company.account_id, company_id=company.id, psa="connectwise")
    db.session.add(TransactionRun(**run, status="running"))
    db.session.commit()
    db.session.add(TransactionRun(**run, status="queued"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add_all([TransactionRun(**run, status="succeeded"), TransactionRun(**run, status="failed")])
    other = make_company(make_account(name="B"), name="B Co")
    db.session.add(TransactionRun(account_id=other.account_id, company_id=other.id, psa="connectwise"))
    db.session.commit()
    assert rows(TransactionRun) == 4


def test_a_run_keeps_its_selection_and_counts_default_to_zero(company):
    run = TransactionRun(account_id=company.account_id, company_id=company.id, psa="connectwise")
    run.selected = ["invoice:7", "credit:9", "invoice:7"]
    db.session.add(run)
    db.session.commit()
    db.session.expire_all()
    run = db.session.get(TransactionRun, run.id)
    assert run.selected == ["credit:9", "invoice:7"] and run.status == "queued"
    assert run.counts == {"pushed": 0, "posted": 0, "adopted": 0, "blocked": 0, "failed": 0}
    run.selected = None
    assert run.selected is None


# --- keys and hashes -------------------------------------------------------------------------

def test_payload_hash_ignores_dict_order_number_formatting_and_info():
    a = {"id": 7, "total": Decimal("42.00"), "detail": [{"quantity": Decimal("-5"), "price": 7.0}],
         "_info": {"lastUpdated": "2026-11-30T10:00:00Z"}}
    b = {"detail": [{"price": Decimal("7.0000"), "quantity": -5}], "total": Decimal("42"), "id": 7,
         "_info": {"lastUpdated": "2026-12-01T09:00:00Z"}}
    assert payload_hash(a) == payload_hash(b) and len(payload_hash(a)) == 64
    assert payload_hash(a) != payload_hash(a | {"total": Decimal("42.01")})
    assert payload_hash({"x": "1"}) != payload_hash({"x": 1})  # a string is not a number
    assert payload_hash({"x": True}) != payload_hash({"x": 1})
    assert payload_hash({"x": Decimal("-0.00")}) == payload_hash({"x": 0})
    assert payload_hash({"lines": [1, 2]}) != payload_hash({"lines": [2, 1]})  # order of lines matters


def test_idempotency_key_is_deterministic_and_at_most_128_characters():
    key = idempotency_key(3, 12, "invoice", "4711", "ab" * 32)
    assert key == "ws:3:12:invoice:4711:" + "ab" * 8
    assert key == idempotency_key(3, 12, "invoice", "4711", "ab" * 32)
    assert key != idempotency_key(3, 12, "invoice", "4711", "cd" * 32)
    assert key != idempotency_key(3, 13, "invoice", "4711", "ab" * 32)
    long = idempotency_key(10**9, 10**9, "procurement", "P" * 200, "ab" * 32)
    assert len(long) <= 128 and long == idempotency_key(10**9, 10**9, "procurement", "P" * 200, "ab" * 32)
    assert long != idempotency_key(10**9, 10**9, "procurement", "P" * 199 + "Q", "ab" * 32)


def test_batch_key_depends_on_the_members_not_their_order():
    assert batch_key(["b", "a"]) == batch_key(["a", "b", "a"])
    assert batch_key(["a", "b"]) != batch_key(["a", "c"])
    assert len(batch_key([f"ws:1:1:invoice:{i}:{'f' * 16}" for i in range(50)])) <= 128
    with pytest.raises(ValueError):
        batch_key([])


@pytest.mark.parametrize("kind, psa_id, attempt, expected", [
    ("invoice", "4711", 0, "WS-I-4711-0123456789"),
    ("credit", "88", 0, "WS-C-88-0123456789"),
    ("procurement", "PO-1-3", 2, "WS-P-PO-1-3-0123456789-2"),
])
def test_batch_identifier_is_short_deterministic_and_names_the_record(kind, psa_id, attempt, expected):
    assert batch_identifier(kind, psa_id, "0123456789abcdef", attempt) == expected


def test_batch_identifier_of_a_long_id_still_fits_fifty_characters():
    ident = batch_identifier("procurement", "x" * 80, "f" * 64, attempt=12)
    assert len(ident) <= 50 and ident.startswith("WS-P-")
    assert ident == batch_identifier("procurement", "x" * 80, "f" * 64, 12)


# --- state changes ---------------------------------------------------------------------------

def ref(company, psa_id="101", **kw) -> RecordRef:
    values = dict(account_id=company.account_id, company_id=company.id, psa="connectwise", kind="invoice",
                  psa_id=psa_id,
                  payload_hash=payload_hash({"id": psa_id, **{k: str(v) for k, v in kw.items()}}),
                  number=f"INV-{psa_id}", counterparty="Acme Ltd", document_date=date(2026, 11, 30),
                  total=Decimal("115.0000"), currency="NZD", gl_entry_ids=(1504, 1505, 1510))
    return RecordRef(**(values | kw))


def make_run(company) -> TransactionRun:
    run = TransactionRun(account_id=company.account_id, company_id=company.id, psa="connectwise",
                         status="running", totals_json='{"records": 4}')
    db.session.add(run)
    db.session.commit()
    return run


def fresh(entry) -> LedgerEntry:
    """What another process would read now (everything the ledger did was committed)."""
    db.session.expire_all()
    return db.session.get(LedgerEntry, entry.id)


def test_begin_push_commits_pushing_with_key_and_hash_before_anything_else(company):
    r = ref(company)
    entry = ledger.begin_push(r)
    db.session.rollback()  # nothing pending: it was committed
    stored = fresh(entry)
    assert stored.state == "pushing" and stored.idempotency_key == r.key
    assert stored.payload_hash == r.payload_hash and stored.number == "INV-101"
    assert stored.total == Decimal("115") and stored.gl_entry_id_list == [1504, 1505, 1510]
    assert ledger.entry_by_key(r.key).id == entry.id


def test_the_full_path_pushing_pushed_posted(company):
    run = make_run(company)
    entry = ledger.begin_push(ref(company), run_id=run.id)
    ledger.record_pushed(entry, "xero-inv-1", "INV-101", "ACCREC", run_id=run.id)
    assert fresh(entry).state == "pushed" and fresh(entry).pushed_at is not None
    ledger.begin_post(entry, "WS-I-101-aaaaaaaaaa", run_id=run.id)
    assert fresh(entry).psa_batch_identifier == "WS-I-101-aaaaaaaaaa" and fresh(entry).state == "pushed"
    ledger.record_posted(entry, "WS-I-101-aaaaaaaaaa", 9001, run_id=run.id)
    stored = fresh(entry)
    assert (stored.state, stored.xero_id, stored.xero_type, stored.psa_batch_id) == (
        "posted", "xero-inv-1", "ACCREC", 9001)
    assert stored.last_run_id == run.id and stored.posted_at is not None
    assert ledger.run_counts(run.id) == {"pushed": 1, "posted": 1, "adopted": 0, "blocked": 0, "failed": 0}


def test_a_record_in_xero_is_never_pushed_again(company):
    entry = ledger.begin_push(ref(company))
    ledger.record_pushed(entry, "xero-inv-1", "INV-101", "ACCREC")
    with pytest.raises(LedgerStateError, match="already in Xero"):
        ledger.begin_push(ref(company, total=Decimal("116")))
    assert fresh(entry).state == "pushed" and fresh(entry).xero_id == "xero-inv-1"


def test_a_crash_during_push_leaves_pushing_and_a_retry_reuses_the_key(company):
    first = ledger.begin_push(ref(company))
    key = first.idempotency_key
    # the worker died during the Xero call; the next run pushes the same export again
    again = ledger.begin_push(ref(company))
    assert again.id == first.id and again.idempotency_key == key and rows(LedgerEntry) == 1


def test_adopting_a_record_found_in_xero_by_number(company):
    run = make_run(company)
    entry = ledger.record_adopted(ref(company, "202"), "xero-inv-9", "INV-202", "ACCREC", run_id=run.id)
    stored = fresh(entry)
    assert stored.state == "pushed" and stored.adopted and stored.xero_id == "xero-inv-9"
    assert ledger.run_counts(run.id)["adopted"] == 1 and ledger.run_counts(run.id)["pushed"] == 0
    with pytest.raises(LedgerStateError):
        ledger.begin_push(ref(company, "202"))


def test_blocked_and_failed_records_carry_reason_and_fix(company):
    run = make_run(company)
    blocked = ledger.record_blocked(ref(company, "301"), "INV-301 uses account 4999, which Xero lacks.",
                                    "Add account 4999 in Xero.", run_id=run.id)
    failed = ledger.begin_push(ref(company, "302"), run_id=run.id)
    ledger.record_failed(failed, "Xero refused INV-302: period locked.", "Move the lock date.", run_id=run.id)
    assert (fresh(blocked).state, fresh(blocked).fix) == ("blocked", "Add account 4999 in Xero.")
    assert fresh(failed).state == "failed" and "period locked" in fresh(failed).reason
    assert ledger.run_counts(run.id) == {"pushed": 0, "posted": 0, "adopted": 0, "blocked": 1, "failed": 1}
    # once fixed, the blocked record can be pushed
    assert ledger.begin_push(ref(company, "301")).state == "pushing"
    assert fresh(blocked).reason == "" and fresh(blocked).fix == ""


def test_a_failure_after_the_push_keeps_the_xero_document(company):
    run = make_run(company)
    entry = ledger.begin_push(ref(company), run_id=run.id)
    ledger.record_pushed(entry, "xero-inv-1", "INV-101", "ACCREC", run_id=run.id)
    ledger.record_failed(entry, "ConnectWise refused the batch for INV-101 (HTTP 500).", "Sync again.",
                         run_id=run.id)
    stored = fresh(entry)
    assert stored.state == "pushed" and stored.xero_id == "xero-inv-1"
    assert "refused the batch" in stored.reason
    progress = ledger.run_progress(db.session.get(TransactionRun, run.id))
    assert progress["records"] == [{
        "kind": "invoice", "psa_id": "101", "number": "INV-101", "state": "failed",
        "message": "ConnectWise refused the batch for INV-101 (HTTP 500).", "fix": "Sync again."}]
    assert progress["counts"]["pushed"] == 1 and progress["counts"]["failed"] == 1
    # the next run only batches it
    ledger.record_posted(entry, "WS-I-101-x", 77)
    assert fresh(entry).state == "posted" and fresh(entry).reason == ""


def test_posting_needs_a_xero_document(company):
    entry = ledger.begin_push(ref(company))
    with pytest.raises(LedgerStateError):
        ledger.begin_post(entry, "WS-I-101-x")
    with pytest.raises(LedgerStateError):
        ledger.record_posted(entry, "WS-I-101-x", 1)


def test_begin_push_without_a_payload_hash_is_refused(company):
    with pytest.raises(LedgerStateError):
        ledger.begin_push(ref(company, payload_hash=""))


def test_entries_for_company_by_kind_and_id(company):
    other = make_company(make_account(name="Other"), name="Other Co")
    ledger.begin_push(ref(company, "1"))
    ledger.record_blocked(ref(company, "2", kind="credit"), "r", "f")
    ledger.begin_push(ref(other, "1"))
    found = ledger.entries_for_company(company.id)
    assert set(found) == {("invoice", "1"), ("credit", "2")}
    assert set(ledger.entries_for_company(company.id, states=["blocked"])) == {("credit", "2")}
    assert set(ledger.entries_for_company(company.id, kinds=["invoice"])) == {("invoice", "1")}
    assert ledger.entry_for(company.account_id, company.id, "connectwise", "credit", "2").state == "blocked"


def test_run_progress_percent_and_outcomes_without_a_ledger_row(company):
    run = make_run(company)
    ledger.record_outcome(run.id, "invoice", "999", "failed", "INV-999 is not unposted for this company.",
                          "Refresh the review page.")
    ledger.begin_push(ref(company, "1"), run_id=run.id)
    progress = ledger.run_progress(db.session.get(TransactionRun, run.id))
    assert progress["percent"] == 25 and progress["status"] == "running"
    assert [r["state"] for r in progress["records"]] == ["failed", "pushing"]
    assert db.session.scalar(select(func.count()).select_from(TransactionRunRecord)) == 2


def test_contact_links_are_saved_updated_and_forgotten(company):
    ledger.save_contact_link(company.account_id, company.id, "connectwise", "19", "contact-a", "Acme Ltd")
    ledger.save_contact_link(company.account_id, company.id, "connectwise", "19", "contact-b", "Acme Ltd")
    ledger.save_contact_link(company.account_id, company.id, "connectwise", "20", "contact-c")
    assert ledger.contact_links(company.id, "connectwise") == {"19": "contact-b", "20": "contact-c"}
    assert ledger.contact_links(company.id, "connectwise", ["20", "21"]) == {"20": "contact-c"}
    ledger.forget_contact_link(company.id, "connectwise", "19")
    assert rows(XeroContactLink) == 1


def other_connection_states(company) -> dict:
    """The ledger as another process sees it (committed rows only)."""
    with db.engine.connect() as conn:
        return dict(conn.execute(select(LedgerEntry.psa_id, LedgerEntry.state)
                                 .where(LedgerEntry.company_id == company.id)).all())


def test_a_whole_call_can_be_recorded_in_one_transaction(company):
    run = make_run(company)
    entries = [ledger.begin_push(ref(company, str(n)), run_id=run.id, commit=False) for n in (1, 2, 3)]
    assert other_connection_states(company) == {}  # nothing visible before the commit
    db.session.commit()  # the run commits before the Xero call
    assert other_connection_states(company) == {"1": "pushing", "2": "pushing", "3": "pushing"}
    for n, entry in enumerate(entries, start=1):
        ledger.record_pushed(entry, f"xero-{n}", f"INV-{n}", "ACCREC", run_id=run.id, commit=False)
    db.session.commit()
    for entry in entries:
        ledger.record_posted(entry, "WS-I-x", 5, run_id=run.id, commit=False)
    assert set(other_connection_states(company).values()) == {"pushed"}
    db.session.commit()
    assert set(other_connection_states(company).values()) == {"posted"}
    assert ledger.run_counts(run.id) == {"pushed": 3, "posted": 3, "adopted": 0, "blocked": 0, "failed": 0}
    assert len(ledger.run_records(run.id)) == 3


def test_refusing_one_record_keeps_the_others_pending_in_the_transaction(company):
    done = ledger.begin_push(ref(company, "9"))
    ledger.record_pushed(done, "xero-9", "INV-9", "ACCREC")
    first = ledger.begin_push(ref(company, "1"), commit=False)
    with pytest.raises(LedgerStateError):
        ledger.begin_push(ref(company, "9"), commit=False)
    db.session.commit()
    assert other_connection_states(company) == {"9": "pushed", "1": "pushing"}
    assert first.state == "pushing"
