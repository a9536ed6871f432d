"""The ledger written a whole Xero call at a time: one commit before the call, the same rows,
and a constant number of statements however many records the call carries."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from tests.transactions.test_ledger import company, make_run, other_connection_states, ref  # noqa: F401
from wisesync.extensions import db
from wisesync.transactions import ledger
from wisesync.transactions.models import LedgerEntry, TransactionRunRecord


@contextmanager
def statements():
    seen: list[str] = []

    def listener(conn, cursor, sql, *args):
        seen.append(sql)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def push_call(company, run, ids, known=None):
    items = [(ref(company, str(n)), (known or {}).get(str(n))) for n in ids]
    return ledger.begin_push_many(items, run_id=run.id)


def test_a_call_is_pushing_committed_in_one_go_with_its_run_records(company):
    run = make_run(company)
    entries = push_call(company, run, range(1, 6))
    db.session.rollback()  # nothing pending: committed before the Xero call
    assert other_connection_states(company) == {str(n): "pushing" for n in range(1, 6)}
    assert [e.idempotency_key for e in entries] == [ref(company, str(n)).key for n in range(1, 6)]
    states = dict(db.session.execute(select(TransactionRunRecord.psa_id, TransactionRunRecord.state)
                                     .where(TransactionRunRecord.run_id == run.id)).all())
    assert states == {str(n): "pushing" for n in range(1, 6)}


def test_reads_per_call_do_not_grow_with_its_records(company):
    """As in a run (objects stay loaded over its commits, see run._outcome_of): no SELECT per
    record, however many the call carries."""
    run = make_run(company)
    db.session().expire_on_commit = False
    with statements() as few:
        entries = push_call(company, run, range(1, 4))
        for n, entry in enumerate(entries):
            ledger.record_pushed(entry, f"x-{n}", f"INV-{n}", "ACCREC", run_id=run.id, commit=False)
        db.session.commit()
    with statements() as many:
        entries = push_call(company, run, range(10, 40))
        for n, entry in enumerate(entries):
            ledger.record_pushed(entry, f"y-{n}", f"INV-{n}", "ACCREC", run_id=run.id, commit=False)
        db.session.commit()
    db.session().expire_on_commit = True
    reads = [[sql for sql in seen if sql.lstrip().upper().startswith("SELECT")] for seen in (few, many)]
    assert len(reads[1]) <= min(len(reads[0]), 2), reads


def test_a_row_created_meanwhile_by_another_session_is_used_not_duplicated(company):
    run = make_run(company)
    with db.engine.begin() as conn:  # another worker created row 2 after this run read the ledger
        conn.execute(LedgerEntry.__table__.insert().values(
            account_id=company.account_id, company_id=company.id, psa="connectwise", kind="invoice",
            psa_id="2", state="failed", reason="earlier", fix="", number="", counterparty="", currency="",
            payload_hash="", idempotency_key="", gl_entry_ids="", xero_id="", xero_number="", xero_type="",
            psa_batch_identifier="", adopted=False))
    entries = push_call(company, run, (1, 2, 3))  # the run believed none of them had a row
    assert other_connection_states(company) == {"1": "pushing", "2": "pushing", "3": "pushing"}
    assert len({e.id for e in entries}) == 3
    assert db.session.scalar(select(LedgerEntry).where(LedgerEntry.psa_id == "2")).reason == ""


def test_known_rows_are_updated_without_reading_them_again(company):
    run = make_run(company)
    first = push_call(company, run, (1,))[0]
    ledger.record_failed(first, "Xero refused it", "Fix it", run_id=run.id)
    entries = push_call(company, run, (1,), known={"1": first})
    assert entries[0] is first and first.state == "pushing" and first.reason == ""
    assert other_connection_states(company) == {"1": "pushing"}
